"""Indicator rollups (统计汇总): additive counts per period × territory node × category, kept
current by the scheduler, so that the indicators of any node and period are read from a few
hundred rows whether the city holds fifty thousand cases or five million.

Grains. A rollup row has one of these shapes, "{period}:{level}:{detail}":
- period: `day` (a local day), `week` (a local Monday-to-Sunday week), `month` or `year` (local
  calendar months and years), each row starting on the period's first day;
- level: `grid`, `community`, `township`, `district` or `city` — the node the row counts, with
  its parent in `parent_code`, so that a node's table is "the rows whose parent is the node";
- detail: `category` (one row per category), `group` (one row per category group, 大类: the
  sum of its categories' rows, category = the group's code), `kind` (all categories of a kind,
  category "*") or `all` (both kinds together, category and kind "*").
All are kept but those in NOT_KEPT: a grid's weeks by category or group, and a city's months
and years.

A read. A node's table has two parts (gridcase.stats.queries):
- each child's figures over the period, from the children's rows at the coarsest grain that
  answers: whole years, then whole months, then whole weeks, then days at either end (at most
  about 11 months, 5 weeks and 6 days each side besides the years: "all time" is the years);
- the weekly series, from the node's own rows: whole weeks, and the days at either end.
The node's figures are the sum of its children's. So a read touches about children × (years + a
few dozen) + weeks rows, and each row's histogram at most ~160 cells per measure, whatever the
number of cases. (Before months, years and the node's own rows, a read summed children × weeks
rows, whose histograms fill as history grows: at 5 million cases a read cost 2–8× its figure at
50 thousand.)

Definitions of each count: see gridcase.stats.indicators; the SQL below follows those words.

Refresh. `day:grid:category` rows are counted from the cases; every other grain is summed from
the smallest finer grain that holds it (see Grain.source): a month from its days, a year from
its months, a city from its townships. An incremental refresh recounts only the (local day,
grid) pairs of cases changed since the watermark, and of open cases whose due time passed since
the last refresh (`overdue_open` counts the cases open and past due at the refresh: the clock
alone changes it), then every row those pairs roll up into (the rows of every grain it touches
are deleted in one statement, then each grain is summed again).
A case's day is its creation day in GRIDCASE_TIMEZONE: changing the time zone or the ladder
needs `refresh-stats --full`. So does a grid moved to another community: its cases keep the
codes they were logged with, and only a full refresh regroups them; and so does a category
moved to another group (`load-catalogue` says so when it moves one).

Watermark. A change becomes visible when its transaction commits, which can be after the
`updated_at` it wrote. So the new watermark is not "now" but the start of the oldest writing
transaction still running (or now), less a margin for clocks that differ between hosts; the
next refresh reads from there, and a change committed late is still found. Backdated changes
(a `sweep --at` in the past, hand-made imports) are older than the watermark: run
`refresh-stats --full` after them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from gridcase import locks
from gridcase.cases.domain import SATISFIED, Satisfaction
from gridcase.cases.models import accepted_sql, done_sql, open_sql
from gridcase.extensions import db
from gridcase.locks import try_job_lock
from gridcase.settings import ladder, setting
from gridcase.stats.histogram import bucket_sql
from gridcase.stats.indicators import COUNTS, ladder_groups
from gridcase.stats.models import StatsRollup, StatsWatermark

WATERMARK = "rollups"
# Allowance for application hosts whose clocks run behind the database's.
CLOCK_MARGIN = timedelta(minutes=2)

PERIODS = ("day", "week", "month", "year")
LEVELS = ("grid", "community", "township", "district", "city")
DETAILS = ("category", "group", "kind", "all")
# (the details read by category: each row's category_code is a category's or a group's code)
BY_CATEGORY = ("category", "group")
ALL = "*"  # the category (and, by "all", the kind) of a row that sums all of them


@dataclass(frozen=True)
class Grain:
    period: str
    level: str
    detail: str

    @property
    def name(self) -> str:
        return f"{self.period}:{self.level}:{self.detail}"

    @property
    def finer(self) -> str | None:
        """The level this one's nodes are made of (a city of its townships, whether or not
        districts lie between)."""
        if self.level == "grid":
            return None
        return "township" if self.level == "city" else LEVELS[LEVELS.index(self.level) - 1]

    @property
    def source(self) -> Grain | None:
        """The grain this one is summed from; None for the one counted from cases.

        Every case's durations sit in every grain, so what a grain costs to build is mostly
        how many histogram entries its source holds. A grain is therefore summed from rows that
        are already merged wherever one holds it: both kinds from the kinds of the same node,
        a township's weeks by category from its communities' weeks, a year from its months.
        Only a few grains merge entries straight from concatenated rows (a day of a community
        by kind, a week or a month of a grid by kind, a week or a month of a community by
        category)."""
        finer = self.finer
        if self.detail == "all":
            return Grain(self.period, self.level, "kind")
        if self.period == "year":
            return Grain("month", self.level, self.detail)
        if self.period == "day":
            if finer is None:
                return None if self.detail == "category" else Grain("day", "grid", "category")
            return Grain("day", finer, self.detail)
        if self.detail in BY_CATEGORY and finer not in (None, "grid"):
            return Grain(self.period, finer, self.detail)
        return Grain("day", self.level, self.detail)

    @property
    def merges_histograms(self) -> bool:
        """Whether a row's histogram is merged bucket by bucket, or its sources' histograms are
        only put end to end (a bucket may then repeat: harmless, readers add by bucket).

        Merging costs several times more per row. Rows that few cases share (a day of one
        category, or of one grid; a grid's month or year of one category) are concatenated:
        they are most of the rows. Rows that many cases share (weeks, months and years but a
        grid's by category, and a day of a community or more by kind or in all) are merged, so
        that readers unnest at most one entry per bucket."""
        if self.level == "grid" and self.detail in BY_CATEGORY:
            return False
        return self.period != "day" or (self.detail != "category" and self.level != "grid")


# Grid rows by category hardly shrink from days to weeks (a grid sees a given category a few
# times a month), so they are kept by day, month and year only; their readers read days for
# what is not a whole month. Months and years are read as a node's children only, and a city
# is nobody's child.
NOT_KEPT = frozenset(
    {Grain("week", "grid", d) for d in BY_CATEGORY}
    | {Grain(p, "city", d) for p in ("month", "year") for d in DETAILS}
)
# In the order a refresh computes them: every grain after its source.
GRAINS = tuple(
    grain
    for grain in (Grain(p, level, d) for p in PERIODS for level in LEVELS for d in DETAILS)
    if grain not in NOT_KEPT
)
assert all(g.source is None or GRAINS.index(g.source) < GRAINS.index(g) for g in GRAINS)
assert all(g.source is None or g.source in GRAINS for g in GRAINS)


def grain_for(period: str, level: str, category: str | None, by_kind: bool) -> Grain:
    """The grain that answers a question: per group if `category` is "group" (a category group
    is asked for), per category if it is "category", else per kind if a kind is, else both kinds
    together."""
    return Grain(period, level, category or ("kind" if by_kind else "all"))


@dataclass
class RefreshReport:
    ran: bool = True  # False: another refresh held the lock
    full: bool = False
    pairs: int = 0  # (day, grid) pairs recounted
    rows: int = 0  # rollup rows written
    seconds: float = 0.0
    watermark: datetime | None = None

    def line(self) -> str:
        if not self.ran:
            return "Another stats refresh is running; nothing done."
        what = "full refresh" if self.full else f"{self.pairs} changed (day, grid) pair(s)"
        return (
            f"Stats rollups: {what}, {self.rows} row(s) written in {self.seconds:.2f} s; "
            f"changes before {self.watermark.isoformat()} are in."
        )


def refresh_rollups(full: bool = False) -> RefreshReport:
    """Bring the rollups up to date in the caller's transaction (the caller commits).

    Incremental unless `full` or never run before; a full refresh rebuilds every row and
    blocks readers of the rollups until it commits (minutes at millions of cases).
    """
    started = time.perf_counter()
    if not try_job_lock(locks.STATS_REFRESH):  # one refresher at a time
        return RefreshReport(ran=False)
    mark = db.session.get(StatsWatermark, WATERMARK, with_for_update=True)
    horizon = _horizon()
    report = RefreshReport(full=full or mark is None, watermark=horizon)
    params = _params()
    # (JIT compilation is off in every session, gridcase.connections: here it was measured a
    # quarter slower.)
    if report.full:
        # Big aggregations: more memory per sort or hash keeps them off disk.
        db.session.execute(sa.text("SET LOCAL work_mem = '512MB'"))
        db.session.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
        db.session.execute(sa.text("TRUNCATE stats_rollups"))
        # A bulk load: the secondary indexes are built once at the end rather than row by row
        # (the primary key stays: each grain is read by it while the next is summed). Only the
        # tables' owner may drop an index: the app's own role loads with them in place.
        secondary = list(StatsRollup.__table__.indexes) if _owns("stats_rollups") else []
        for index in secondary:
            db.session.execute(sa.schema.DropIndex(index))
        for grain in GRAINS:
            report.rows += _insert(grain, params, keyed=False)
        for index in secondary:
            db.session.execute(sa.schema.CreateIndex(index))
    else:
        report.pairs = _mark_dirty(mark.value, mark.refreshed_at, params)
        if report.pairs:
            _delete_dirty(params)
            for grain in GRAINS:
                report.rows += _insert(grain, params, keyed=True)
    refreshed_at = db.session.scalar(sa.select(sa.func.now()))
    if mark is None:
        mark = StatsWatermark(name=WATERMARK, value=horizon, refreshed_at=refreshed_at)
        db.session.add(mark)
    mark.value, mark.refreshed_at = horizon, refreshed_at
    db.session.flush()
    report.seconds = time.perf_counter() - started
    return report


def _owns(table: str) -> bool:
    return bool(
        db.session.scalar(
            sa.text("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = to_regclass(:table)"),
            {"table": table},
        )
    )


def rollups_refreshed_until() -> datetime | None:
    """Changes made before this moment are in the rollups (None: never refreshed)."""
    return db.session.scalar(sa.select(StatsWatermark.value).where(StatsWatermark.name == WATERMARK))


def _horizon() -> datetime:
    # Read before the changed cases are looked for: any transaction that has not committed by
    # then either shows here (so the watermark stays at or before its start) or starts later.
    # Only transactions holding an xid have written anything; read-only ones (exports, the
    # dashboard) do not hold the watermark back.
    oldest = db.session.scalar(
        sa.text(
            "SELECT least(clock_timestamp(), min(xact_start)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_xid IS NOT NULL"
        )
    )
    return oldest - CLOCK_MARGIN


def _params() -> dict:
    local, contained = ladder_groups(ladder())
    return {"tz": setting("GRIDCASE_TIMEZONE"), "local_levels": local, "contained_levels": contained}


def _mark_dirty(since: datetime, last_refresh: datetime, params: dict) -> int:
    """Fill the temporary table `stats_dirty` with the (local day, grid) pairs of cases changed
    since `since`, and of open cases whose due time has passed since the last refresh (their
    overdue count changes with the clock alone); returns how many."""
    db.session.execute(sa.text("DROP TABLE IF EXISTS pg_temp.stats_dirty"))
    db.session.execute(
        sa.text(
            "CREATE TEMPORARY TABLE stats_dirty (day date, grid_code varchar(15), "
            "community_code varchar(15), township_code varchar(15), district_code varchar(15), "
            "city_code varchar(15), starts timestamptz, ends timestamptz) ON COMMIT DROP"
        )
    )
    count = db.session.execute(
        sa.text(
            "INSERT INTO stats_dirty "
            "SELECT day, grid_code, community_code, township_code, district_code, city_code, "
            "day::timestamp AT TIME ZONE :tz, (day + 1)::timestamp AT TIME ZONE :tz "
            "FROM (SELECT (created_at AT TIME ZONE :tz)::date AS day, grid_code, community_code, "
            "township_code, district_code, city_code FROM cases WHERE updated_at >= :since "
            "UNION SELECT (created_at AT TIME ZONE :tz)::date, grid_code, community_code, "
            "township_code, district_code, city_code FROM cases "
            f"WHERE {open_sql()} AND due_at > :last_refresh AND due_at <= now()) AS changed"
        ),
        {**params, "since": since, "last_refresh": last_refresh},
    ).rowcount
    # Temporary tables get no statistics from autovacuum; the joins below need them.
    db.session.execute(sa.text("ANALYZE stats_dirty"))
    return count


# --- SQL of each grain ------------------------------------------------------------------------

# The code of a node at a level, and of its parent, on a rollup row `s` of a finer grain.
_REGION = {
    "grid": "s.region_code",
    "community": "s.community_code",
    "township": "s.township_code",
    "district": "s.district_code",
    "city": "s.city_code",
}
_PARENT = {
    "grid": "s.community_code",
    "community": "s.township_code",
    "township": "coalesce(s.district_code, s.city_code)",
    "district": "s.city_code",
    "city": "s.city_code",  # nobody's child: its own code
}
# The code at a level in `stats_dirty` (alias d).
_DIRTY_CODE = {
    "grid": "d.grid_code",
    "community": "d.community_code",
    "township": "d.township_code",
    "district": "d.district_code",
    "city": "d.city_code",
}
# The start of the period holding a date, and the start of the period after a start.
_PERIOD_START = {
    "day": "{0}",
    "week": "({0} - (extract(isodow FROM {0})::int - 1))",
    "month": "date_trunc('month', {0})::date",
    "year": "date_trunc('year', {0})::date",
}
_NEXT_START = {
    "week": "({0} + 7)",
    "month": "({0} + interval '1 month')::date",
    "year": "({0} + interval '1 year')::date",
}

_ACCEPTED = accepted_sql("c")
_RESOLVED = f"({_ACCEPTED} AND {done_sql('c')})"
_HOURS = "extract(epoch FROM (c.{0} - c.created_at))::float8 / 3600"

# One row per case, as if it were a rollup row counting one case. (NULL columns make some of
# these NULL rather than false: each is counted as `IS TRUE`.)
_CASE_COUNTS = {
    "accepted": _ACCEPTED,
    "resolved": _RESOLVED,
    "started_local": f"{_ACCEPTED} AND c.initial_level = ANY(:local_levels)",
    "resolved_local": (
        f"{_RESOLVED} AND c.resolved_level = ANY(:local_levels) "
        "AND c.highest_level = ANY(:local_levels) AND c.initial_level = ANY(:local_levels)"
    ),
    "started_contained": f"{_ACCEPTED} AND c.initial_level = ANY(:contained_levels)",
    "resolved_contained": (
        f"{_RESOLVED} AND c.resolved_level = ANY(:contained_levels) "
        "AND c.initial_level = ANY(:contained_levels)"
    ),
    "resolved_on_time": f"{_RESOLVED} AND c.resolved_on_time IS TRUE",
    "escalated": f"{_ACCEPTED} AND c.escalation_count > 0",
    "reopened": f"{_RESOLVED} AND c.reopen_count > 0",
    # Only revisits by someone other than the handler count (they record how they were made).
    "revisited": f"{_ACCEPTED} AND c.satisfaction IS NOT NULL AND c.revisit_method IS NOT NULL",
    "satisfied": (
        f"{_ACCEPTED} AND c.satisfaction IN {Satisfaction.sql_values(SATISFIED)} "
        "AND c.revisit_method IS NOT NULL"
    ),
    # Past due at the refresh (its transaction's start, the watermark's refreshed_at): a case is
    # recounted when it changes and when its due time passes (_mark_dirty), so no row holds a
    # stale answer.
    "overdue_open": f"{open_sql('c')} AND c.due_at <= now()",
}
# Counts of a case's records rather than yes-or-no of the case: its 人民调解协议书 whose
# performance was recorded, and those of them performed in full (协议履行率).
_AGREEMENTS = "(SELECT count(*) FROM mediation_agreements a WHERE a.case_id = c.id AND {0})"
_CHECKED, _PERFORMED = "a.performance IS NOT NULL", "a.performance = 'performed'"
_CASE_SUMS = {
    "agreements_checked": f"CASE WHEN {_ACCEPTED} THEN {_AGREEMENTS.format(_CHECKED)} ELSE 0 END",
    "agreements_performed": f"CASE WHEN {_ACCEPTED} THEN {_AGREEMENTS.format(_PERFORMED)} ELSE 0 END",
}
assert (*_CASE_COUNTS, *_CASE_SUMS) == COUNTS


def _case_source(cases: str) -> str:
    """The rollup row of each case read from `cases` (a FROM item naming the cases `c`), as if
    each case were a rollup row counting one case."""
    return f"""
    SELECT (c.created_at AT TIME ZONE :tz)::date AS period_start, c.grid_code COLLATE "C" AS region_code,
           c.community_code COLLATE "C" AS parent_code, c.category_code COLLATE "C" AS category_code,
           c.kind COLLATE "C" AS kind, c.city_code COLLATE "C" AS city_code,
           c.district_code COLLATE "C" AS district_code, c.township_code COLLATE "C" AS township_code,
           c.community_code COLLATE "C" AS community_code,
           {", ".join(f"(({sql}) IS TRUE)::int AS {name}" for name, sql in _CASE_COUNTS.items())},
           {", ".join(f"coalesce(({sql}), 0)::int AS {name}" for name, sql in _CASE_SUMS.items())},
           CASE WHEN {_ACCEPTED} AND c.accepted_at IS NOT NULL
                THEN ARRAY[{bucket_sql(_HOURS.format("accepted_at"))}]::smallint[]
                ELSE ARRAY[]::smallint[] END AS accept_buckets,
           CASE WHEN {_ACCEPTED} AND c.accepted_at IS NOT NULL THEN ARRAY[1]
                ELSE ARRAY[]::int[] END AS accept_counts,
           CASE WHEN {_RESOLVED} AND c.resolved_at IS NOT NULL
                THEN ARRAY[{bucket_sql(_HOURS.format("resolved_at"))}]::smallint[]
                ELSE ARRAY[]::smallint[] END AS resolve_buckets,
           CASE WHEN {_RESOLVED} AND c.resolved_at IS NOT NULL THEN ARRAY[1]
                ELSE ARRAY[]::int[] END AS resolve_counts
    FROM {cases}
"""


_ALL_CASES = "cases c"
# The cases of the dirty pairs: one index range scan (grid, creation time) per pair. OFFSET 0
# keeps the planner from flattening it into a join, which it would estimate badly and answer
# with a scan of every case.
_DIRTY_CASES = """
    (SELECT DISTINCT grid_code, starts, ends FROM stats_dirty) AS k
    CROSS JOIN LATERAL (
        SELECT * FROM cases
        WHERE grid_code = k.grid_code AND created_at >= k.starts AND created_at < k.ends
        OFFSET 0
    ) AS c
"""
_UNNEST_HISTOGRAMS = (
    "SELECT 'a', u.b, u.n FROM unnest(src.accept_buckets, src.accept_counts) AS u(b, n) "
    "UNION ALL SELECT 'r', v.b, v.n FROM unnest(src.resolve_buckets, src.resolve_counts) AS v(b, n)"
)
# A row's key, in primary-key order: grouping and insertion then share one sort. (Every key
# column is COLLATE "C", the rollup table's, so that the sort is the index's order.)
_KEYS = "region_code, period_start, category_code, kind"
_HISTOGRAM_COLUMNS = ("accept_buckets", "accept_counts", "resolve_buckets", "resolve_counts")


def _rollup_source(grain: Grain, keyed: bool) -> str:
    """SELECT of the finer rows `grain` is summed from, re-keyed to `grain`."""
    source = grain.source
    level = grain.level
    period = _PERIOD_START[grain.period].format("s.period_start")
    category = "s.category_code" if grain.detail in BY_CATEGORY else f"'{ALL}'"
    groups = ""
    if grain.detail == "group" and source.detail == "category":
        # A category's rows are re-keyed to its group's code; a category in no group has none.
        category = 'g.parent_code COLLATE "C"'
        groups = "JOIN categories g ON g.code = s.category_code AND g.parent_code IS NOT NULL"
    kind = f"'{ALL}'" if grain.detail == "all" else "s.kind"
    community = "s.community_code" if level in ("grid", "community") else "NULL"
    township = "s.township_code" if level not in ("district", "city") else "NULL"
    district = "NULL" if level == "city" else "s.district_code"
    where = ["s.grain = :source"]
    if level == "district":
        where.append("s.district_code IS NOT NULL")
    join = ""
    if keyed:
        if source.level != level:  # a level from the one below: the rows whose parent is the key
            parent = "= ANY(k.parents)" if level == "city" else "= k.region_code"
            match = f"s.parent_code {parent} AND s.period_start = k.period_start"
        elif source.period != grain.period:  # a week, month or year from its days or months
            match = (
                "s.region_code = k.region_code AND s.period_start >= k.period_start "
                f"AND s.period_start < {_NEXT_START[grain.period].format('k.period_start')}"
            )
        else:  # by kind from by category
            match = "s.region_code = k.region_code AND s.period_start = k.period_start"
        join = f"JOIN ({_dirty_keys(grain)}) AS k ON {match}"
    return f"""
        SELECT {period} AS period_start, {_REGION[level]} AS region_code,
               {_PARENT[level]} AS parent_code, {category} AS category_code, {kind} AS kind,
               s.city_code, {district} AS district_code, {township} AS township_code,
               {community} AS community_code,
               {", ".join(f"s.{name}" for name in COUNTS)},
               {", ".join(f"s.{name}" for name in _HISTOGRAM_COLUMNS)}
        FROM stats_rollups s {groups} {join}
        WHERE {" AND ".join(where)}
    """


def _dirty_keys(grain: Grain) -> str:
    """(period_start, region_code) of the rows of `grain` that the dirty pairs roll up into."""
    period = _PERIOD_START[grain.period].format("d.day")
    code = _DIRTY_CODE[grain.level]
    keys = (
        f"SELECT DISTINCT {period} AS period_start, {code} AS region_code "
        f"FROM stats_dirty d WHERE {code} IS NOT NULL"
    )
    if grain.level != "city":
        return keys
    # A city's townships are the children of the city or of one of its districts: the parent
    # codes (indexed) its rows are summed from.
    return (
        'SELECT k.period_start, k.region_code, ARRAY(SELECT r.code COLLATE "C" FROM regions r '
        "WHERE r.code = k.region_code OR (r.parent_code = k.region_code AND r.level = 'district')) "
        f"AS parents FROM ({keys}) AS k"
    )


def _delete_dirty(params: dict) -> None:
    """Delete the rows of every grain that the dirty pairs roll up into, in one statement."""
    keys = " UNION ALL ".join(
        f"SELECT CAST(:grain_{index} AS text) AS grain, k.period_start, k.region_code "
        f"FROM ({_dirty_keys(grain)}) AS k"
        for index, grain in enumerate(GRAINS)
    )
    db.session.execute(
        sa.text(
            f"DELETE FROM stats_rollups r USING ({keys}) AS k "
            "WHERE r.grain = k.grain AND r.region_code = k.region_code AND r.period_start = k.period_start"
        ),
        {**params, **{f"grain_{index}": grain.name for index, grain in enumerate(GRAINS)}},
    )


def _insert(grain: Grain, params: dict, keyed: bool) -> int:
    """Insert the rows of `grain` (all of them, or those of the dirty keys); returns how many."""
    if grain.source is None:
        source = _case_source(_DIRTY_CASES if keyed else _ALL_CASES)
    else:
        source = _rollup_source(grain, keyed)
    sums = ", ".join(f"sum({name})::int AS {name}" for name in COUNTS)
    # One value per key (they depend on region_code).
    ancestors = ", ".join(
        f"max({name}) AS {name}"
        for name in ("parent_code", "city_code", "district_code", "township_code", "community_code")
    )
    columns = f"grain, {_KEYS}, parent_code, city_code, district_code, township_code, community_code"
    columns += ", " + ", ".join((*COUNTS, *_HISTOGRAM_COLUMNS))
    # In primary-key order: each row lands next to the previous one in the index.
    order = f"ORDER BY {_KEYS}"
    if not grain.merges_histograms:
        concatenated = ", ".join(f"stats_array_concat({name}) AS {name}" for name in _HISTOGRAM_COLUMNS)
        statement = f"""
            INSERT INTO stats_rollups ({columns})
            SELECT :grain, {_KEYS}, {ancestors}, {sums}, {concatenated}
            FROM ({source}) AS src
            GROUP BY {_KEYS}
            {order}
        """
    else:
        statement = f"""
            WITH src AS MATERIALIZED ({source}),
            totals AS (SELECT {_KEYS}, {ancestors}, {sums} FROM src GROUP BY {_KEYS}),
            -- No ORDER BY in these aggregates: a histogram's order does not matter, and the
            -- aggregates of one group see its rows in one order, so bucket and count arrays
            -- stay aligned.
            histograms AS (
                SELECT {_KEYS},
                       array_agg(b) FILTER (WHERE m = 'a') AS accept_buckets,
                       array_agg(n) FILTER (WHERE m = 'a') AS accept_counts,
                       array_agg(b) FILTER (WHERE m = 'r') AS resolve_buckets,
                       array_agg(n) FILTER (WHERE m = 'r') AS resolve_counts
                FROM (
                    SELECT {_KEYS}, x.m, x.b, sum(x.n)::int AS n
                    FROM src CROSS JOIN LATERAL ({_UNNEST_HISTOGRAMS}) AS x(m, b, n)
                    GROUP BY {_KEYS}, x.m, x.b
                ) AS h
                GROUP BY {_KEYS}
            )
            INSERT INTO stats_rollups ({columns})
            SELECT :grain, {_KEYS}, parent_code, city_code, district_code, township_code,
                   community_code, {", ".join(COUNTS)},
                   coalesce(h.accept_buckets, '{{}}')::smallint[], coalesce(h.accept_counts, '{{}}')::int[],
                   coalesce(h.resolve_buckets, '{{}}')::smallint[], coalesce(h.resolve_counts, '{{}}')::int[]
            FROM totals t LEFT JOIN histograms h USING ({_KEYS})
            {order}
        """
    source_name = grain.source.name if grain.source else None
    return db.session.execute(
        sa.text(statement), {**params, "grain": grain.name, "source": source_name}
    ).rowcount
