"""The escalation sweep (gridcase/ladder/sweep.py) with nothing due and with many cases due,
against a raw SQL UPDATE of the same rows.

The history has open cases long past due (a few forgotten ones): the sweeps that catch them up
run first, then the sweep with nothing due is timed. For the sweep with cases due, `count`
recently resolved or closed cases are reopened in the bench database, in progress at their
level and past due by up to a day. One sweep takes at most SWEEP_BATCH of them (the oldest due
first); the sweeps that follow, a minute apart in production, are run back to back here until
none is due. The raw baseline is one set-based UPDATE of the same rows' level and clock (no
event, notification, alert or webhook), first of the rows the first sweep takes, then of all of
them, each rolled back.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from bench.history import vacuum
from gridcase.extensions import db
from gridcase.ladder.sweep import SWEEP_BATCH, sweep
from gridcase.settings import utcnow


@dataclass
class SweepResult:
    size: int
    caught_up: int = 0  # cases the catch-up sweeps moved before "nothing due"
    catch_up_seconds: float = 0.0
    idle_seconds: float = 0.0  # median sweep with nothing due
    due: int = 0
    first_seconds: float = 0.0  # the first sweep with `due` cases due
    first_cases: int = 0
    sweeps: list[tuple[int, float]] = field(default_factory=list)  # (cases moved, seconds) of each
    raw_batch_seconds: float = 0.0  # the raw UPDATE of the rows the first sweep takes
    raw_all_seconds: float = 0.0  # the raw UPDATE of every due row
    escalated: int = 0
    marked_overdue: int = 0

    @property
    def drain_seconds(self) -> float:
        return sum(seconds for _, seconds in self.sweeps)

    @property
    def drained(self) -> int:
        return sum(cases for cases, _ in self.sweeps)


def _sweep_once() -> tuple[int, float, object]:
    started = time.perf_counter()
    report = sweep()
    db.session.commit()
    seconds = time.perf_counter() - started
    return len(report.escalated) + len(report.marked_overdue), seconds, report


def measure_idle(size: int, repeat: int) -> SweepResult:
    """Catch up the history's overdue cases, then time sweeps with nothing due.

    The tables the sweep reads are vacuumed first, as autovacuum keeps them in a live database:
    the intake and page phases just before leave it tens of thousands of new and changed rows,
    and its work would otherwise run during the timing (the sweep with nothing due measured
    43 ms at 5 million cases then, 12-15 ms once the machine was quiet)."""
    result = SweepResult(size=size)
    db.session.commit()
    vacuum("cases", "case_assignments", "case_events", "notifications")
    for _ in range(50):
        moved, seconds, _ = _sweep_once()
        if not moved:
            break
        result.caught_up += moved
        result.catch_up_seconds += seconds
    timings = []
    for _ in range(repeat):
        moved, seconds, _ = _sweep_once()
        assert moved == 0, f"{moved} cases moved by a sweep with nothing due"
        timings.append(seconds)
    result.idle_seconds = statistics.median(timings)
    return result


# The level and clock one escalation gives a case, set-based; calendar days stand in for
# working days (the cost is the same).
_RAW_UPDATE = """
    WITH due AS (
        SELECT id FROM cases
        WHERE status IN ('pending', 'in_progress') AND due_at <= :at AND overdue_at IS NULL
        ORDER BY due_at, id LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE cases c SET
        level = CASE c.level WHEN 'community' THEN 'township' WHEN 'township' THEN 'city' ELSE c.level END,
        highest_level = CASE WHEN c.level = 'community' AND c.highest_level = 'community' THEN 'township'
                             WHEN c.level = 'township' THEN 'city' ELSE c.highest_level END,
        level_started_at = CASE WHEN c.level = 'city' THEN c.level_started_at ELSE :at END,
        warn_at = CASE c.level WHEN 'community' THEN :at + interval '5.6 days'
                               WHEN 'township' THEN :at + interval '12 days' ELSE c.warn_at END,
        due_at = CASE c.level WHEN 'community' THEN :at + interval '7 days'
                              WHEN 'township' THEN :at + interval '15 days' ELSE c.due_at END,
        escalation_count = c.escalation_count + CASE WHEN c.level = 'city' THEN 0 ELSE 1 END,
        overdue_at = CASE WHEN c.level = 'city' THEN :at END,
        supervised_at = CASE WHEN c.level = 'city' THEN coalesce(c.supervised_at, :at)
                             ELSE c.supervised_at END,
        assignee_id = CASE WHEN c.level = 'city' THEN c.assignee_id END,
        extension_days = CASE WHEN c.level = 'city' THEN c.extension_days ELSE 0 END,
        version = c.version + 1, updated_at = :at
    FROM due WHERE c.id = due.id
"""


def _raw_update(limit: int) -> tuple[int, float]:
    """The raw UPDATE of the first `limit` due rows in the sweep's order; rolled back."""
    started = time.perf_counter()
    rows = db.session.execute(sa.text(_RAW_UPDATE), {"at": utcnow(), "limit": limit}).rowcount
    seconds = time.perf_counter() - started
    db.session.rollback()
    return rows, seconds


def make_due(count: int) -> int:
    """Reopen the `count` most recent resolved or closed cases, in progress and past due by up
    to a day at their level. Returns how many."""
    changed = db.session.execute(
        sa.text(
            """
            UPDATE cases SET
                status = 'in_progress', accepted_at = coalesce(accepted_at, created_at),
                resolved_at = NULL, resolved_level = NULL, resolved_on_time = NULL,
                resolution_outcome = NULL, closed_at = NULL, revisited_at = NULL, satisfaction = NULL,
                overdue_at = NULL, supervised_at = NULL,
                due_at = :now - make_interval(secs => 60 + random() * 86400),
                warn_at = :now - interval '2 days', version = version + 1, updated_at = :now
            WHERE id IN (
                SELECT id FROM cases WHERE status IN ('resolved', 'closed') AND duplicate_of_id IS NULL
                ORDER BY id DESC LIMIT :count
            )
            """
        ),
        {"now": utcnow(), "count": count},
    ).rowcount
    db.session.commit()
    db.session.execute(sa.text("ANALYZE cases"))
    db.session.commit()
    return changed


def measure_due(result: SweepResult, count: int, max_sweeps: int) -> SweepResult:
    """Set `count` cases due, time the raw UPDATEs of them (rolled back), then the sweeps."""
    result.due = make_due(count)
    _, result.raw_batch_seconds = _raw_update(SWEEP_BATCH)
    _, result.raw_all_seconds = _raw_update(result.due)
    for _ in range(max_sweeps):
        moved, seconds, report = _sweep_once()
        if not moved:
            break
        result.sweeps.append((moved, seconds))
        result.escalated += len(report.escalated)
        result.marked_overdue += len(report.marked_overdue)
    result.first_cases, result.first_seconds = result.sweeps[0]
    return result
