"""The monthly report's words (issue 17): its indicator table colours a change only by the
indicator's direction; 同类上升 weighs the period against the months before by their days, so a
month-to-date of six days is not flagged for having fewer days than a whole month, and on Poisson
noise its false alarms stay at or under the chosen level; the 研判分析 says what the figures say."""

import numpy as np
import pytest

from gridcase.stats.report_analysis import analysis, chinese_span, indicator_rows, rising_categories

ALPHA, MINIMUM = 0.001, 5


def _figures(**values) -> dict:
    base = {
        "accepted": 10,
        "resolved": 8,
        "resolution_rate": 0.8,
        "local_resolution_rate": None,
        "township_containment_rate": None,
        "on_time_rate": 0.5,
        "escalation_rate": 0.1,
        "reopen_rate": None,
        "satisfaction_rate": None,
        "agreement_performance_rate": None,
        "median_hours_to_accept": 2.0,
        "median_hours_to_resolve": 30.0,
        "overdue_open": 1,
    }
    return {**base, **values}


def test_a_change_is_better_or_worse_by_the_indicators_direction_and_a_count_has_none():
    rows = {
        r["key"]: r
        for r in indicator_rows(
            _figures(accepted=12, resolution_rate=0.85, escalation_rate=0.2, median_hours_to_accept=1.5),
            _figures(overdue_open=4),
        )
    }
    assert rows["accepted"]["better"] is None and rows["accepted"]["change_text"] == "+2"
    assert (
        rows["resolution_rate"]["better"] is True and rows["resolution_rate"]["change_text"] == "+5.0个百分点"
    )
    assert rows["escalation_rate"]["better"] is False  # 上交率 up is worse
    assert (
        rows["median_hours_to_accept"]["better"] is True and rows["median_hours_to_accept"]["text"] == "1.5"
    )
    assert rows["on_time_rate"]["better"] is None and rows["on_time_rate"]["change_text"] == "+0.0个百分点"
    assert rows["overdue_open"]["change"] is None and rows["overdue_open"]["change_text"] == "—"  # live
    assert rows["satisfaction_rate"]["text"] == "—"


def test_a_category_is_rising_only_above_what_its_baseline_gives_over_the_same_days():
    # A whole month of 30 days against 90 days holding 30 cases (10 a month).
    steady = rising_categories({"E01": ("市容环境", 12, 30)}, 30, 90, ALPHA, MINIMUM)
    spike = rising_categories({"E01": ("市容环境", 30, 30)}, 30, 90, ALPHA, MINIMUM)
    assert steady == [] and [r.code for r in spike] == ["E01"] and spike[0].expected == 10.0
    # Six days of a running month against 90 days of 90 cases: six cases is the usual pace.
    assert rising_categories({"E01": ("市容环境", 6, 90)}, 6, 90, ALPHA, MINIMUM) == []
    assert rising_categories({"E01": ("市容环境", 20, 90)}, 6, 90, ALPHA, MINIMUM) != []
    # From nothing to four is no issue to warn of; without a baseline there is no test at all.
    assert rising_categories({"E01": ("市容环境", 4, 0)}, 30, 90, ALPHA, MINIMUM) == []
    assert rising_categories({"E01": ("市容环境", 40, 0)}, 30, 0, ALPHA, MINIMUM) == []


@pytest.mark.parametrize(("days", "per_day"), [(6, 0.5), (30, 0.3), (31, 2.0)])
def test_on_poisson_noise_false_alarms_stay_at_or_under_the_level(days, per_day):
    """The same daily rate throughout, against a baseline of 5 months (153 days): the share of
    days keeps the level for a running month of six days and for whole months alike."""
    rng, alpha, trials = np.random.default_rng(20261206 + days), 0.01, 20_000
    current = rng.poisson(per_day * days, trials)
    baseline = rng.poisson(per_day * 153, trials)
    alarms = sum(
        bool(rising_categories({"X": ("X", int(c), int(b))}, days, 153, alpha, MINIMUM))
        for c, b in zip(current, baseline, strict=True)
    )
    assert alarms / trials <= alpha


def _child(name: str, **figures) -> dict:
    return {"code": name, "name": name, "level": "community", "indicators": _figures(**figures)}


def _report(**overrides) -> dict:
    now, before = _figures(accepted=20, resolved=18, resolution_rate=0.9), _figures()
    report = {
        "region": {"code": "330681109000", "name": "枫桥镇", "level": "township"},
        "to_date": None,
        "indicators": now,
        "previous": before,
        "rows": indicator_rows(now, before),
        "children": [
            _child("枫源村", accepted=5, resolution_rate=0.6),
            _child("陈家村", accepted=2, resolution_rate=0.0),  # too few cases to rank
            _child("杜黄新村", accepted=13, resolution_rate=1.0),
        ],
        "worst_communities": [],
        "baseline_months": 5,
        "rising": [{"code": "D02", "name": "邻里纠纷", "current": 9, "expected": 2.1, "p_value": 0.0002}],
        "hotspot_grids": [{"code": "g", "name": "枫源村第1网格", "accepted": 7}],
        "hotspot_alerts": {"hotspot": 2, "rising_issue": 1, "open": 1},
    }
    return {**report, **overrides}


def test_the_analysis_says_what_the_figures_say_in_numbered_paragraphs():
    paragraphs = analysis(_report(), ALPHA, MINIMUM)
    assert [p[:3] for p in paragraphs] == ["（一）", "（二）", "（三）", "（四）", "（五）"]
    overall, changes, rising, hotspots, areas = paragraphs
    assert "本月受理20件，化解18件，化解率90.0%；上月受理10件，化解8件，化解率80.0%" in overall
    assert "向好的有化解率+10.0个百分点（80.0%→90.0%）" in changes and "变差" not in changes
    assert "邻里纠纷9件（按前5个月的水平应约2.1件，p=0.0002）" in rising
    assert (
        "枫源村第1网格（7件）" in hotspots and "同类高发预警2条、同类上升预警1条，其中1条尚未销号" in hotspots
    )
    # Below the node's 90.0% with at least 3 cases: 枫源村 only (陈家村 has too few cases).
    assert "化解率低于枫桥镇整体（90.0%）的有枫源村（60.0%，受理5件）。" in areas and "陈家村" not in areas


def test_a_month_to_date_speaks_of_its_days_and_a_quiet_one_says_so():
    quiet = _figures(accepted=0, resolved=0, resolution_rate=None, overdue_open=0)
    report = _report(
        to_date="2026-12-06",
        indicators=quiet,
        rows=indicator_rows(quiet, _figures()),
        rising=[],
        baseline_months=0,
        hotspot_grids=[],
        hotspot_alerts={"hotspot": 0, "rising_issue": 0, "open": 0},
        children=[],
    )
    overall, *rest = analysis(report, ALPHA, MINIMUM)
    assert overall.startswith("（一）总体情况。本月1日至6日未受理案件；上月同期受理10件")
    assert any("此前月份没有数据，不作同类上升检验" in p for p in rest)
    assert not any("热点区域" in p for p in rest)


def test_a_span_names_its_year_once():
    from datetime import date

    assert chinese_span(date(2026, 11, 1), date(2026, 11, 30)) == "2026年11月1日至11月30日"
    assert chinese_span(date(2025, 12, 1), date(2026, 1, 6)) == "2025年12月1日至2026年1月6日"
