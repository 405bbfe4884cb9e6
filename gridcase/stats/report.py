"""The monthly report (月报) of a territory node: the month's indicators against the previous
month's, the categories with most cases, and the communities that did worst.

Everything is read from the rollups (gridcase.stats.rollups) with set-based SQL, like the
indicator table, so a report costs the same in a city of any size.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from gridcase.cases.models import Category
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.stats.indicators import rate
from gridcase.stats.queries import StatsQuery, indicator_table, stats_region
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region

TOP_CATEGORIES = 8
WORST_COMMUNITIES = 8
# A community with fewer cases than this in the month says little about how it works.
MIN_CASES_TO_RANK = 3


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

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


def monthly_report(viewer: User, region_code: str | None, month: Month, today: date | None = None) -> dict:
    """The report's figures for a node in the viewer's scope. A month not over yet (`today`
    inside it) is a month-to-date: its first days up to today, compared with the same first days
    of the month before (上月同期), never with that whole month — and the report says so.

    Raises:
        Forbidden / NotFound: as for the indicator table.
    """
    region = stats_region(viewer, region_code)
    last, previous_last = month.last, month.previous.last
    to_date = today is not None and month.first <= today < month.last
    if to_date:
        last = today
        previous_last = min(month.previous.last, month.previous.first + timedelta(days=today.day - 1))
    this = indicator_table(StatsQuery(region, month.first, last))
    before = indicator_table(StatsQuery(region, month.previous.first, previous_last))
    return {
        "region": this["region"],
        "month": str(month),
        "previous_month": str(month.previous),
        "to_date": last if to_date else None,  # the last day counted, for a month-to-date
        "previous_to": previous_last if to_date else None,
        "indicators": this["indicators"],
        "previous": before["indicators"],
        "children": this["children"],
        "top_categories": _top_categories(region, month),
        "worst_communities": _worst_communities(region, month),
    }


def _node_condition(region: Region):
    """Rollup rows inside the node: the node's code in the matching ancestor column."""
    if region.level == RegionLevel.GRID.value:
        return sa.text("region_code = :node")
    column = ANCESTOR_COLUMNS[RegionLevel(region.level)]
    return sa.text(f"{column} = :node")


def _top_categories(region: Region, month: Month) -> list[dict]:
    level = "grid" if region.level in ("community", "grid") else "community"
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT category_code, SUM(accepted) AS accepted, SUM(resolved) AS resolved
            FROM stats_rollups
            WHERE grain = :grain AND period_start BETWEEN :first AND :last AND {_node_condition(region).text}
            GROUP BY category_code
            HAVING SUM(accepted) > 0
            ORDER BY SUM(accepted) DESC, category_code
            LIMIT :top
            """
        ),
        {
            "grain": f"day:{level}:category",
            "first": month.first,
            "last": month.last,
            "node": region.code,
            "top": TOP_CATEGORIES,
        },
    ).all()
    names = dict(
        db.session.execute(
            sa.select(Category.code, Category.name).where(Category.code.in_([r[0] for r in rows]))
        ).all()
    )
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "accepted": accepted,
            "resolved": resolved,
            "resolution_rate": rate(resolved, accepted),
        }
        for code, accepted, resolved in rows
    ]


def _worst_communities(region: Region, month: Month) -> list[dict]:
    """Communities of the node with the lowest resolution rate (then on-time rate) this month."""
    if region.level in ("community", "grid"):
        return []
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT r.region_code, g.name, SUM(r.accepted) AS accepted, SUM(r.resolved) AS resolved,
                   SUM(r.resolved_on_time) AS on_time, SUM(r.escalated) AS escalated
            FROM stats_rollups r JOIN regions g ON g.code = r.region_code
            WHERE r.grain = 'day:community:kind' AND r.period_start BETWEEN :first AND :last
              AND r.{_node_condition(region).text}
            GROUP BY r.region_code, g.name
            HAVING SUM(r.accepted) >= :minimum
            """
        ),
        {"first": month.first, "last": month.last, "node": region.code, "minimum": MIN_CASES_TO_RANK},
    ).all()
    ranked = [
        {
            "code": code,
            "name": name,
            "accepted": accepted,
            "resolved": resolved,
            "resolution_rate": rate(resolved, accepted),
            "on_time_rate": rate(on_time, resolved),
            "escalation_rate": rate(escalated, accepted),
        }
        for code, name, accepted, resolved, on_time, escalated in rows
    ]
    ranked.sort(key=lambda c: (c["resolution_rate"] or 0, c["on_time_rate"] or 0, c["code"]))
    return ranked[:WORST_COMMUNITIES]
