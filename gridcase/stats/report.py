"""The monthly report (月报) of a territory node: the month's indicators against the previous
month's, the areas and categories, the series its charts draw, and the 研判分析 written from
them (gridcase.stats.report_analysis).

Everything is read from the rollups (gridcase.stats.rollups) with set-based SQL, like the
indicator table, so a report costs the same in a city of any size. The report is built as plain
JSON (dates in ISO): what the API answers, what the page and the documents print, and — once a
centre issues the month (gridcase.stats.monthly_reports) — the snapshot kept for good.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from gridcase.cases.models import Category
from gridcase.extensions import db
from gridcase.settings import local_tz, setting
from gridcase.stats.indicators import rate
from gridcase.stats.models import Alert, AlertKind, AlertStatus
from gridcase.stats.queries import StatsQuery, indicator_table
from gridcase.stats.report_analysis import (
    MIN_CASES_TO_RANK,
    analysis,
    chinese_span,
    indicator_rows,
    rising_categories,
)
from gridcase.stats.rollups import rollups_refreshed_until
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region

REPORT_TITLE = "矛盾纠纷与事件办理月报"
TOP_CATEGORIES = 8
WORST_COMMUNITIES = 8
# The trend chart's months (the report's and the five before); the months before the report's
# are also the baseline 同类上升 compares with.
TREND_MONTHS = 6
HOTSPOT_GRIDS = 3
# The centre that issues a node's report (发文机关), by the node's level: a township's 综治中心,
# a district's or a city's 社会治理中心 (the county-level 矛调中心 of the Zhejiang practice).
CENTRE_SUFFIXES = {"township": "综治中心", "district": "社会治理中心", "city": "社会治理中心"}


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-11' → Month(2026, 11).

        Raises:
            ValueError: not a YYYY-MM month.
        """
        year, month = text.split("-")
        value = cls(int(year), int(month))
        if not 1 <= value.month <= 12 or not 2000 <= value.year <= 2100:
            raise ValueError(text)
        return value

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def days(self) -> int:
        return self.last.day

    @property
    def chinese(self) -> str:
        return f"{self.year}年{self.month}月"

    def is_over(self, today: date) -> bool:
        return self.last < today

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


@dataclass(frozen=True)
class ReportPeriod:
    """The days a report counts and the days it compares them with. A month not over yet
    (`today` inside it, its last day included: that day is not over either) is a month-to-date:
    its first days up to today, against the same first days of the month before (上月同期),
    never that whole month."""

    month: Month
    first: date
    last: date
    previous_first: date
    previous_last: date
    to_date: bool

    @classmethod
    def of(cls, month: Month, today: date) -> ReportPeriod:
        before = month.previous
        if month.first <= today <= month.last:
            same_days = min(before.last, before.first + timedelta(days=today.day - 1))
            return cls(month, month.first, today, before.first, same_days, True)
        return cls(month, month.first, month.last, before.first, before.last, False)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def centre_name(region: Region) -> str | None:
    """The centre of a node's level that issues its report, or None below the township."""
    suffix = CENTRE_SUFFIXES.get(region.level)
    return f"{region.name}{suffix}" if suffix else None


def build_report(region: Region, month: Month, today: date, now: datetime) -> dict:
    """The report of a node's month as the figures stand now, as plain JSON: the indicator
    table against the month before, the children, categories, weakest communities, the charts'
    series, hotspots, 同类上升 and the 研判分析. The centre's text and the issue are added by
    gridcase.stats.monthly_reports."""
    period = ReportPeriod.of(month, today)
    this = indicator_table(StatsQuery(region, period.first, period.last), now)
    before = indicator_table(StatsQuery(region, period.previous_first, period.previous_last), now)
    trend = _trend(region, period)
    categories, rising, baseline_months = _categories(region, period, trend)
    report = {
        "region": this["region"],
        **_headline(region, period),
        "indicators": this["indicators"],
        "previous": before["indicators"],
        "rows": indicator_rows(this["indicators"], before["indicators"]),
        "children": this["children"],
        "top_categories": _top_categories(region, period),
        "worst_communities": _worst_communities(region, period),
        "trend": trend,
        "by_area": _by_area(this["children"]),
        "by_category": categories,
        "baseline_months": baseline_months,
        "rising": rising,
        "hotspot_grids": _hotspot_grids(region, period),
        "hotspot_alerts": _hotspot_alerts(region, period, now),
        "generated_at": now.isoformat(),
        "figures_as_of": _iso(rollups_refreshed_until()),
    }
    alpha, minimum = float(setting("GRIDCASE_RISING_ALPHA")), int(setting("GRIDCASE_RISING_MIN_COUNT"))
    report["analysis"] = analysis(report, alpha, minimum)
    return report


