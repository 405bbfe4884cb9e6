"""The words of the monthly report (月报): its indicator table as the document prints it, and the
研判分析 — numbered paragraphs built from the report's figures by fixed rules, so that two
reports of the same figures say the same thing. Pure: no database, no app.

The rules (DESIGN §5, "The monthly report"):
- 总体情况: the period's 受理数, 化解数 and 化解率 against the month before (or its same days).
- 指标变化: every indicator with a better direction that moved, sorted into better and worse.
- 同类上升: each top-level category's count against the months before by the conditional test
  for Poisson counts the 研判 uses (trend_rule), with the windows' lengths in days as exposures:
  given n = x + the baseline's cases, x ~ Bin(n, d / (d + D)) were the rate unchanged, d the
  period's days and D the baseline months' days; flagged when P(X ≥ x) < alpha with at least
  `minimum` cases (GRIDCASE_RISING_ALPHA, GRIDCASE_RISING_MIN_COUNT: the alert scan's own).
- 热点: the grids with most cases, and the hotspot and rising-issue alerts of the period.
- 需关注地区: the child areas whose 化解率 is below the node's, with at least MIN_CASES_TO_RANK
  cases; and the communities with the lowest 化解率, when the children are not communities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gridcase.stats.trend_rule import binomial_upper_tail

# (key, Chinese name, unit, higher is better: True, False, or None for a count with no better
# direction) in the order of the report's table. 超期未办结 is a live count: shown, not compared.
REPORT_ROWS = (
    ("accepted", "受理数", "件", None),
    ("resolved", "化解数", "件", None),
    ("resolution_rate", "化解率", "%", True),
    ("local_resolution_rate", "就地化解率", "%", True),
    ("township_containment_rate", "大事不出镇率", "%", True),
    ("on_time_rate", "按期办结率", "%", True),
    ("escalation_rate", "上交率", "%", False),
    ("reopen_rate", "返工率", "%", False),
    ("satisfaction_rate", "满意率", "%", True),
    ("agreement_performance_rate", "协议履行率", "%", True),
    ("median_hours_to_accept", "响应时长中位数", "小时", False),
    ("median_hours_to_resolve", "办结时长中位数", "小时", False),
    ("overdue_open", "超期未办结（当前）", "件", None),
)
NOT_COMPARED = frozenset({"overdue_open"})
# A community or area with fewer cases than this in the period says little about how it works.
MIN_CASES_TO_RANK = 3
HEADINGS = "一二三四五六七八九十"
DASH = "—"


# --- figures as the report prints them -----------------------------------------------------------


def figure_text(value, unit: str) -> str:
    """A figure as printed: a rate in percent to one decimal, hours to one decimal, a count."""
    if value is None:
        return DASH
    if unit == "%":
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def change_text(delta, unit: str) -> str:
    """A change as printed: percentage points for a rate, signed."""
    if delta is None:
        return DASH
    if unit == "%":
        return f"{delta * 100:+.1f}个百分点"
    if isinstance(delta, float):
        return f"{delta:+.1f}"
    return f"{delta:+d}"


def indicator_rows(now: dict, before: dict) -> list[dict]:
    """The report's indicator table: each indicator this period and the one compared with, the
    change, whether it is better (True), worse (False) or neither (None), and their texts."""
    rows = []
    for key, name, unit, higher_better in REPORT_ROWS:
        value, previous = now.get(key), before.get(key)
        delta = None
        if key not in NOT_COMPARED and value is not None and previous is not None:
            delta = round(value - previous, 4) if isinstance(value, float) else value - previous
        better = None
        if delta and higher_better is not None:
            better = (delta > 0) == higher_better
        rows.append(
            {
                "key": key,
                "name": name,
                "unit": unit,
                "value": value,
                "previous": previous,
                "change": delta,
                "better": better,
                "text": figure_text(value, unit),
                "previous_text": figure_text(previous, unit),
                "change_text": change_text(delta, unit),
            }
        )
    return rows


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_span(first: date, last: date) -> str:
    """2026年11月1日至11月30日 (the year once when both days share it)."""
    end = f"{last.month}月{last.day}日" if last.year == first.year else chinese_date(last)
    return f"{chinese_date(first)}至{end}"


# --- 同类上升: a category's month against the months before ------------------------------------


@dataclass(frozen=True)
class RisingCategory:
    code: str
    name: str
    current: int  # cases in the period
    expected: float  # what the baseline's rate gives over the period's days
    p_value: float


def rising_categories(
    counts: dict[str, tuple[str, int, int]],
    days: int,
    baseline_days: int,
    alpha: float,
    minimum: int,
) -> list[RisingCategory]:
    """The categories whose count rose significantly: `counts` maps a category code to (name,
    cases in the period of `days` days, cases in the baseline of `baseline_days` days)."""
    if days <= 0 or baseline_days <= 0:
        return []
    share = days / (days + baseline_days)
    rising = []
    for code, (name, current, baseline) in counts.items():
        if current < minimum:
            continue
        p_value = binomial_upper_tail(current + baseline, current, share)
        if p_value < alpha:
            expected = baseline * days / baseline_days
            rising.append(RisingCategory(code, name, current, round(expected, 1), float(f"{p_value:.3g}")))
    return sorted(rising, key=lambda r: (r.p_value, -r.current, r.code))


# --- 研判分析 -------------------------------------------------------------------------------------


def analysis(report: dict, alpha: float, minimum: int) -> list[str]:
    """The numbered paragraphs of 研判分析, from the report's figures (see the module's rules)."""
    paragraphs = [
        ("总体情况", _overall(report)),
        ("指标变化", _changes(report)),
        ("同类上升", _rising(report, alpha, minimum)),
        ("热点区域", _hotspots(report)),
        ("需关注地区", _areas_off_target(report)),
    ]
    kept = [(title, text) for title, text in paragraphs if text]
    # Numbered as the second level of an official document (（一）…), the report's own sections
    # being the first (一、…): GB/T 9704-2012 §7.3.3.
    return [f"（{HEADINGS[i]}）{title}。{text}" for i, (title, text) in enumerate(kept)]


def _this_and_that(report: dict) -> tuple[str, str]:
    if report["to_date"]:
        return "本月1日至" + _day_of(report["to_date"]), "上月同期"
    return "本月", "上月"


def _day_of(iso: str) -> str:
    return f"{int(iso[8:10])}日"


def _overall(report: dict) -> str:
    this, that = _this_and_that(report)
    now, before = report["indicators"], report["previous"]
    text = f"{this}{_accepted_and_resolved(now)}；{that}{_accepted_and_resolved(before)}。"
    if now["overdue_open"]:
        text += f"目前仍有{now['overdue_open']}件超期未办结。"
    return text


def _accepted_and_resolved(figures: dict) -> str:
    if not figures["accepted"]:
        return "未受理案件"
    rate_text = figure_text(figures["resolution_rate"], "%")
    return f"受理{figures['accepted']}件，化解{figures['resolved']}件，化解率{rate_text}"


def _changes(report: dict) -> str:
    _, that = _this_and_that(report)
    better = [_moved(row) for row in report["rows"] if row["better"] is True]
    worse = [_moved(row) for row in report["rows"] if row["better"] is False]
    if not better and not worse:
        return f"与{that}相比，有方向的指标均无变化或无可比数据。"
    parts = []
    if better:
        parts.append("向好的有" + "、".join(better))
    if worse:
        parts.append("变差的有" + "、".join(worse))
    return f"与{that}相比，" + "；".join(parts) + "。"


def _moved(row: dict) -> str:
    return f"{row['name']}{row['change_text']}（{row['previous_text']}→{row['text']}）"


def _rising(report: dict, alpha: float, minimum: int) -> str:
    months = report["baseline_months"]
    if not months:
        return "此前月份没有数据，不作同类上升检验。"
    rules = f"（条件泊松检验，按天数折算，p<{alpha:g}且不少于{minimum}件）"
    if not report["rising"]:
        return f"与前{months}个月相比，各大类受理数均无显著上升{rules}。"
    items = [
        f"{r['name']}{r['current']}件（按前{months}个月的水平应约{r['expected']:.1f}件，p={r['p_value']:.2g}）"
        for r in report["rising"]
    ]
    return f"与前{months}个月相比，显著上升的大类有：" + "；".join(items) + f"{rules}。"


def _hotspots(report: dict) -> str:
    grids = report["hotspot_grids"]
    alerts = report["hotspot_alerts"]
    parts = []
    if grids:
        parts.append("受理最多的网格是" + "、".join(f"{g['name']}（{g['accepted']}件）" for g in grids))
    raised = alerts["hotspot"] + alerts["rising_issue"]
    if raised:
        parts.append(
            f"本期发出同类高发预警{alerts['hotspot']}条、同类上升预警{alerts['rising_issue']}条，"
            f"其中{alerts['open']}条尚未销号"
        )
    return "；".join(parts) + "。" if parts else ""


def _areas_off_target(report: dict) -> str:
    node = report["region"]["name"]
    node_rate = report["indicators"]["resolution_rate"]
    parts = []
    if node_rate is not None and report["children"]:
        below = [
            c
            for c in report["children"]
            if c["indicators"]["accepted"] >= MIN_CASES_TO_RANK
            and c["indicators"]["resolution_rate"] is not None
            and c["indicators"]["resolution_rate"] < node_rate
        ]
        below.sort(key=lambda c: (c["indicators"]["resolution_rate"], c["code"]))
        if below:
            listed = "、".join(_area_rate(c["name"], c["indicators"]) for c in below[:5])
            more = f"等{len(below)}个" if len(below) > 5 else ""
            parts.append(f"化解率低于{node}整体（{figure_text(node_rate, '%')}）的有{listed}{more}")
        else:
            parts.append(f"受理{MIN_CASES_TO_RANK}件以上的下级区域化解率均不低于{node}整体")
    children_are_communities = bool(report["children"]) and report["children"][0]["level"] == "community"
    if report["worst_communities"] and not children_are_communities:
        listed = "、".join(_area_rate(c["name"], c) for c in report["worst_communities"][:3])
        parts.append(f"化解率最低的村社区是{listed}")
    return "；".join(parts) + "。" if parts else ""


def _area_rate(name: str, figures: dict) -> str:
    return f"{name}（{figure_text(figures['resolution_rate'], '%')}，受理{figures['accepted']}件）"
