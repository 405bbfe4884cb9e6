"""What is measured of every subject of an area in a period: the figures an assessment scores
(gridcase.assessment.domain), each subject keyed by its code (a unit's code, a node's code) or,
for grid workers, their user id.

Set-based: one statement per source for all the area's subjects —
- case indicators from the rollups (gridcase.stats.queries.counts_by_node): the words of
  gridcase.stats.indicators;
- 巡查覆盖率 = (grid, week) pairs with a patrol that crossed the grid in the week / (grids × weeks
  of the period): every week the period touches, Monday to Sunday; for a grid worker, their own
  patrols over their own grids;
- 排查按时上报率 = reports filed by the round's due day (local date) / reports owed: one per grid
  per 矛盾纠纷排查 round over it whose due day falls in the period (and has come);
- 被督办 / 黄牌 / 红牌: the 督办单 of the area's cases issued in the period addressed to the
  subject's centre or unit (gridcase.stats.supervision_stats);
- unit indicators: gridcase.stats.unit_indicators;
- 事件上报数: accepted cases a grid worker reported, created in the period; 走访数: household and
  place visits the worker recorded in the period (民情日志 entries are not visits).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from gridcase.assessment.domain import Figure, Subject
from gridcase.cases.models import accepted_sql
from gridcase.extensions import db
from gridcase.gridwork.domain import VisitKind
from gridcase.people.roles import Role
from gridcase.settings import local_tz, setting
from gridcase.stats.indicators import COUNTS, RATES, week_range
from gridcase.stats.queries import StatsQuery, counts_by_node
from gridcase.stats.supervision_stats import supervision_table
from gridcase.stats.unit_indicators import unit_indicator_table
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region
from gridcase.units.models import Unit

# Case indicators an assessment reads from the rollups (RATES of gridcase.stats.indicators).
CASE_RATES = (
    "resolution_rate",
    "local_resolution_rate",
    "township_containment_rate",
    "on_time_rate",
    "satisfaction_rate",
    "escalation_rate",
    "reopen_rate",
    "agreement_performance_rate",
)
assert set(CASE_RATES) <= set(RATES)
# The penalty indicators and the 督办 counts they read.
PENALTY_COUNTS = {"supervised": "supervised", "yellow_cards": "yellow", "red_cards": "red"}


@dataclass(frozen=True)
class Assessed:
    """One subject of a ranking: its key, name, the node it lies in, and its figures."""

    key: str
    name: str
    parent_name: str | None
    figures: dict[str, Figure]
    # A territory node a ranking drills down into (None for workers, units and grids).
    drill_region: str | None = None


def subjects_with_figures(
    subject: Subject, region: Region, first: date, last: date, now: datetime
) -> list[Assessed]:
    """Every subject of the kind inside the region, with its figures over [first, last]."""
    if subject.is_territory:
        return _territory(subject, region, first, last, now)
    if subject is Subject.GRID_WORKER:
        return _workers(region, first, last, now)
    return _units(region, first, last, now)


# --- territory: townships, communities, grids ------------------------------------------------------


def _inside(alias: str, region: Region) -> str:
    """SQL: the region row `alias` lies in (or is) the node :node."""
    if region.level == RegionLevel.GRID.value:
        return f"{alias}.code = :node"
    return f"({alias}.code = :node OR {alias}.{ANCESTOR_COLUMNS[RegionLevel(region.level)]} = :node)"


def _territory(subject: Subject, region: Region, first: date, last: date, now: datetime) -> list[Assessed]:
    level = subject.value
    nodes = db.session.execute(
        sa.text(
            "SELECT n.code, n.name, p.name AS parent_name "
            "FROM regions n LEFT JOIN regions p ON p.code = n.parent_code "
            f"WHERE n.level = :level AND {_inside('n', region)} ORDER BY n.code"
        ),
        {"level": level, "node": region.code},
    ).all()
    counts = counts_by_node(region, level, first, last)
    ancestor = "code" if level == "grid" else ANCESTOR_COLUMNS[RegionLevel(level)]
    patrol = _patrol_coverage(region, first, last, group_by=f"g.{ancestor}")
    screening = _screening(region, first, last, f"g.{ancestor}", now.astimezone(local_tz()).date())
    penalties = _penalties_of_centres(region, level, first, last, now)
    assessed = []
    for node in nodes:
        figures = _case_figures(counts.get(node.code, {}))
        figures["patrol_coverage"] = patrol.get(node.code, Figure(None))
        figures["screening_on_time_rate"] = screening.get(node.code, Figure(None))
        figures.update(penalties.get(node.code, {}))
        drill = node.code if subject is not Subject.GRID else None
        assessed.append(Assessed(node.code, node.name, node.parent_name, figures, drill))
    return assessed


def _case_figures(counts: dict) -> dict[str, Figure]:
    count = {name: int(counts.get(name) or 0) for name in COUNTS}
    return {key: Figure.of_rate(count[RATES[key][0]], count[RATES[key][1]]) for key in CASE_RATES}


def _period_bounds(first: date, last: date) -> dict:
    tz = local_tz()
    return {
        "start": datetime.combine(first, time(), tz),
        "end": datetime.combine(last + timedelta(days=1), time(), tz),
        "first": first,
        "last": last,
        "tz": setting("GRIDCASE_TIMEZONE"),
    }


def _patrol_coverage(
    region: Region, first: date, last: date, group_by: str, worker_grids: bool = False
) -> dict:
    """{group: Figure(covered grid-weeks / grid-weeks)} over the region's grids.

    A week is Monday to Sunday, and a patrol on any of its days covers it, even a day outside
    the period (a month starting on a Sunday is not judged on that Sunday alone). A week not over
    by the period's last day counts only when it is covered already: the week is still running."""
    weeks = week_range(first, last)
    complete = sum(1 for monday in weeks if monday + timedelta(days=6) <= last)
    current = weeks[-1] if weeks and weeks[-1] + timedelta(days=6) > last else None
    # For a worker, the grids are theirs (a grid of two workers counts for each) and the patrols too.
    assignment = "JOIN grid_assignments a ON a.grid_code = g.code" if worker_grids else ""
    own = "AND p.worker_id = grids.user_id" if worker_grids else ""
    rows = db.session.execute(
        sa.text(
            f"""
            WITH grids AS (
                SELECT {group_by} AS grp, g.code{", a.user_id" if worker_grids else ""}
                FROM regions g {assignment}
                WHERE g.level = 'grid' AND {_inside("g", region)}
            ),
            grid_weeks AS (
                SELECT DISTINCT grids.grp, pg.grid_code,
                       (date_trunc('week', timezone(:tz, p.started_at)))::date AS monday
                FROM grids
                JOIN patrol_grids pg ON pg.grid_code = grids.code
                JOIN patrols p ON p.id = pg.patrol_id {own}
                WHERE p.started_at >= :week_start AND p.started_at < :week_end
            ),
            covered AS (
                SELECT grp, count(*) AS weeks, count(*) FILTER (WHERE monday = :current) AS running
                FROM grid_weeks GROUP BY grp
            )
            SELECT grids.grp, count(*) AS grids, coalesce(max(covered.weeks), 0) AS covered,
                   coalesce(max(covered.running), 0) AS running
            FROM grids LEFT JOIN covered ON covered.grp = grids.grp
            GROUP BY grids.grp
            """
        ),
        {
            "node": region.code,
            "tz": setting("GRIDCASE_TIMEZONE"),
            "week_start": datetime.combine(weeks[0], time(), local_tz()),
            "week_end": datetime.combine(
                min(weeks[-1] + timedelta(days=7), last + timedelta(days=1)), time(), local_tz()
            ),
            "current": current,
        },
    ).all()
    return {str(row.grp): Figure.of_rate(row.covered, row.grids * complete + row.running) for row in rows}


