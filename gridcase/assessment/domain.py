"""考核: what an assessment scheme may weigh, how a subject's figures become a score, and the
periods scores are given for. Pure: no database.

A scheme (考核方案) is data: for one kind of subject (townships, communities, grids, grid workers
or units) a list of items, each an indicator of the catalogue below with

- a rated item: its points (分值; the rated items of a scheme add up to 100) and its target
  (目标值). Its attainment is
      a = min(1, value / target)                      for a rate or count where higher is better
      a = 1 if value ≤ target, else (1 − value) / (1 − target)
                                                      for a rate where lower is better (上交率 …)
  and it earns points × a;
- a penalty item (扣分项: 督办, 黄牌, 红牌): points taken off per event, at most its cap
  (每次扣 p 分，扣完 c 分为止).

An item is **not applicable** (不适用) to a subject when the system cannot measure it (a
capability gridcase does not have, such as the 群众安全感满意率 a third-party survey measures) or
when there is nothing to measure (a rate with nothing to divide by: no case was revisited, no
screening round was due). A not-applicable item never scores zero: it is left out, and the
points of the applicable items are scaled to 100 (按实有指标折算百分制):

    base  = 100 × Σ earned / Σ points          over the applicable rated items
    score = max(0, base − Σ min(cap, p × events)) over the penalty items

A subject with no applicable rated item is not scored (不参评). Each item's share of the score is
its earned points × 100 / Σ points, and what it cost the subject its scaled points less that:
the two together explain the score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from gridcase.messages import Message

RATED_POINTS_TOTAL = 100


class Subject(StrEnum):
    """What a scheme assesses and a ranking ranks."""

    TOWNSHIP = "township"  # 镇街
    COMMUNITY = "community"  # 村社区
    GRID = "grid"  # 网格
    GRID_WORKER = "grid_worker"  # 网格员
    UNIT = "unit"  # 职能部门、站所

    @property
    def label(self) -> str:
        return SUBJECT_LABELS[self]

    @property
    def is_territory(self) -> bool:
        return self in (Subject.TOWNSHIP, Subject.COMMUNITY, Subject.GRID)


SUBJECT_LABELS = {
    Subject.TOWNSHIP: "镇街",
    Subject.COMMUNITY: "村（社区）",
    Subject.GRID: "网格",
    Subject.GRID_WORKER: "网格员",
    Subject.UNIT: "部门站所",
}

RATE, COUNT, PENALTY = "rate", "count", "penalty"
HIGHER, LOWER = "higher", "lower"

_PLACES = frozenset({Subject.TOWNSHIP, Subject.COMMUNITY, Subject.GRID})
_CENTRES = frozenset({Subject.TOWNSHIP, Subject.COMMUNITY})  # a 督办单 is addressed to a centre
_CASES = frozenset({*_PLACES, Subject.GRID_WORKER})  # the cases of the subject's grids


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    kind: str  # RATE, COUNT or PENALTY
    better: str  # HIGHER or LOWER (a penalty counts events, fewer is better)
    subjects: frozenset[Subject]
    # Why the system cannot measure it, when it cannot: the item is then not applicable.
    unmeasured: str | None = None


CATALOGUE = (
    Indicator("resolution_rate", "化解率", RATE, HIGHER, _CASES),
    Indicator("local_resolution_rate", "就地化解率", RATE, HIGHER, _CASES),
    Indicator("township_containment_rate", "大事不出镇率", RATE, HIGHER, frozenset({Subject.TOWNSHIP})),
    Indicator("on_time_rate", "按期办结率", RATE, HIGHER, _CASES),
    Indicator("satisfaction_rate", "回访满意率", RATE, HIGHER, _CASES | {Subject.UNIT}),
    Indicator("escalation_rate", "上交率", RATE, LOWER, _CASES),
    Indicator("reopen_rate", "返工率", RATE, LOWER, _CASES),
    Indicator("agreement_performance_rate", "协议履行率", RATE, HIGHER, _CASES),
    Indicator("patrol_coverage", "巡查覆盖率", RATE, HIGHER, _CASES),
    Indicator("screening_on_time_rate", "排查按时上报率", RATE, HIGHER, _CASES),
    Indicator("reported", "事件上报数", COUNT, HIGHER, frozenset({Subject.GRID_WORKER})),
    Indicator("visits", "走访数", COUNT, HIGHER, frozenset({Subject.GRID_WORKER})),
    Indicator("sign_on_time_rate", "签收及时率", RATE, HIGHER, frozenset({Subject.UNIT})),
    Indicator("finish_on_time_rate", "按期办结率", RATE, HIGHER, frozenset({Subject.UNIT})),
    Indicator("return_rate", "退回率", RATE, LOWER, frozenset({Subject.UNIT})),
    Indicator("rework_rate", "返工率", RATE, LOWER, frozenset({Subject.UNIT})),
    Indicator("supervised", "被督办", PENALTY, LOWER, _CENTRES | {Subject.UNIT}),
    Indicator("yellow_cards", "黄牌", PENALTY, LOWER, _CENTRES | {Subject.UNIT}),
    Indicator("red_cards", "红牌", PENALTY, LOWER, _CENTRES | {Subject.UNIT}),
    Indicator(
        "public_safety_survey",
        "群众安全感满意率",
        RATE,
        HIGHER,
        _PLACES,
        unmeasured="由第三方测评，不在本系统中",
    ),
)
INDICATORS = {indicator.key: indicator for indicator in CATALOGUE}

NOTHING_TO_MEASURE = "本期无可计算的数据"


@dataclass(frozen=True)
class Figure:
    """What was measured of one indicator for one subject: the value (a rate 0–1, a count, or
    the events of a penalty), and for a rate what it divides (shown beside it)."""

    value: float | int | None
    numerator: int | None = None
    denominator: int | None = None

    @classmethod
    def of_rate(cls, numerator: int, denominator: int) -> Figure:
        value = round(numerator / denominator, 4) if denominator else None
        return cls(value, int(numerator), int(denominator))


@dataclass(frozen=True)
class Item:
    """One item of a scheme: a rated item (points, target) or a penalty (points per event, cap)."""

    indicator: str
    points: float
    target: float | None = None
    cap: float | None = None

    @property
    def definition(self) -> Indicator:
        return INDICATORS[self.indicator]

    @property
    def is_penalty(self) -> bool:
        return self.definition.kind == PENALTY


@dataclass
class ItemScore:
    indicator: str
    label: str
    kind: str
    better: str
    value: float | int | None
    numerator: int | None
    denominator: int | None
    points: float
    target: float | None
    applicable: bool
    reason: str | None = None  # why it is not applicable
    attainment: float | None = None  # 0–1, rated items
    scaled_points: float | None = None  # its points scaled to the applicable total of 100
    earned: float | None = None  # its share of the score
    lost: float | None = None  # what it cost: scaled_points − earned
    deducted: float | None = None  # a penalty's points taken off

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ScoreCard:
    score: float | None  # None: not scored (不参评)
    base: float | None
    deducted: float
    items: list[ItemScore] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "base": self.base,
            "deducted": self.deducted,
            "items": [item.as_dict() for item in self.items],
        }


def attainment(indicator: Indicator, value: float, target: float) -> float:
    """How far a value reaches its target, 0 to 1 (see the module's words)."""
    if indicator.better == HIGHER:
        return min(1.0, value / target)
    if value <= target:
        return 1.0
    return max(0.0, (1 - value) / (1 - target))


def score(items: Sequence[Item], figures: Mapping[str, Figure]) -> ScoreCard:
    """The score of one subject under a scheme's items, with each item's part in it."""
    cards = [_item_card(item, figures.get(item.indicator)) for item in items]
    rated = [(item, card) for item, card in zip(items, cards, strict=True) if not item.is_penalty]
    applicable_points = sum(item.points for item, card in rated if card.applicable)
    if not applicable_points:
        return ScoreCard(score=None, base=None, deducted=0.0, items=cards)
    earned_total = 0.0
    for item, card in rated:
        if not card.applicable:
            continue
        card.scaled_points = _round(item.points * RATED_POINTS_TOTAL / applicable_points)
        earned = item.points * card.attainment * RATED_POINTS_TOTAL / applicable_points
        earned_total += earned
        card.earned = _round(earned)
        card.lost = _round(card.scaled_points - earned)
    deducted = sum(card.deducted or 0.0 for card in cards)
    base = _round(earned_total)
    return ScoreCard(
        score=_round(max(0.0, earned_total - deducted)), base=base, deducted=deducted, items=cards
    )


def _item_card(item: Item, figure: Figure | None) -> ItemScore:
    indicator = item.definition
    figure = figure or Figure(None)
    card = ItemScore(
        indicator=item.indicator,
        label=indicator.label,
        kind=indicator.kind,
        better=indicator.better,
        value=figure.value,
        numerator=figure.numerator,
        denominator=figure.denominator,
        points=item.points,
        target=item.target,
        applicable=True,
    )
    if indicator.unmeasured:
        card.applicable, card.reason = False, indicator.unmeasured
    elif item.is_penalty:
        events = int(figure.value or 0)
        card.value = events
        card.deducted = _round(min(item.cap or math.inf, item.points * events))
    elif figure.value is None:
        card.applicable, card.reason = False, NOTHING_TO_MEASURE
    else:
        card.attainment = round(attainment(indicator, float(figure.value), float(item.target)), 4)
    return card


def _round(value: float) -> float:
    return round(value + 0.0, 2)


# --- what a scheme may hold ------------------------------------------------------------------------


def scheme_problems(subject: Subject, items: Sequence[Item]) -> dict[str, list[str]]:
    """Why these items cannot make a scheme for the subject, by field; empty when they can."""
    problems: dict[str, list[str]] = {}

    def problem(where: str, text: Message) -> None:
        problems.setdefault(where, []).append(text)

    seen = set()
    # As stored (4 decimals for a target, 2 for points): a target that rounds to 0 is refused
    # here rather than divided by later.
    items = [
        Item(
            item.indicator,
            round(item.points, 2) if math.isfinite(item.points) else item.points,
            round(item.target, 4) if item.target is not None and math.isfinite(item.target) else item.target,
            round(item.cap, 2) if item.cap is not None and math.isfinite(item.cap) else item.cap,
        )
        for item in items
    ]
    for index, item in enumerate(items):
        where = f"items.{index}"
        indicator = INDICATORS.get(item.indicator)
        if indicator is None:
            problem(where, Message("No indicator %(key)s.", key=item.indicator))
            continue
        if subject not in indicator.subjects:
            problem(
                where,
                Message(
                    "%(label)s does not apply to %(subject)s.", label=indicator.label, subject=subject.label
                ),
            )
        if item.indicator in seen:
            problem(where, Message("%(label)s is listed twice.", label=indicator.label))
        seen.add(item.indicator)
        numbers = [value for value in (item.points, item.target, item.cap) if value is not None]
        if not all(math.isfinite(value) for value in numbers):
            problem(where, Message("Points, targets and caps are ordinary numbers."))
            continue
        if not 0 < item.points <= RATED_POINTS_TOTAL:
            problem(where, Message("Points must be above 0 and at most 100."))
        if item.cap is not None and item.cap > RATED_POINTS_TOTAL:
            problem(where, Message("A cap is at most 100 points."))
        if indicator.kind == PENALTY:
            if item.cap is None or not item.cap >= item.points:
                problem(where, Message("A penalty needs a cap of at least its points per event."))
        elif item.target is None:
            problem(where, Message("A rated item needs a target."))
        elif indicator.kind == RATE and not (
            0 < item.target <= 1 if indicator.better == HIGHER else 0 <= item.target < 1
        ):
            problem(
                where,
                Message(
                    "A rate's target lies between 0 and 1 (above 0 if higher is better, below 1 if lower is)."
                ),
            )
        elif indicator.kind == COUNT and not 1 <= item.target <= 100_000:
            problem(where, Message("A count's target is at least 1."))
    rated = sum(
        item.points
        for item in items
        if item.indicator in INDICATORS and not item.is_penalty and math.isfinite(item.points)
    )
    if not math.isclose(rated, RATED_POINTS_TOTAL, abs_tol=1e-6):
        problem(
            "items",
            Message(
                "The rated items' points add up to %(sum)s, not %(total)s.",
                sum=f"{rated:g}",
                total=str(RATED_POINTS_TOTAL),
            ),
        )
    return problems


# --- periods: a month or a quarter ---------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A month ("2026-11") or a quarter ("2026-Q4") of local days."""

    year: int
    month: int | None = None
    quarter: int | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2026-11' or '2026-Q4'.

        Raises:
            ValueError: neither.
        """
        year_text, _, rest = text.strip().partition("-")
        year = int(year_text)
        if not 2000 <= year <= 2100:
            raise ValueError(text)
        if rest[:1] in ("Q", "q"):
            quarter = int(rest[1:])
            if not 1 <= quarter <= 4:
                raise ValueError(text)
            return cls(year, quarter=quarter)
        month = int(rest)
        if not 1 <= month <= 12:
            raise ValueError(text)
        return cls(year, month=month)

    @classmethod
    def month_of(cls, day: date) -> Period:
        return cls(day.year, month=day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month or (self.quarter - 1) * 3 + 1, 1)

    @property
    def last(self) -> date:
        end_month = self.month or self.quarter * 3
        following = date(self.year + 1, 1, 1) if end_month == 12 else date(self.year, end_month + 1, 1)
        return date.fromordinal(following.toordinal() - 1)

    @property
    def previous(self) -> Period:
        if self.month:
            return (
                Period(self.year - 1, month=12)
                if self.month == 1
                else Period(self.year, month=self.month - 1)
            )
        return (
            Period(self.year - 1, quarter=4)
            if self.quarter == 1
            else Period(self.year, quarter=self.quarter - 1)
        )

    @property
    def label(self) -> str:
        if self.month:
            return f"{self.year}年{self.month}月"
        return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else f"{self.year}-Q{self.quarter}"


# --- rankings --------------------------------------------------------------------------------------


def rank(scores: Sequence[float | None]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) by score, highest first; None for a subject not scored."""
    scored = sorted((s for s in scores if s is not None), reverse=True)
    first_place = {}
    for place, value in enumerate(scored, start=1):
        first_place.setdefault(value, place)
    return [None if s is None else first_place[s] for s in scores]


# --- the scheme a city has until it makes its own (version 0) -------------------------------------
#
# An example in the form of the 数字城管 and 综治 考评细则 (分值 per indicator adding up to 100,
# 扣分项 taken off "扣完为止"), with targets an office would start from; each city replaces it
# with its own scheme (POST /api/v1/assessment/schemes). Count targets are per month.

_PENALTIES = (Item("yellow_cards", 1, cap=5), Item("red_cards", 2, cap=10))
DEFAULT_SCHEMES: dict[Subject, tuple[Item, ...]] = {
    Subject.TOWNSHIP: (
        Item("resolution_rate", 20, 0.95),
        Item("township_containment_rate", 10, 0.95),
        Item("on_time_rate", 20, 0.95),
        Item("satisfaction_rate", 15, 0.95),
        Item("escalation_rate", 10, 0.05),
        Item("reopen_rate", 5, 0.05),
        Item("agreement_performance_rate", 5, 0.95),
        Item("patrol_coverage", 5, 1.0),
        Item("screening_on_time_rate", 5, 1.0),
        Item("public_safety_survey", 5, 0.95),
        *_PENALTIES,
    ),
    Subject.COMMUNITY: (
        Item("resolution_rate", 20, 0.95),
        Item("local_resolution_rate", 15, 0.8),
        Item("on_time_rate", 20, 0.95),
        Item("satisfaction_rate", 15, 0.95),
        Item("escalation_rate", 5, 0.1),
        Item("reopen_rate", 5, 0.05),
        Item("agreement_performance_rate", 5, 0.95),
        Item("patrol_coverage", 5, 1.0),
        Item("screening_on_time_rate", 5, 1.0),
        Item("public_safety_survey", 5, 0.95),
        *_PENALTIES,
    ),
    Subject.GRID: (
        Item("resolution_rate", 25, 0.95),
        Item("local_resolution_rate", 15, 0.8),
        Item("on_time_rate", 20, 0.95),
        Item("satisfaction_rate", 15, 0.95),
        Item("reopen_rate", 5, 0.05),
        Item("patrol_coverage", 10, 1.0),
        Item("screening_on_time_rate", 10, 1.0),
    ),
    Subject.GRID_WORKER: (
        Item("reported", 15, 8),
        Item("visits", 15, 20),
        Item("patrol_coverage", 20, 1.0),
        Item("screening_on_time_rate", 15, 1.0),
        Item("resolution_rate", 15, 0.95),
        Item("on_time_rate", 10, 0.95),
        Item("satisfaction_rate", 10, 0.95),
    ),
    Subject.UNIT: (
        Item("sign_on_time_rate", 20, 0.98),
        Item("finish_on_time_rate", 30, 0.95),
        Item("satisfaction_rate", 20, 0.95),
        Item("return_rate", 10, 0.05),
        Item("rework_rate", 20, 0.05),
        *_PENALTIES,
    ),
}
assert all(not scheme_problems(subject, items) for subject, items in DEFAULT_SCHEMES.items())


def for_period(items: Sequence[Item], months: float) -> list[Item]:
    """The items with each count target (per month) made the target of a period of `months`
    months (a quarter 3; a period counted to date, its share of its days)."""
    return [
        Item(item.indicator, item.points, item.target * months, item.cap)
        if item.definition.kind == COUNT
        else item
        for item in items
    ]
