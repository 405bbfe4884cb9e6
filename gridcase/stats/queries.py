"""The indicator table of a territory node over a period (DESIGN §5): the node, one row per
child node and a weekly series, read from the rollups (the overdue count too: as of their last
refresh, gridcase.stats.indicators)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import numpy as np
import sqlalchemy as sa

from gridcase.cases.models import Case, Category
from gridcase.connections import binary_results
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import CASE_READER_ROLES, Role
from gridcase.people.scope import covers_region, territory_column
from gridcase.settings import local_tz, utcnow
from gridcase.stats.histogram import (
    MEDIAN_RELATIVE_PRECISION,
    WIRE_HEADER_BYTES,
    dense_histograms,
    medians,
)
from gridcase.stats.indicators import (
    COUNTS,
    Cover,
    cover_period,
    cover_weeks,
    indicators,
    week_range,
)
from gridcase.stats.rollups import ALL, GRAINS, Grain, grain_for, rollups_refreshed_until
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region

# The longest period a question may cover, and the longest weekly series an answer carries
# (an open-ended period is cut to its latest weeks): both bound what one request costs.
MAX_PERIOD_DAYS = 3653
MAX_SERIES_WEEKS = 522

# Which figures a summed row holds: the node's, a child's or a week's.
_NODE, _CHILD, _WEEK = 3, 1, 2


@dataclass(frozen=True)
class StatsQuery:
    """What the indicator table is asked for: a node in scope, a period of local days
    (inclusive, None for unbounded), and optionally a kind and a category (with its children)."""

    region: Region
    first: date | None = None
    last: date | None = None
    kind: str | None = None
    categories: tuple[str, ...] | None = None

    @property
    def category_detail(self) -> str | None:
        """The rollups' detail that answers the category asked: "group" for a category group
        (大类, listed with its categories), "category" for one category, None if none is asked."""
        if not self.categories:
            return None
        return "group" if len(self.categories) > 1 else "category"

    def header(self) -> dict:
        """What a table of figures is about, as its answer begins (StatsPeriodSchema)."""
        region = self.region
        return {
            "region": {"code": region.code, "name": region.name, "level": region.level},
            "from": self.first,
            "to": self.last,
            "kind": self.kind,
            "category": self.categories[0] if self.categories else None,
        }

    def case_conditions(self, timestamp: str) -> tuple[list[str], dict]:
        """SQL conditions, and their parameters, on the node's cases `c` and on a timestamp
        column (`a.dispatched_at`, `s.issued_at` …) within the period's local days, of the
        kind and categories asked: for the tables counted live from other rows of cases."""
        params: dict = {"node": self.region.code}
        conditions = [f"c.{territory_column(Case, self.region.level).key} = :node"]
        if self.first:
            conditions.append(f"{timestamp} >= :start")
            params["start"] = datetime.combine(self.first, time(), local_tz())
        if self.last:
            conditions.append(f"{timestamp} < :end")
            params["end"] = datetime.combine(self.last + timedelta(days=1), time(), local_tz())
        if self.kind:
            conditions.append("c.kind = :kind")
            params["kind"] = self.kind
        if self.categories:
            conditions.append("c.category_code = ANY(:categories)")
            params["categories"] = list(self.categories)
        return conditions, params


def stats_query(viewer: User, filters: dict) -> StatsQuery:
    """Check the viewer's right to the node and the filters, and make the query.

    Raises:
        Forbidden: the role never reads statistics (admin, auditor).
        NotFound: the region does not exist or lies outside the viewer's scope.
        Unprocessable: an unknown category, or a period that ends before it starts.
    """
    region = stats_region(viewer, filters.get("region"))
    first, last = filters.get("from"), filters.get("to")
    if first and last and first > last:
        raise Unprocessable("The period ends before it starts.", {"to": ["Must be on or after from."]})
    if first and last and (last - first).days >= MAX_PERIOD_DAYS:
        raise Unprocessable(
            "A period is at most ten years.", {"from": [f"At most {MAX_PERIOD_DAYS} days before to."]}
        )
    categories = None
    if filters.get("category"):
        categories = tuple(category_and_children(filters["category"]))
    return StatsQuery(region, first, last, filters.get("kind"), categories)


def stats_region(viewer: User, code: str | None) -> Region:
    """The node a viewer asks statistics for (default: their scope node).

    Raises:
        Forbidden: the role never reads statistics.
        NotFound: no such node in the viewer's scope.
    """
    if viewer.role not in CASE_READER_ROLES:  # handlers, and grid workers for their grids
        raise Forbidden("Your role does not read statistics.")
    code = (code or viewer.scope_code).strip()
    region = db.session.get(Region, code)
    if region is None or not _covers(viewer, region):
        raise NotFound(Message("No territory node %(code)s in your scope.", code=str(code)))
    return region


def _covers(viewer: User, region: Region) -> bool:
    if viewer.role == Role.GRID_WORKER:
        return region.level == "grid" and any(grid.code == region.code for grid in viewer.grids)
    return covers_region(viewer, region)


def category_and_children(code: str) -> list[str]:
    """A category code with the codes of its categories when it is a group (大类).

    Raises:
        Unprocessable: no such category.
    """
    if db.session.get(Category, code) is None:
        raise Unprocessable("Unknown category.", {"category": [f"No category {code}."]})
    children = db.session.scalars(sa.select(Category.code).where(Category.parent_code == code))
    return [code, *children]


def indicator_table(query: StatsQuery, now: datetime | None = None) -> dict:
    """The indicators of the node, of each child node and of each week of the period."""
    now = now or utcnow()
    region = query.region
    children = db.session.execute(
        sa.select(Region.code, Region.name, Region.level)
        .where(Region.parent_code == region.code)
        .order_by(Region.code)
    ).all()
    # A node's figures are the sum of its children's rollup rows; a grid's are its own rows.
    # The weekly series is read from the node's own rows.
    level = children[0].level if children else "grid"
    node_column = "parent_code" if children else "region_code"
    today = now.astimezone(local_tz()).date()
    rollup_query = _open_ended(query, today)
    parts = [_totals(rollup_query, level, node_column), _series(rollup_query)]

    counts, median_hours = _rollup_figures(parts)

    def figures(group: int, child: str | None = None, week: date | None = None) -> dict:
        key = (group, child, week)
        accept, resolve = median_hours.get((*key, "a")), median_hours.get((*key, "r"))
        return indicators(counts.get(key, {}), accept, resolve)

    data_weeks = [week for group, _, week in counts if group == _WEEK]
    series_first = query.first or (min(data_weeks) if data_weeks else None)
    series_last = query.last or max([today, *data_weeks])
    if series_first:
        series_first = max(series_first, series_last - timedelta(weeks=MAX_SERIES_WEEKS - 1))
    weeks = week_range(series_first, series_last) if series_first else []
    return {
        **query.header(),
        "indicators": figures(_NODE),
        "children": [
            {"code": c.code, "name": c.name, "level": c.level, "indicators": figures(_CHILD, child=c.code)}
            for c in children
        ],
        "series": [{"week_start": week, "indicators": figures(_WEEK, week=week)} for week in weeks],
        "refreshed_until": rollups_refreshed_until(),
        "median_relative_precision": round(MEDIAN_RELATIVE_PRECISION, 4),
    }


# --- reading the rollups -------------------------------------------------------------------------


def _open_ended(query: StatsQuery, today: date) -> StatsQuery:
    """The query whose rollup rows to read: a period that reaches today is read as one without
    an end. No case is created after today, so the rows of the current year, month and week
    hold the same cases as the days up to today, and a year's read ending today takes the
    year's row instead of its months, weeks and days (a third of the rows of "the last 365
    days"; each row of a busy node holds up to ~160 buckets a measure)."""
    if query.last is not None and query.last >= today:
        return replace(query, last=None)
    return query