def _screening(
    region: Region, first: date, last: date, group_by: str, today: date, worker_grids: bool = False
) -> dict:
    """{group: Figure(reports filed by the due day / reports owed)} of rounds due in the period: a
    round whose due day has not passed is owed only once its report is in (it may still come)."""
    over = " OR ".join(
        f"g.{column} = sr.region_code"
        for column in ("city_code", "district_code", "township_code", "community_code")
    )
    assignment = "JOIN grid_assignments a ON a.grid_code = g.code" if worker_grids else ""
    rows = db.session.execute(
        sa.text(
            f"""
            SELECT {group_by} AS grp,
                   count(*) FILTER (WHERE sr.due_on < :today OR r.reported_at IS NOT NULL) AS owed,
                   count(*) FILTER (WHERE (timezone(:tz, r.reported_at))::date <= sr.due_on) AS on_time
            FROM screening_rounds sr
            JOIN regions g ON g.level = 'grid' AND (g.code = sr.region_code OR {over})
            {assignment}
            LEFT JOIN screening_reports r ON r.round_id = sr.id AND r.grid_code = g.code
            WHERE sr.due_on BETWEEN :first AND :last AND {_inside("g", region)}
            GROUP BY {group_by}
            """
        ),
        {"node": region.code, "today": today, **_period_bounds(first, last)},
    ).all()
    return {str(row.grp): Figure.of_rate(row.on_time, row.owed) for row in rows}


def _penalties_of_centres(region: Region, level: str, first: date, last: date, now: datetime) -> dict:
    """{node code: {penalty indicator: Figure(events)}} for the centres of `level`."""
    table = supervision_table(StatsQuery(region, first, last), now)
    penalties: dict = defaultdict(dict)
    for target in table["targets"]:
        if target["unit_code"] is None and target["level"] == level:
            for key, count in PENALTY_COUNTS.items():
                penalties[target["node_code"]][key] = Figure(target["counts"][count])
    return penalties