def _headline(region: Region, period: ReportPeriod) -> dict:
    """What the report is: its title, issuing centre, the days counted and compared with."""
    month = period.month
    subtitle = month.chinese
    if period.to_date:
        subtitle += f"，月度累计，截至{period.last.month}月{period.last.day}日"
    return {
        "month": str(month),
        "previous_month": str(month.previous),
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "previous_first": period.previous_first.isoformat(),
        "previous_last": period.previous_last.isoformat(),
        "to_date": period.last.isoformat() if period.to_date else None,
        "previous_to": period.previous_last.isoformat() if period.to_date else None,
        "title": f"{region.name}{REPORT_TITLE}（{subtitle}）",
        "subtitle": subtitle,
        "issuer": centre_name(region),
        "period": chinese_span(period.first, period.last) + ("（月度累计）" if period.to_date else ""),
        "comparison": chinese_span(period.previous_first, period.previous_last)
        + ("（上月同期）" if period.to_date else "（上月）"),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- reading the rollups -------------------------------------------------------------------------


def _rows_level(region: Region) -> str:
    """The rollup rows a node's figures are summed from here: its communities' (its grids' for a
    community or a grid)."""
    return "grid" if region.level in ("community", "grid") else "community"


def _node_condition(region: Region) -> str:
    """Rollup rows inside the node: the node's code in the matching ancestor column."""
    if region.level == RegionLevel.GRID.value:
        return "region_code = :node"
    return f"{ANCESTOR_COLUMNS[RegionLevel(region.level)]} = :node"


def _trend(region: Region, period: ReportPeriod) -> list[dict]:
    """受理数 and 化解数 of each of the TREND_MONTHS months up to the report's (to its last day
    counted), by the cases' creation month."""
    months = [period.month]
    while len(months) < TREND_MONTHS:
        months.insert(0, months[0].previous)
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT date_trunc('month', period_start)::date AS m, SUM(accepted), SUM(resolved)
            FROM stats_rollups
            WHERE grain = :grain AND period_start BETWEEN :first AND :last AND {_node_condition(region)}
            GROUP BY 1
            """
        ),
        {
            "grain": f"day:{_rows_level(region)}:all",
            "first": months[0].first,
            "last": period.last,
            "node": region.code,
        },
    ).all()
    counts = {m: (int(a), int(r)) for m, a, r in rows}
    return [
        {
            "month": str(m),
            "label": f"{m.month}月",
            "accepted": counts.get(m.first, (0, 0))[0],
            "resolved": counts.get(m.first, (0, 0))[1],
            "partial": period.to_date and m == period.month,
        }
        for m in months
    ]


def _categories(region: Region, period: ReportPeriod, trend: list[dict]) -> tuple[list, list, int]:
    """Accepted cases by top-level category (大类) in the period, the ones rising significantly
    against the months before, and how many months that baseline holds.

    The baseline is the months of the trend before the report's, from the first one with any
    case in the node: months before the node's cases were logged here are no evidence of a
    quiet month."""
    earlier = trend[:-1]
    while earlier and earlier[0]["accepted"] == 0:
        earlier = earlier[1:]
    baseline_first = Month.parse(earlier[0]["month"]).first if earlier else period.first
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT coalesce(c.parent_code, c.code) AS top, r.period_start >= :current AS now,
                   SUM(r.accepted) AS accepted
            FROM stats_rollups r JOIN categories c ON c.code = r.category_code
            WHERE r.grain = :grain AND r.period_start BETWEEN :first AND :last
              AND r.{_node_condition(region)}
            GROUP BY 1, 2
            """
        ),
        {
            "grain": f"day:{_rows_level(region)}:category",
            "first": baseline_first,
            "current": period.first,
            "last": period.last,
            "node": region.code,
        },
    ).all()
    counts: dict[str, list[int]] = {}
    for top, is_now, accepted in rows:
        counts.setdefault(top, [0, 0])[0 if is_now else 1] += int(accepted)
    names = _names(Category, set(counts))
    by_category = sorted(
        (
            {"code": code, "name": names.get(code, code), "accepted": n[0]}
            for code, n in counts.items()
            if n[0]
        ),
        key=lambda c: (-c["accepted"], c["code"]),
    )
    baseline_days = sum(Month.parse(m["month"]).days for m in earlier)
    rising = rising_categories(
        {code: (names.get(code, code), n[0], n[1]) for code, n in counts.items()},
        period.days,
        baseline_days,
        float(setting("GRIDCASE_RISING_ALPHA")),
        int(setting("GRIDCASE_RISING_MIN_COUNT")),
    )
    return by_category, [asdict(r) for r in rising], len(earlier)


