"""The indicators of DESIGN §5, from counts to rates, and periods cut into weeks and days.
Pure: no database.

Definitions (each count is over cases created in the period, in the node; the SQL that counts
them lives in gridcase.stats.rollups and follows these words exactly):

- accepted (受理数): cases logged, less those rejected (不予受理) and those closed as a duplicate
  of another case (重复件, `duplicate_of_id` set): a duplicate is the same matter told twice.
- resolved (化解数): accepted cases whose status is now resolved or closed.
- resolution_rate (化解率) = resolved / accepted.
- local_resolution_rate (就地化解率, 小事不出村) = cases resolved at the lowest ladder level
  (community) that started there and never climbed (highest level = community) / accepted cases
  that started at the community level.
- township_containment_rate (大事不出镇率) = accepted cases that started at or below the township
  and are resolved at or below the township / accepted cases that started at or below the
  township. (The numerator counts only cases of the denominator, so the rate stays ≤ 1: a city
  case handed down and resolved by a township is not "kept in the township".)
- on_time_rate (按期办结率) = resolved cases with `resolved_on_time` (resolved before the due time
  of the level that resolved them) / resolved.
- escalation_rate (上交率) = accepted cases escalated at least once (`escalation_count` > 0,
  by a person, a take-over or the sweep) / accepted.
- reopen_rate (返工率) = resolved cases that were reopened at least once (`reopen_count` > 0) /
  resolved. A case reopened and not yet resolved again counts once it is resolved again.
- satisfaction_rate (满意率) = accepted cases whose last revisit (回访) answered satisfied or
  basically satisfied / accepted cases revisited at least once, counting only revisits made by
  someone other than the handler (the person themselves with a code, or the centre's staff or a
  hotline, who record how: `revisit_method`); `revisited` is how many, shown with the rate.
- agreement_performance_rate (协议履行率) = the 人民调解协议书 of accepted cases performed in full
  (履行情况 recorded as performed) / those whose performance has been recorded (performed,
  partly, not performed); agreements still before their deadline or unchecked are in neither.
  `agreements_checked` is how many, shown with the rate. Counted by agreement, as 人民调解's
  statistics count 协议履行, over the cases created in the period.
- median_hours_to_accept (响应时长中位数): median of accepted_at − created_at over accepted cases
  with an acceptance time; median_hours_to_resolve (办结时长中位数): median of resolved_at −
  created_at over resolved cases. Both come from histograms (see gridcase.stats.histogram).
- overdue_open (超期未办结): cases still open (pending or in progress) whose due time had passed
  at the last refresh of the rollups (each minute, with the rest of the table: the answer's
  `refreshed_until`). The refresh recounts a case's row when the case changes and when its due
  time passes, so the count is exact as of that refresh (gridcase.stats.rollups).

A rate is None (null) when its denominator is 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

# Additive counts kept per rollup row, in table order.
COUNTS = (
    "accepted",
    "resolved",
    "started_local",
    "resolved_local",
    "started_contained",
    "resolved_contained",
    "resolved_on_time",
    "escalated",
    "reopened",
    "revisited",
    "satisfied",
    "overdue_open",
    "agreements_checked",
    "agreements_performed",
)

# key, Chinese name, unit: the order of the indicator table and its exports.
INDICATORS = (
    ("accepted", "受理数", "件"),
    ("resolved", "化解数", "件"),
    ("resolution_rate", "化解率", "%"),
    ("local_resolution_rate", "就地化解率", "%"),
    ("township_containment_rate", "大事不出镇率", "%"),
    ("on_time_rate", "按期办结率", "%"),
    ("escalation_rate", "上交率", "%"),
    ("reopen_rate", "返工率", "%"),
    ("satisfaction_rate", "满意率", "%"),
    ("revisited", "回访数", "件"),  # what the satisfaction rate is counted over (independent 回访)
    ("agreement_performance_rate", "协议履行率", "%"),
    ("agreements_checked", "履行核实协议数", "件"),  # what the performance rate is counted over
    ("median_hours_to_accept", "响应时长中位数", "小时"),
    ("median_hours_to_resolve", "办结时长中位数", "小时"),
    ("overdue_open", "超期未办结", "件"),
)
INDICATOR_KEYS = tuple(key for key, _, _ in INDICATORS)

# rate: (numerator count, denominator count)
RATES = {
    "resolution_rate": ("resolved", "accepted"),
    "local_resolution_rate": ("resolved_local", "started_local"),
    "township_containment_rate": ("resolved_contained", "started_contained"),
    "on_time_rate": ("resolved_on_time", "resolved"),
    "escalation_rate": ("escalated", "accepted"),
    "reopen_rate": ("reopened", "resolved"),
    "satisfaction_rate": ("satisfied", "revisited"),
    "agreement_performance_rate": ("agreements_performed", "agreements_checked"),
}


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator to 4 decimals; None when the denominator is 0."""
    return round(numerator / denominator, 4) if denominator else None


