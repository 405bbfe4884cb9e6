"""Indicators per unit (条块联动, DESIGN §2 "Assignments"): for each unit that cases of a node were
dispatched to in a period, 派遣数, 签收及时率, 按期办结率, 退回率, 返工率, satisfaction and the
median hours to sign and to finish.

The words of each indicator are gridcase.stats.indicators' (`UNIT_COUNTS`, `UNIT_RATES`); this
module counts them in one statement, grouped by unit, over the assignments dispatched in the
period (local days, by `dispatched_at`) of the node's cases. Counted live from
`case_assignments` (the index on `dispatched_at` finds the period's rows): an assignment's
lateness changes with the clock, as `overdue_open` does.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gridcase.cases.domain import SATISFIED, Satisfaction
from gridcase.cases.models import accepted_sql
from gridcase.extensions import db
from gridcase.settings import utcnow
from gridcase.stats.indicators import UNIT_COUNTS, unit_indicators
from gridcase.stats.queries import StatsQuery
from gridcase.units.lifecycle import VISIBLE_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus

_LEAD = f"a.role = '{AssignmentRole.LEAD.value}'"
_LEAD_DONE = f"({_LEAD} AND a.status = '{AssignmentStatus.DONE.value}')"

# Each count of gridcase.stats.indicators.UNIT_COUNTS over the assignments `a` of one unit
# (the satisfaction counts come from the cases the unit leads, below).
_ASSIGNMENT_COUNTS = {
    "dispatched": "TRUE",
    "sign_due": (
        "a.signed_at IS NOT NULL OR a.sign_overdue_at IS NOT NULL "
        "OR coalesce(a.returned_at, a.withdrawn_at, :now) > a.sign_due_at"
    ),
    "signed_on_time": "a.signed_at <= a.sign_due_at",
    "finish_due": (
        f"{_LEAD_DONE} OR ({_LEAD} AND a.returned_at IS NULL AND (a.finish_overdue_at IS NOT NULL "
        "OR coalesce(a.withdrawn_at, :now) > a.finish_due_at))"
    ),
    "finished_on_time": f"{_LEAD_DONE} AND a.done_at <= a.finish_due_at",
    "returned": f"a.status = '{AssignmentStatus.RETURNED.value}'",
    "lead_done": _LEAD_DONE,
    "reworked": f"{_LEAD_DONE} AND a.rework_count > 0",
}
assert (*_ASSIGNMENT_COUNTS, "revisited", "satisfied") == UNIT_COUNTS

_HOURS = "extract(epoch FROM (a.{0} - a.dispatched_at))::float8 / 3600"
_VISIBLE = AssignmentStatus.sql_values(VISIBLE_ASSIGNMENT_STATUSES)


def _statement(query: StatsQuery) -> tuple[str, dict]:
    conditions, params = query.case_conditions("a.dispatched_at")
    counts = ",\n".join(
        f"count(*) FILTER (WHERE {sql}) AS {name}" for name, sql in _ASSIGNMENT_COUNTS.items()
    )
    sql = f"""
        WITH a AS (
            SELECT a.* FROM case_assignments a JOIN cases c ON c.id = a.case_id
            WHERE {" AND ".join(conditions)}
        ),
        per_unit AS (
            SELECT a.unit_code, {counts},
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY {_HOURS.format("signed_at")})
                       FILTER (WHERE a.signed_at IS NOT NULL) AS median_hours_to_sign,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY {_HOURS.format("done_at")})
                       FILTER (WHERE {_LEAD_DONE}) AS median_hours_to_finish
            FROM a GROUP BY a.unit_code
        ),
        -- The lead unit of each case: its latest lead assignment neither returned nor withdrawn.
        leads AS (
            SELECT DISTINCT ON (a.case_id) a.case_id, a.unit_code FROM a
            WHERE {_LEAD} AND a.status IN {_VISIBLE}
            ORDER BY a.case_id, a.id DESC
        ),
        satisfaction AS (
            SELECT l.unit_code,
                   count(*) FILTER (
                       WHERE {accepted_sql("c")} AND c.satisfaction IS NOT NULL
                         AND c.revisit_method IS NOT NULL
                   ) AS revisited,
                   count(*) FILTER (
                       WHERE {accepted_sql("c")} AND c.satisfaction IN {Satisfaction.sql_values(SATISFIED)}
                         AND c.revisit_method IS NOT NULL
                   ) AS satisfied
            FROM leads l JOIN cases c ON c.id = l.case_id
            GROUP BY l.unit_code
        )
        SELECT u.code, u.name, u.name_en, u.kind, u.level, per_unit.*,
               coalesce(s.revisited, 0) AS revisited, coalesce(s.satisfied, 0) AS satisfied
        FROM per_unit JOIN units u ON u.code = per_unit.unit_code
        LEFT JOIN satisfaction s ON s.unit_code = per_unit.unit_code
        ORDER BY per_unit.dispatched DESC, u.code
    """
    return sql, params


def unit_indicator_table(query: StatsQuery, now: datetime | None = None) -> dict:
    """The indicators of each unit that the node's cases were dispatched to in the period, most
    dispatches first; each with its counts, so that a reader sees what a rate divides."""
    sql, params = _statement(query)
    params["now"] = now or utcnow()
    rows = db.session.execute(sa.text(sql), params).mappings()
    return {
        **query.header(),
        "units": [
            {
                "code": row["code"],
                "name": row["name"],
                "name_en": row["name_en"],
                "kind": row["kind"],
                "level": row["level"],
                "counts": {name: int(row[name]) for name in UNIT_COUNTS},
                "indicators": unit_indicators(
                    row, row["median_hours_to_sign"], row["median_hours_to_finish"]
                ),
            }
            for row in rows
        ],
    }