# --- grid workers ----------------------------------------------------------------------------------


def _workers(region: Region, first: date, last: date, now: datetime) -> list[Assessed]:
    params = {"node": region.code, "role": Role.GRID_WORKER.value, **_period_bounds(first, last)}
    workers = db.session.execute(
        sa.text(
            f"""
            SELECT u.id, u.display_name, array_agg(g.code ORDER BY g.code) AS grids,
                   string_agg(g.name, '、' ORDER BY g.code) AS grid_names
            FROM users u JOIN grid_assignments a ON a.user_id = u.id JOIN regions g ON g.code = a.grid_code
            WHERE u.role = :role AND u.active AND {_inside("g", region)}
            GROUP BY u.id, u.display_name ORDER BY u.id
            """
        ),
        params,
    ).all()
    grid_counts = counts_by_node(region, "grid", first, last)
    patrol = _patrol_coverage(region, first, last, group_by="a.user_id", worker_grids=True)
    screening = _screening(
        region, first, last, "a.user_id", now.astimezone(local_tz()).date(), worker_grids=True
    )
    reported = dict(
        db.session.execute(
            sa.text(
                "SELECT c.reporter_id, count(*) FROM cases c "
                "WHERE c.created_at >= :start AND c.created_at < :end "
                f"AND {accepted_sql('c')} AND c.reporter_id = ANY(:ids) GROUP BY c.reporter_id"
            ),
            {**params, "ids": [w.id for w in workers]},
        ).all()
    )
    visits = dict(
        db.session.execute(
            sa.text(
                "SELECT v.worker_id, count(*) FROM visits v "
                "WHERE v.visited_at >= :start AND v.visited_at < :end "
                "AND v.kind <> :diary AND v.worker_id = ANY(:ids) GROUP BY v.worker_id"
            ),
            {**params, "ids": [w.id for w in workers], "diary": VisitKind.DIARY.value},
        ).all()
    )
    assessed = []
    for worker in workers:
        summed = defaultdict(int)
        for grid in worker.grids:
            for name, value in grid_counts.get(grid, {}).items():
                if name in COUNTS:
                    summed[name] += int(value or 0)
        figures = _case_figures(summed)
        key = str(worker.id)
        figures["patrol_coverage"] = patrol.get(key, Figure(None))
        figures["screening_on_time_rate"] = screening.get(key, Figure(None))
        figures["reported"] = Figure(int(reported.get(worker.id, 0)))
        figures["visits"] = Figure(int(visits.get(worker.id, 0)))
        assessed.append(Assessed(key, worker.display_name, worker.grid_names, figures))
    return assessed


# --- units -----------------------------------------------------------------------------------------

UNIT_RATES_ASSESSED = (
    "sign_on_time_rate",
    "finish_on_time_rate",
    "return_rate",
    "rework_rate",
    "satisfaction_rate",
)
_UNIT_RATE_COUNTS = {
    "sign_on_time_rate": ("signed_on_time", "sign_due"),
    "finish_on_time_rate": ("finished_on_time", "finish_due"),
    "return_rate": ("returned", "dispatched"),
    "rework_rate": ("reworked", "lead_done"),
    "satisfaction_rate": ("satisfied", "revisited"),
}


def _units(region: Region, first: date, last: date, now: datetime) -> list[Assessed]:
    query = StatsQuery(region, first, last)
    measured = {row["code"]: row for row in unit_indicator_table(query, now)["units"]}
    penalties: dict = defaultdict(dict)
    for target in supervision_table(query, now)["targets"]:
        if target["unit_code"] is not None:
            for key, count in PENALTY_COUNTS.items():
                penalties[target["unit_code"]][key] = Figure(target["counts"][count])
    region_column = (
        Region.code
        if region.level == "grid"
        else getattr(Region, ANCESTOR_COLUMNS[RegionLevel(region.level)])
    )
    units = db.session.execute(
        sa.select(Unit.code, Unit.name, Region.name.label("region_name"))
        .join(Region, Region.code == Unit.region_code)
        .where(
            sa.or_(
                Unit.code.in_(list(measured)),
                sa.and_(Unit.active, sa.or_(Region.code == region.code, region_column == region.code)),
            )
        )
        .order_by(Unit.code)
    ).all()
    assessed = []
    for unit in units:
        counts = measured.get(unit.code, {}).get("counts", {})
        figures = {
            key: Figure.of_rate(int(counts.get(n, 0)), int(counts.get(d, 0)))
            for key, (n, d) in _UNIT_RATE_COUNTS.items()
        }
        figures.update(penalties.get(unit.code, {}))
        assessed.append(Assessed(unit.code, unit.name, unit.region_name, figures))
    return assessed