def _by_area(children: list[dict]) -> list[dict]:
    areas = [
        {"code": c["code"], "name": c["name"], "accepted": c["indicators"]["accepted"]} for c in children
    ]
    return sorted(areas, key=lambda a: (-a["accepted"], a["code"]))


def _top_categories(region: Region, period: ReportPeriod) -> list[dict]:
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT category_code, SUM(accepted) AS accepted, SUM(resolved) AS resolved
            FROM stats_rollups
            WHERE grain = :grain AND period_start BETWEEN :first AND :last AND {_node_condition(region)}
            GROUP BY category_code
            HAVING SUM(accepted) > 0
            ORDER BY SUM(accepted) DESC, category_code
            LIMIT :top
            """
        ),
        {
            "grain": f"day:{_rows_level(region)}:category",
            "first": period.first,
            "last": period.last,
            "node": region.code,
            "top": TOP_CATEGORIES,
        },
    ).all()
    names = _names(Category, {r[0] for r in rows})
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "accepted": int(accepted),
            "resolved": int(resolved),
            "resolution_rate": rate(resolved, accepted),
        }
        for code, accepted, resolved in rows
    ]


def _worst_communities(region: Region, period: ReportPeriod) -> list[dict]:
    """Communities of the node with the lowest resolution rate (then on-time rate) this month."""
    if region.level in ("community", "grid"):
        return []
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT r.region_code, g.name, SUM(r.accepted) AS accepted, SUM(r.resolved) AS resolved,
                   SUM(r.resolved_on_time) AS on_time, SUM(r.escalated) AS escalated
            FROM stats_rollups r JOIN regions g ON g.code = r.region_code
            WHERE r.grain = 'day:community:all' AND r.period_start BETWEEN :first AND :last
              AND r.{_node_condition(region)}
            GROUP BY r.region_code, g.name
            HAVING SUM(r.accepted) >= :minimum
            """
        ),
        {"first": period.first, "last": period.last, "node": region.code, "minimum": MIN_CASES_TO_RANK},
    ).all()
    ranked = [
        {
            "code": code,
            "name": name,
            "accepted": int(accepted),
            "resolved": int(resolved),
            "resolution_rate": rate(resolved, accepted),
            "on_time_rate": rate(on_time, resolved),
            "escalation_rate": rate(escalated, accepted),
        }
        for code, name, accepted, resolved, on_time, escalated in rows
    ]
    ranked.sort(key=lambda c: (c["resolution_rate"] or 0, c["on_time_rate"] or 0, c["code"]))
    return ranked[:WORST_COMMUNITIES]


def _hotspot_grids(region: Region, period: ReportPeriod) -> list[dict]:
    """The grids of the node with most accepted cases in the period."""
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT r.region_code, g.name, SUM(r.accepted) AS accepted
            FROM stats_rollups r JOIN regions g ON g.code = r.region_code
            WHERE r.grain = 'day:grid:all' AND r.period_start BETWEEN :first AND :last
              AND r.{_node_condition(region)}
            GROUP BY r.region_code, g.name
            HAVING SUM(r.accepted) > 0
            ORDER BY SUM(r.accepted) DESC, r.region_code
            LIMIT :top
            """
        ),
        {"first": period.first, "last": period.last, "node": region.code, "top": HOTSPOT_GRIDS},
    ).all()
    return [{"code": code, "name": name, "accepted": int(accepted)} for code, name, accepted in rows]


def _hotspot_alerts(region: Region, period: ReportPeriod, now: datetime) -> dict:
    """The node's hotspot (同类高发) and rising-issue (同类上升) alerts opened in the period, and
    how many of them are not closed out (销号) now."""
    column = getattr(Alert, ANCESTOR_COLUMNS[RegionLevel(region.level)])
    start = datetime.combine(period.first, time(), local_tz())
    end = datetime.combine(period.last + timedelta(days=1), time(), local_tz())
    rows = db.session.execute(
        sa.select(
            Alert.kind,
            sa.func.count(),
            sa.func.count().filter(Alert.status != AlertStatus.CLOSED.value),
        )
        .where(
            column == region.code,
            Alert.kind.in_([AlertKind.HOTSPOT.value, AlertKind.RISING_ISSUE.value]),
            Alert.opened_at >= start,
            Alert.opened_at < min(end, now),
        )
        .group_by(Alert.kind)
    ).all()
    counts = {kind: (n, still_open) for kind, n, still_open in rows}
    return {
        "hotspot": counts.get(AlertKind.HOTSPOT.value, (0, 0))[0],
        "rising_issue": counts.get(AlertKind.RISING_ISSUE.value, (0, 0))[0],
        "open": sum(still_open for _, still_open in counts.values()),
    }


def _names(model, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(db.session.execute(sa.select(model.code, model.name).where(model.code.in_(codes))).all())
