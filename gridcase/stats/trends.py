"""Trends that warn (研判): for a node's children and each top-level category, the cases of the
last 7 days against the weeks before (week-on-week) and against the same 7 days a year before
(year-on-year), each with the p-value of the conditional Poisson test (trend_rule) and whether
the rise is flagged at the configured level. The alert scan raises the township ones itself
(stats.alerts._raise_rising_issues); this is the table a centre reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from gridcase.cases.models import Category, accepted_sql
from gridcase.extensions import db
from gridcase.settings import setting
from gridcase.stats.trend_rule import binomial_upper_tail, significant_rise
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region

WEEK = timedelta(days=7)
YEAR = timedelta(days=364)  # 52 weeks: the same weekdays a year before
MAX_ROWS = 200


@dataclass(frozen=True)
class Trend:
    area_code: str
    area: str
    category_code: str
    category: str
    current: int  # cases in the last 7 days
    baseline_mean: float  # per 7 days, over the weeks before
    p_value: float  # week-on-week
    rising: bool
    last_year: int  # the same 7 days a year before
    year_p_value: float  # year-on-year
    rising_on_last_year: bool


def trend_table(region: Region, now: datetime) -> list[Trend]:
    """The node's children (the node itself for a grid) × top-level categories with any case in
    the windows, the most significant rises first."""
    weeks = int(setting("GRIDCASE_RISING_WEEKS"))
    alpha, minimum = float(setting("GRIDCASE_RISING_ALPHA")), int(setting("GRIDCASE_RISING_MIN_COUNT"))
    child_level = db.session.scalar(sa.select(Region.level).where(Region.parent_code == region.code).limit(1))
    area_column = ANCESTOR_COLUMNS[RegionLevel(child_level or region.level)]
    own_column = ANCESTOR_COLUMNS[RegionLevel(region.level)]
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT c.{area_column} AS area, coalesce(cat.parent_code, cat.code) AS top,
                   CASE WHEN c.created_at > :now - interval '{int(YEAR.days)} days'
                        THEN floor(extract(epoch FROM (:now - c.created_at)) / 604800)::int
                        ELSE -1 END AS window,
                   count(*) AS n
            FROM cases c JOIN categories cat ON cat.code = c.category_code
            WHERE c.{own_column} = :node AND {accepted_sql("c")}
              AND ((c.created_at > :since AND c.created_at <= :now)
                   OR (c.created_at > :year_from AND c.created_at <= :year_to))
            GROUP BY 1, 2, 3
            """
        ),
        {
            "node": region.code,
            "now": now,
            "since": now - WEEK * (weeks + 1),
            "year_from": now - YEAR - WEEK,
            "year_to": now - YEAR,
        },
    ).all()
    series: dict[tuple[str, str], list[int]] = {}
    for area, top, window, n in rows:
        counts = series.setdefault((area, top), [0] * (weeks + 2))  # windows 0..weeks, then last year
        counts[window if window >= 0 else weeks + 1] += n
    names = _names(Region, {a for a, _ in series}) | _names(Category, {t for _, t in series})
    table = []
    for (area, top), counts in series.items():
        current, earlier, last_year = counts[0], counts[1 : weeks + 1], counts[weeks + 1]
        rise = significant_rise(current, earlier, alpha, minimum)
        p_value = binomial_upper_tail(current + sum(earlier), current, 1 / (weeks + 1)) if current else 1.0
        year_p = binomial_upper_tail(current + last_year, current, 0.5) if current else 1.0
        table.append(
            Trend(
                area_code=area,
                area=names.get(area, area),
                category_code=top,
                category=names.get(top, top),
                current=current,
                baseline_mean=sum(earlier) / weeks,
                p_value=p_value,
                rising=rise is not None,
                last_year=last_year,
                year_p_value=year_p,
                rising_on_last_year=current >= minimum and year_p < alpha,
            )
        )
    return sorted(table, key=lambda t: (t.p_value, -t.current, t.area_code, t.category_code))[:MAX_ROWS]


def _names(model, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(db.session.execute(sa.select(model.code, model.name).where(model.code.in_(codes))).all())