_HISTOGRAM_COLUMNS = ("accept_buckets", "accept_counts", "resolve_buckets", "resolve_counts")


@dataclass(frozen=True)
class _Part:
    """Rollup rows a table sums: `group` (_CHILD or _WEEK), the SELECT of the rows, each with its
    child node or its week, and its parameters."""

    group: int
    sql: str
    params: dict


def _totals(query: StatsQuery, level: str, node_column: str) -> _Part:
    """Each child's rows over the period at the coarsest grains that hold it: whole years, then
    whole months, weeks and days at the ends (a few dozen rows per child, whatever the history)."""
    detail = grain_for("day", level, query.category_detail, bool(query.kind)).detail
    if Grain("year", level, detail) not in GRAINS:
        cover: Cover = _weeks_and_days(query, level, detail)
    else:
        cover = cover_period(query.first, query.last, weeks=Grain("week", level, detail) in GRAINS)
    return _part(query, _CHILD, "s.region_code", "NULL::date", level, node_column, cover)


def _series(query: StatsQuery) -> _Part:
    """The node's own rows over the period, whole weeks from weekly rows and the days at either
    end from daily ones, each labelled with its week."""
    level = query.region.level
    detail = grain_for("day", level, query.category_detail, bool(query.kind)).detail
    week = "s.period_start - (extract(isodow FROM s.period_start)::int - 1)"
    return _part(query, _WEEK, "NULL", week, level, "region_code", _weeks_and_days(query, level, detail))


def _weeks_and_days(query: StatsQuery, level: str, detail: str) -> Cover:
    return cover_weeks(query.first, query.last, weeks=Grain("week", level, detail) in GRAINS)


