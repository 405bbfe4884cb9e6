"""考核's rules, checked by hand (gridcase.assessment.domain): attainment against targets, a
not-applicable item left out and the others scaled to 100 (never scored as zero), penalties
taken off up to their cap, a subject with nothing to score not ranked, count targets per month,
periods and ranks."""

from datetime import date

import pytest

from gridcase.assessment.domain import (
    DEFAULT_SCHEMES,
    Figure,
    Item,
    Period,
    Subject,
    for_period,
    rank,
    scheme_problems,
    score,
)

SCHEME = (
    Item("resolution_rate", 40, 0.8),
    Item("on_time_rate", 20, 1.0),
    Item("escalation_rate", 20, 0.1),  # lower is better
    Item("public_safety_survey", 20, 0.9),  # gridcase cannot measure it: 不适用
    Item("yellow_cards", 1, cap=5),
    Item("red_cards", 2, cap=3),
)


def test_a_score_by_hand_with_an_unmeasured_item_scaled_out_and_penalties_capped():
    figures = {
        "resolution_rate": Figure.of_rate(2, 4),  # 0.5 of 0.8 → 0.625
        "on_time_rate": Figure.of_rate(2, 2),  # 1.0 → 1
        "escalation_rate": Figure.of_rate(1, 4),  # 0.25 over 0.1 → 0.75 / 0.9
        "yellow_cards": Figure(2),  # 2 × 1 = 2
        "red_cards": Figure(2),  # 2 × 2 = 4, capped at 3
    }
    card = score(SCHEME, figures)
    items = {item.indicator: item for item in card.items}
    # The survey's 20 points are left out: 80 applicable points scaled to 100 (× 1.25).
    assert items["public_safety_survey"].applicable is False
    assert items["public_safety_survey"].reason == "由第三方测评，不在本系统中"
    assert items["public_safety_survey"].earned is None  # not a zero
    assert [items[k].scaled_points for k in ("resolution_rate", "on_time_rate", "escalation_rate")] == [
        50.0,
        25.0,
        25.0,
    ]
    assert items["resolution_rate"].attainment == 0.625 and items["resolution_rate"].earned == 31.25
    assert items["on_time_rate"].earned == 25.0 and items["on_time_rate"].lost == 0.0
    assert items["escalation_rate"].attainment == 0.8333 and items["escalation_rate"].earned == 20.83
    assert items["escalation_rate"].lost == 4.17  # what the escalations cost
    assert card.base == 77.08  # 31.25 + 25 + 20.8333
    assert (items["yellow_cards"].deducted, items["red_cards"].deducted) == (2.0, 3.0)
    assert card.deducted == 5.0 and card.score == 72.08


def test_nothing_to_divide_by_is_not_applicable_and_nothing_at_all_is_not_scored():
    only_on_time = score(
        SCHEME, {"on_time_rate": Figure.of_rate(1, 2), "resolution_rate": Figure.of_rate(0, 0)}
    )
    items = {item.indicator: item for item in only_on_time.items}
    assert (
        items["resolution_rate"].applicable is False
        and items["resolution_rate"].reason == "本期无可计算的数据"
    )
    # Only on-time is left (20 points → 100): 0.5 of 1.0.
    assert items["on_time_rate"].scaled_points == 100.0 and only_on_time.score == 50.0
    nothing = score(SCHEME, {"red_cards": Figure(1)})
    assert nothing.score is None and nothing.base is None  # 不参评, not 0


def test_a_lower_is_better_rate_at_or_under_its_target_scores_in_full_and_never_below_zero():
    scheme = (Item("escalation_rate", 100, 0.1),)
    assert score(scheme, {"escalation_rate": Figure.of_rate(1, 10)}).score == 100.0
    assert score(scheme, {"escalation_rate": Figure.of_rate(10, 10)}).score == 0.0
    assert score(scheme, {"escalation_rate": Figure.of_rate(3, 10)}).score == 77.78  # 0.7 / 0.9


def test_penalties_never_take_a_score_below_zero():
    scheme = (Item("resolution_rate", 100, 1.0), Item("red_cards", 10, cap=100))
    assert score(scheme, {"resolution_rate": Figure.of_rate(1, 10), "red_cards": Figure(3)}).score == 0.0


def test_count_targets_are_per_month_and_scaled_to_the_period():
    scheme = (Item("visits", 50, 20), Item("reported", 50, 8))
    quarter = for_period(scheme, 3)
    assert [item.target for item in quarter] == [60, 24]
    card = score(quarter, {"visits": Figure(30), "reported": Figure(24)})
    assert card.score == 75.0  # 50 × 30/60 + 50 × 1
    half_month = for_period(scheme, 0.5)
    assert score(half_month, {"visits": Figure(10), "reported": Figure(2)}).score == 75.0  # 50 + 50 × 2/4


def test_a_scheme_must_add_up_and_fit_its_subject():
    assert not any(scheme_problems(subject, items) for subject, items in DEFAULT_SCHEMES.items())
    problems = scheme_problems(
        Subject.GRID,
        [
            Item("resolution_rate", 50, 1.2),  # a rate's target above 1
            Item("sign_on_time_rate", 30, 0.9),  # a unit's indicator
            Item("red_cards", 2, cap=1),  # not an indicator of a grid; a cap under its points
            Item("nonsense", 10, 1),
        ],
    )
    assert "items" in problems  # 80 rated points, not 100
    assert any("between 0 and 1" in p for p in problems["items.0"])
    assert any("does not apply" in p for p in problems["items.1"])
    assert any("cap" in p for p in problems["items.2"]) and any(
        "does not apply" in p for p in problems["items.2"]
    )
    assert problems["items.3"] == ["No indicator nonsense."]


def test_periods_months_and_quarters():
    november, q4, q1 = Period.parse("2026-11"), Period.parse("2026-Q4"), Period.parse("2027-q1")
    assert (november.first, november.last, str(november.previous)) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        "2026-10",
    )
    assert (q4.first, q4.last, q4.label) == (date(2026, 10, 1), date(2026, 12, 31), "2026年第四季度")
    assert str(q1.previous) == "2026-Q4" and str(Period.parse("2026-01").previous) == "2025-12"
    for bad in ("2026-13", "2026-Q5", "26-11", "November", "2026"):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_ranks_share_a_place_on_a_tie_and_the_unscored_have_none():
    assert rank([80.0, None, 92.5, 80.0, 70.0]) == [2, None, 1, 2, 4]


def test_a_scheme_refuses_numbers_it_could_not_store_or_divide_by():
    tiny = scheme_problems(Subject.GRID, [Item("resolution_rate", 100, 0.00004)])  # stored as 0.0000
    assert any("between 0 and 1" in p for p in tiny["items.0"])
    infinite = scheme_problems(Subject.GRID, [Item("resolution_rate", 100, float("inf"))])
    assert any("ordinary numbers" in p for p in infinite["items.0"])
    huge = scheme_problems(
        Subject.TOWNSHIP, [Item("resolution_rate", 100, 0.9), Item("red_cards", 500, cap=1e9)]
    )
    assert "items.1" in huge