def indicators(
    counts: Mapping[str, int],
    median_hours_to_accept: float | None = None,
    median_hours_to_resolve: float | None = None,
) -> dict:
    """Every indicator of DESIGN §5 from the summed counts and the medians."""
    count = {name: int(counts.get(name) or 0) for name in COUNTS}
    result: dict = {
        name: count[name]
        for name in ("accepted", "resolved", "revisited", "agreements_checked", "overdue_open")
    }
    for name, (numerator, denominator) in RATES.items():
        result[name] = rate(count[numerator], count[denominator])
    result["median_hours_to_accept"] = _hours(median_hours_to_accept)
    result["median_hours_to_resolve"] = _hours(median_hours_to_resolve)
    return {key: result[key] for key in INDICATOR_KEYS}


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def ladder_groups(ladder: list[str]) -> tuple[list[str], list[str]]:
    """(levels of 就地化解, levels of 大事不出镇): the lowest level, and every level up to and
    including the township (the two lowest when the ladder has no township)."""
    contained = ladder[: ladder.index("township") + 1] if "township" in ladder else ladder[:2]
    return ladder[:1], contained


def week_start(day: date) -> date:
    """The Monday of the week holding `day` (weeks run Monday to Sunday, local time)."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class PeriodParts:
    """A period of local days cut into whole weeks and the days left at either end, so that
    whole weeks are read from weekly rollups and only the ends from daily ones.

    `weeks` is (first Monday, last Monday), inclusive, either side None when unbounded, or None
    when the period holds no whole week; `days` lists inclusive (first, last) ranges."""

    weeks: tuple[date | None, date | None] | None
    days: list[tuple[date, date]] = field(default_factory=list)


def split_period(first: date | None, last: date | None) -> PeriodParts:
    """Cut [first, last] (inclusive local days; None: unbounded) into whole weeks and end days."""
    first_monday = None if first is None else first + timedelta(days=(-first.weekday()) % 7)
    last_monday = None
    if last is not None:
        last_sunday = last - timedelta(days=(last.weekday() + 1) % 7)
        last_monday = last_sunday - timedelta(days=6)
    if first_monday is not None and last_monday is not None and first_monday > last_monday:
        return PeriodParts(weeks=None, days=[(first, last)])
    days = []
    if first is not None and first < first_monday:
        days.append((first, first_monday - timedelta(days=1)))
    if last is not None and last_monday + timedelta(days=6) < last:
        days.append((last_monday + timedelta(days=7), last))
    return PeriodParts(weeks=(first_monday, last_monday), days=days)


# A period of local days as a list of (grain period, first start, last start), each "whole
# years", "whole months", "whole weeks" or "days": the rollup rows of that period whose start
# lies in [first start, last start] (either side None: unbounded) cover exactly those days.
Cover = list[tuple[str, date | None, date | None]]


def _next_year(day: date) -> date:
    return date(day.year + 1, 1, 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def cover_period(first: date | None, last: date | None, weeks: bool = True) -> Cover:
    """Cut [first, last] (inclusive local days; None: unbounded) into whole years, then whole
    months, then whole weeks (or days when `weeks` is false), then days, coarsest first.

    A read of any period then touches at most a few rows per node besides its whole years: up
    to 11 months, 4 or 5 weeks and 6 days at either end."""
    # The first year that starts on or after `first`; the year after the last that ends on or
    # before `last`.
    first_year = end_year = None
    if first is not None:
        first_year = first if (first.month, first.day) == (1, 1) else _next_year(first)
    if last is not None:
        end_year = _next_year(last) if (last.month, last.day) == (12, 31) else date(last.year, 1, 1)
    if first_year is not None and end_year is not None and first_year >= end_year:
        return _cover_months(first, last, weeks)
    cover: Cover = [("year", first_year, None if end_year is None else date(end_year.year - 1, 1, 1))]
    if first is not None and first < first_year:
        cover += _cover_months(first, first_year - timedelta(days=1), weeks)
    if last is not None and end_year <= last:
        cover += _cover_months(end_year, last, weeks)
    return cover


def _cover_months(first: date, last: date, weeks: bool) -> Cover:
    first_month = first if first.day == 1 else _next_month(first)
    end_month = _next_month(last) if _next_month(last) - timedelta(days=1) == last else last.replace(day=1)
    if first_month >= end_month:
        return cover_weeks(first, last, weeks)
    last_start = (end_month - timedelta(days=1)).replace(day=1)
    cover: Cover = [("month", first_month, last_start)]
    if first < first_month:
        cover += cover_weeks(first, first_month - timedelta(days=1), weeks)
    if end_month <= last:
        cover += cover_weeks(end_month, last, weeks)
    return cover


def cover_weeks(first: date | None, last: date | None, weeks: bool = True) -> Cover:
    """Cut [first, last] into whole weeks and the days at either end (or days only when `weeks`
    is false: a grain not kept by week)."""
    if not weeks:
        return [("day", first, last)]
    parts = split_period(first, last)
    cover: Cover = [("day", a, b) for a, b in parts.days]
    if parts.weeks is not None:
        cover.append(("week", *parts.weeks))
    return cover


def week_range(first: date, last: date) -> list[date]:
    """Mondays of every week from the one holding `first` to the one holding `last`."""
    monday, end = week_start(first), week_start(last)
    weeks = []
    while monday <= end:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


# --- indicators per unit (条块联动: how the units a case is dispatched to perform) ---------------
#
# Each count is over the assignments (派遣) dispatched in the period, of cases in the node; the
# SQL that counts them lives in gridcase.stats.unit_indicators and follows these words exactly:
#
# - dispatched (派遣数): assignments the unit received, lead and assisting, returned and withdrawn
#   ones included.
# - sign_on_time_rate (签收及时率) = signed_on_time (signed by the signing due time) / sign_due
#   (signed, or left unsigned past the signing due time: still awaiting a signature now or when
#   the sweep found it late, or returned or withdrawn after it). A return within the limit is an
#   answer in time, not a signature owed; a withdrawal (改派) within it owed nothing.
# - finish_on_time_rate (按期办结率) = finished_on_time (lead assignments done by the finishing
#   due time) / finish_due (lead assignments done, or not done past the finishing due time:
#   still open now or when the sweep found it late, or withdrawn after it). A rework (返工)
#   starts a new finishing clock, and the latest one is the one judged.
# - return_rate (退回率) = returned / dispatched.
# - rework_rate (返工率) = reworked (lead assignments done that were sent back at least once,
#   `rework_count` > 0) / lead_done (lead assignments done); as the case reopen_rate, one sent
#   back and not yet done again counts once it is done again.
# - satisfaction_rate (满意率) = satisfied / revisited over the cases whose lead unit is the unit
#   (the latest lead assignment of the case that is neither returned nor withdrawn), counted as
#   the node's satisfaction_rate counts them (accepted cases; last revisit satisfied or basically
#   satisfied / revisited).
# - median_hours_to_sign (签收时长中位数): median of signed_at − dispatched_at over signed
#   assignments; median_hours_to_finish (办结时长中位数): median of done_at − dispatched_at over
#   lead assignments done (the clock runs from the dispatch, so rework time counts).

UNIT_COUNTS = (
    "dispatched",
    "sign_due",
    "signed_on_time",
    "finish_due",
    "finished_on_time",
    "returned",
    "lead_done",
    "reworked",
    "revisited",
    "satisfied",
)

# key, Chinese name, unit: the order of the by-unit table and its sheet.
UNIT_INDICATORS = (
    ("dispatched", "派遣数", "件"),
    ("sign_on_time_rate", "签收及时率", "%"),
    ("finish_on_time_rate", "按期办结率", "%"),
    ("return_rate", "退回率", "%"),
    ("rework_rate", "返工率", "%"),
    ("satisfaction_rate", "满意率", "%"),
    ("median_hours_to_sign", "签收时长中位数", "小时"),
    ("median_hours_to_finish", "办结时长中位数", "小时"),
)
UNIT_INDICATOR_KEYS = tuple(key for key, _, _ in UNIT_INDICATORS)

UNIT_RATES = {
    "sign_on_time_rate": ("signed_on_time", "sign_due"),
    "finish_on_time_rate": ("finished_on_time", "finish_due"),
    "return_rate": ("returned", "dispatched"),
    "rework_rate": ("reworked", "lead_done"),
    "satisfaction_rate": ("satisfied", "revisited"),
}


def unit_indicators(
    counts: Mapping[str, int],
    median_hours_to_sign: float | None = None,
    median_hours_to_finish: float | None = None,
) -> dict:
    """The indicators of one unit from its counts and medians."""
    count = {name: int(counts.get(name) or 0) for name in UNIT_COUNTS}
    result: dict = {"dispatched": count["dispatched"]}
    for name, (numerator, denominator) in UNIT_RATES.items():
        result[name] = rate(count[numerator], count[denominator])
    result["median_hours_to_sign"] = _hours(median_hours_to_sign)
    result["median_hours_to_finish"] = _hours(median_hours_to_finish)
    return {key: result[key] for key in UNIT_INDICATOR_KEYS}