def _part(
    query: StatsQuery, group: int, child: str, week: str, level: str, node_column: str, cover: Cover
) -> _Part:
    category_detail = query.category_detail
    prefix = f"p{group}_"
    params: dict = {f"{prefix}node": query.region.code}
    conditions = [f"s.{node_column} = :{prefix}node"]
    if category_detail == "group":  # the group's own rows (gridcase.stats.rollups)
        conditions.append(f"s.category_code = :{prefix}group")
        params[f"{prefix}group"] = query.categories[0]
    elif category_detail:
        conditions.append(f"s.category_code = ANY(:{prefix}categories)")
        params[f"{prefix}categories"] = list(query.categories)
    else:
        conditions.append(f"s.category_code = :{prefix}all")
        params[f"{prefix}all"] = ALL
    if query.kind:
        conditions.append(f"s.kind = :{prefix}kind")
        params[f"{prefix}kind"] = query.kind
    selects = []
    for index, (period, first, last) in enumerate(cover):
        where = [*conditions, f"s.grain = :{prefix}grain_{index}"]
        params[f"{prefix}grain_{index}"] = grain_for(period, level, category_detail, bool(query.kind)).name
        if first is not None:
            where.append(f"s.period_start >= :{prefix}first_{index}")
            params[f"{prefix}first_{index}"] = first
        if last is not None:
            where.append(f"s.period_start <= :{prefix}last_{index}")
            params[f"{prefix}last_{index}"] = last
        selects.append(where)
    columns = ", ".join(f"s.{name}" for name in COUNTS)
    sql = " UNION ALL ".join(
        f"SELECT {group} AS g, {child} AS child, {week} AS week, "
        f"{columns}, {', '.join(f's.{name}' for name in _HISTOGRAM_COLUMNS)} "
        f"FROM stats_rollups s WHERE {' AND '.join(where)}"
        for where in selects
    )
    return _Part(group, sql, params)


def _union(parts: list[_Part]) -> tuple[str, dict]:
    params: dict = {}
    for part in parts:
        params.update(part.params)
    return " UNION ALL ".join(part.sql for part in parts), params


def _rollup_counts(parts: list[_Part]) -> dict:
    """{(grouping, child, week): {count: n}} for the node, each child and each week; the node's
    counts are the sum of its children's."""
    counts, _ = _summed(parts, histograms=False)
    return counts


def _rollup_figures(parts: list[_Part]) -> tuple[dict, dict]:
    """The counts of `_rollup_counts`, and {(grouping, child, week, "a"|"r"): median hours} to
    acceptance ("a") and resolution ("r") of the node, each child and each week."""
    return _summed(parts, histograms=True)


def _summed(parts: list[_Part], histograms: bool) -> tuple[dict, dict]:
    """The rows of `parts` summed per child and per week in one statement: their counts, and
    (if asked) their duration histograms put end to end, one array of buckets and one of counts a
    measure, which are then added up bucket by bucket here as dense arrays and read as medians
    (gridcase.stats.histogram). The node's figures are the sum of its children's.

    (Summing the histograms in SQL meant unnesting every bucket of every row: at millions of
    cases a row holds up to ~160 buckets a measure, and that was most of a long period's read.)"""
    source, params = _union(parts)
    columns = [f"sum({name}) AS {name}" for name in COUNTS]
    if histograms:
        columns += [
            f"string_agg(substr(array_send({name}), {WIRE_HEADER_BYTES + 1}), ''::bytea) AS {name}"
            for name in _HISTOGRAM_COLUMNS
        ]
    sql = f"SELECT g, child, week, {', '.join(columns)} FROM ({source}) AS src GROUP BY g, child, week"
    with binary_results(db.session.connection()) as connection:
        rows = connection.execute(sa.text(sql), params).mappings().all()
    counts: dict[tuple, dict] = {}
    node = counts[(_NODE, None, None)] = dict.fromkeys(COUNTS, 0)
    for row in rows:
        figures = counts[(row["g"], row["child"], row["week"])] = {name: row[name] for name in COUNTS}
        if row["g"] == _CHILD:
            for name in COUNTS:
                node[name] += figures[name] or 0
    if not histograms:
        return counts, {}
    # One histogram a row (each row is one child or one week), and the node's: its children's.
    keys = [(row["g"], row["child"], row["week"]) for row in rows] + [(_NODE, None, None)]
    children = np.array([row["g"] == _CHILD for row in rows], dtype=bool)
    found: dict[tuple, float | None] = {}
    for measure, buckets, n in (
        ("a", "accept_buckets", "accept_counts"),
        ("r", "resolve_buckets", "resolve_counts"),
    ):
        each = dense_histograms([row[buckets] for row in rows], [row[n] for row in rows])
        every = np.vstack([each, each[children].sum(axis=0)])
        found.update(((*key, measure), median) for key, median in zip(keys, medians(every), strict=True))
    return counts, found


def counts_by_node(region: Region, level: str, first: date, last: date) -> dict[str, dict]:
    """The summed rollup counts (COUNTS) of each node of `level` inside `region` over a period of
    local days: what an assessment of every grid, community or township of an area reads."""
    node_column = "region_code" if level == region.level else ANCESTOR_COLUMNS[RegionLevel(region.level)]
    counts = _rollup_counts([_totals(StatsQuery(region, first, last), level, node_column)])
    return {child: row for (group, child, _), row in counts.items() if group == _CHILD}
