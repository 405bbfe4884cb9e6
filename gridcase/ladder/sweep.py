"""The escalation sweep (DESIGN §3): overdue cases climb one level; at the top they are marked
overdue and put under 督办 with a red alert, and climb no further (矛盾不上交).

Safe with many processes and hosts:
- a transaction-scoped advisory lock elects one sweeper; any other sweep at the same moment
  returns at once and does nothing;
- rows are taken FOR UPDATE SKIP LOCKED, so a case a person is acting on is left alone this
  time, and PostgreSQL re-checks the WHERE clause on rows changed since the query began, so a
  case resolved meanwhile is left alone too;
- the new level's clock starts at the sweep's moment, so no case can climb twice in one sweep,
  and after downtime the next sweeps catch up one level each.

In the same pass, the assignments of cases to units (DESIGN §2, "Assignments") that ran past
their signing or finishing time are marked late, once per clock, and the unit's head and the
centre that dispatched them are told. Each runs on its own clock; the ladder does not wait.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from gridcase import locks
from gridcase.cases.events import NewEvent, append_events
from gridcase.cases.lifecycle import LoggedAction
from gridcase.cases.models import Case, Category, is_open
from gridcase.cases.verification import tell_verifiers
from gridcase.extensions import db
from gridcase.gridwork.screening import alert_missing_reports, open_monthly_rounds
from gridcase.gridwork.watch import alert_overdue_follow_ups
from gridcase.ladder.calendar import WorkCalendar
from gridcase.ladder.clock import clock_for_level, load_calendar
from gridcase.ladder.limits import level_above, level_rank
from gridcase.locks import try_job_lock
from gridcase.mediation.agreements import remind_confirmation, remind_performance
from gridcase.mediation.court_referrals import remind_court_referrals
from gridcase.notifications.inbox import (
    Kind,
    LevelNotice,
    notify_level,
    notify_levels,
    notify_reporters,
    notify_units,
    notify_user,
)
from gridcase.people.models import User
from gridcase.settings import ladder, utcnow
from gridcase.stats.alerts import AREA_COLUMNS, raise_case_alert, raise_case_alerts
from gridcase.stats.models import AlertKind
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.units.lifecycle import OPEN_ASSIGNMENT_STATUSES, AssignmentStatus
from gridcase.units.models import CaseAssignment

# Cases handled per sweep; the rest wait for the next sweep a minute later.
SWEEP_BATCH = 5000


@dataclass
class SweepReport:
    at: datetime
    sweep_id: str
    ran: bool = True  # False: another sweeper held the lock
    escalated: list[tuple[str, str, str]] = field(default_factory=list)  # (number, from, to)
    marked_overdue: list[str] = field(default_factory=list)
    # (case number, unit code, "sign" or "finish") of assignments found late this time
    assignments_late: list[tuple[str, str, str]] = field(default_factory=list)
    verifications_late: list[str] = field(default_factory=list)  # case numbers
    performance_due: int = 0  # agreements whose performance deadline came: mediators reminded
    confirmation_closing: int = 0  # agreements on day 20 of the 司法确认 window: mediators reminded
    # court referrals (诉前调解) with no result: on day 20 of their period, and past its end
    referrals_closing: int = 0
    referrals_ended: int = 0
    # grid work: watched people and hazards past their follow-up day; grids that filed no
    # screening report by a round's due day
    follow_ups_overdue: int = 0
    screening_missing: int = 0
    screening_rounds_opened: int = 0  # the month's rounds, when GRIDCASE_MONTHLY_SCREENING_DUE_DAY

    def lines(self) -> list[str]:
        if not self.ran:
            return [f"Sweep at {self.at.isoformat()}: another sweeper is running; nothing done."]
        lines = [
            f"Sweep at {self.at.isoformat()}: {len(self.escalated)} escalated, "
            f"{len(self.marked_overdue)} marked overdue at the top level, "
            f"{len(self.assignments_late)} unit assignment(s) late, "
            f"{len(self.verifications_late)} verification(s) late, "
            f"{self.performance_due} agreement(s) due for performance, "
            f"{self.confirmation_closing} near the end of their window for judicial confirmation, "
            f"{self.referrals_closing} court referral(s) near their end and {self.referrals_ended} ended "
            "with no result, "
            f"{self.follow_ups_overdue} watch follow-up(s) overdue, "
            f"{self.screening_missing} screening report(s) missing."
        ]
        lines += [f"  escalated {number}: {old} → {new}" for number, old, new in self.escalated]
        lines += [f"  overdue at the top, under 督办: {number}" for number in self.marked_overdue]
        lines += [f"  late to {clock}: {number} at {unit}" for number, unit, clock in self.assignments_late]
        lines += [f"  verification late: {number}" for number in self.verifications_late]
        return lines


def sweep(at: datetime | None = None) -> SweepReport:
    """One sweep as if at `at` (default now), in the caller's transaction; the caller commits."""
    at = at or utcnow()
    # The process id in the sweep id tells, in the event log, which scheduler did the work.
    report = SweepReport(at=at, sweep_id=f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
    if not try_job_lock(locks.SWEEP):
        report.ran = False
        return report
    _move_due_cases(at, report)
    _mark_late_assignments(at, report)
    _mark_late_verifications(at, report)
    _remind_performance(at, report)
    _remind_court_referrals(at, report)
    report.follow_ups_overdue = len(alert_overdue_follow_ups(at))
    report.screening_missing = len(alert_missing_reports(at))
    report.screening_rounds_opened = len(open_monthly_rounds(at))
    return report


# What a late assignment is late for: its status while the clock runs, the due-time column and
# the column that records when the sweep found it late.
LATE_CLOCKS = (
    ("sign", (AssignmentStatus.PENDING.value,), CaseAssignment.sign_due_at, "sign_overdue_at"),
    (
        "finish",
        tuple(s.value for s in OPEN_ASSIGNMENT_STATUSES),
        CaseAssignment.finish_due_at,
        "finish_overdue_at",
    ),
)


def _mark_late_assignments(at: datetime, report: SweepReport) -> None:
    """Set-based: one UPDATE per clock marks what ran late and has not been marked yet, then
    the unit's heads and the dispatching centre are told. Rows a person is changing right now
    (a signature, a return, a dispatch again) are skipped, not waited for: the next sweep finds
    them if they are still late, and the sweep never waits on nor deadlocks with a person."""
    for clock, statuses, due_at, marked in LATE_CLOCKS:
        marked_column = getattr(CaseAssignment, marked)
        late_ids = (
            sa.select(CaseAssignment.id)
            .where(CaseAssignment.status.in_(statuses), due_at <= at, marked_column.is_(None))
            .order_by(CaseAssignment.id)
            .with_for_update(skip_locked=True)
        )
        late = db.session.execute(
            sa.update(CaseAssignment)
            .where(CaseAssignment.id.in_(late_ids.scalar_subquery()))
            .values({marked: at})
            .returning(CaseAssignment.case_id, CaseAssignment.unit_code, CaseAssignment.dispatched_level)
            .execution_options(synchronize_session=False)
        ).all()
        if not late:
            continue
        cases = {
            row.id: row
            for row in db.session.execute(
                sa.select(
                    Case.id, Case.public_number, Case.title, *(getattr(Case, c) for c in AREA_COLUMNS)
                ).where(Case.id.in_({r.case_id for r in late}))
            )
        }
        what = "签收" if clock == "sign" else "办结"
        heads, centres = [], []
        for case_id, unit_code, dispatched_level in late:
            case = cases[case_id]
            message = f"{case.public_number} 单位超期未{what}：{case.title}"
            heads.append((case_id, unit_code, message))
            centres.append(
                LevelNotice(
                    case_id, dispatched_level, _node(case, dispatched_level), Kind.ASSIGNMENT_OVERDUE, message
                )
            )
            report.assignments_late.append((case.public_number, unit_code, clock))
        notify_units(heads, Kind.ASSIGNMENT_OVERDUE, at, heads_only=True)
        notify_levels(centres, at)


def _cases_by_id(ids: set[int]) -> dict[int, Case]:
    """The cases of `ids`, by id; nothing asked of the database when there are none (most
    sweeps: an idle sweep is a few cheap statements)."""
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(sa.select(Case).where(Case.id.in_(ids)))}


def _remind_performance(at: datetime, report: SweepReport) -> None:
    """协议履行: once an agreement's deadline has come (its local day) with no outcome recorded,
    its mediator is told once to check with the parties and record it; on day 20 of the 30 days
    for 司法确认, with no application yet, once to remind the parties."""
    due = remind_performance(at, at)
    cases = _cases_by_id({c for c, _ in due})
    for case_id, mediator_id in due:
        case = cases[case_id]
        message = f"{case.public_number} 调解协议履行期限已到，请回访当事人并记录履行情况"
        notify_user(mediator_id, case, Kind.PERFORMANCE_DUE, message, at)
    report.performance_due = len(due)
    closing = remind_confirmation(at)
    cases.update(_cases_by_id({c for c, _, _ in closing}))
    for case_id, mediator_id, due_day in closing:
        message = f"{cases[case_id].public_number} 调解协议司法确认申请期限将于{due_day}届满，请告知当事人"
        notify_user(mediator_id, cases[case_id], Kind.CONFIRMATION_CLOSING, message, at)
    report.confirmation_closing = len(closing)


def _remind_court_referrals(at: datetime, report: SweepReport) -> None:
    """诉前调解: a referral with no result reported, on day 20 of its period, and once more when
    the period has ended: the handlers of the case's level are told, to report the result back
    (a mediation that failed goes back to the court for the suit to be registered)."""
    closing, ended = remind_court_referrals(at)
    ids = {case_id for case_id, _ in closing + ended}
    cases = _cases_by_id(ids)
    for case_id, due_on in closing:
        case = cases[case_id]
        message = f"{case.public_number} 诉前调解期限将于{due_on.isoformat()}届满，请及时向法院反馈调解结果"
        notify_level(case, case.level, Kind.REFERRAL_CLOSING, message, at)
    for case_id, due_on in ended:
        case = cases[case_id]
        message = (
            f"{case.public_number} 诉前调解期限已于{due_on.isoformat()}届满，"
            "请向法院反馈结果（调解不成的退回法院立案）"
        )
        notify_level(case, case.level, Kind.REFERRAL_ENDED, message, at)
    report.referrals_closing, report.referrals_ended = len(closing), len(ended)


def _mark_late_verifications(at: datetime, report: SweepReport) -> None:
    """Resolutions past their verification's due time (待核查超期): marked once, set-based (rows a
    person is changing right now are skipped, found by the next sweep), each raising an alert for
    the centre and its verifiers. The case itself does not change: no event, no new version."""
    late_ids = (
        sa.select(Case.id)
        .where(Case.status == "resolved", Case.verify_due_at <= at, Case.verify_overdue_at.is_(None))
        .order_by(Case.id)
        .with_for_update(skip_locked=True, of=Case)
    )
    late = db.session.scalars(
        sa.update(Case)
        .where(Case.id.in_(late_ids.scalar_subquery()))
        .values(verify_overdue_at=at)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not late:  # (most sweeps: nothing more to ask)
        return
    for case in db.session.scalars(sa.select(Case).where(Case.id.in_(late)).order_by(Case.id)):
        title = f"{case.public_number} 已化解超过核查时限未核查：{case.title}"
        raise_case_alert(case, AlertKind.VERIFICATION_OVERDUE, title, at, severity="yellow")
        resolver = db.session.get(User, case.resolved_by_id)
        if resolver is not None:  # and its verifiers hear it is theirs, late
            message = f"{case.public_number} 核查已超期，请尽快核查：{case.title}"
            tell_verifiers(case, resolver, Kind.VERIFY_OVERDUE, message, at)
        report.verifications_late.append(case.public_number)


# The due cases of one sweep, oldest due first: only the columns the moves need, the rows
# locked (those a person holds are skipped, left for the next sweep).
_DUE = (
    sa.select(
        Case.id,
        Case.version,
        Case.status,
        Case.level,
        Case.highest_level,
        Case.due_at,
        Case.public_number,
        Case.title,
        Case.reporter_id,
        *(getattr(Case, column) for column in AREA_COLUMNS),
        Category.time_limits,
    )
    .join(Category, Category.code == Case.category_code)
    .where(is_open(), Case.due_at <= sa.bindparam("at"), Case.overdue_at.is_(None))
    .order_by(Case.due_at, Case.id)
    .limit(SWEEP_BATCH)
    .with_for_update(skip_locked=True, of=Case)
)

# Escalated: the level above, a fresh clock from the sweep's moment (enter_level's changes),
# one version more. The version check is a second guard beside the row lock: a case changed
# since it was read is left alone, with no event.
_ESCALATE = sa.text(
    """
    UPDATE cases AS c SET
        level = w.level, highest_level = w.highest_level, level_started_at = :at,
        warn_at = w.warn_at, due_at = w.due_at, overdue_at = NULL,
        extension_days = 0, extension_requested_days = NULL, extension_requested_by_id = NULL,
        assignee_id = NULL, escalation_count = c.escalation_count + 1,
        version = c.version + 1, updated_at = :at
    FROM unnest(CAST(:id AS bigint[]), CAST(:version AS integer[]), CAST(:level AS text[]),
                CAST(:highest_level AS text[]), CAST(:warn_at AS timestamptz[]),
                CAST(:due_at AS timestamptz[])) AS w(id, version, level, highest_level, warn_at, due_at)
    WHERE c.id = w.id AND c.version = w.version
    RETURNING c.id
    """
)
# Overdue at the top (督办): marked, supervised from now unless already, one version more.
_MARK_OVERDUE = sa.text(
    """
    UPDATE cases AS c SET
        overdue_at = :at, supervised_at = coalesce(c.supervised_at, :at),
        version = c.version + 1, updated_at = :at
    FROM unnest(CAST(:id AS bigint[]), CAST(:version AS integer[])) AS w(id, version)
    WHERE c.id = w.id AND c.version = w.version
    RETURNING c.id
    """
)


def _move_due_cases(at: datetime, report: SweepReport) -> None:
    """Every due case of this sweep climbs one level, or at the top is marked overdue, set-based:
    a few statements for the whole batch (the cases, their events with the chain links, the
    notifications, the alerts, the outbox), however many cases are due."""
    levels = ladder()
    due = db.session.execute(_DUE, {"at": at}).all()
    if not due:
        return
    calendar = load_calendar()
    climbing, topped = [], []
    for row in due:
        above = level_above(levels, row.level) if row.level in levels else None
        (topped if above is None else climbing).append((row, above))
    _escalate(climbing, at, report, levels, calendar)
    _mark_overdue(topped, at, report)


def _moved(statement: sa.TextClause, parameters: dict) -> set[int]:
    """Run one of the set-based UPDATEs of cases; the ids it moved. The session's copies of
    those cases (a caller's, a test's) are expired at once, so that whatever reads them next —
    the webhook documents of this very sweep included — reads their new state."""
    moved = set(db.session.scalars(statement, parameters))
    for key, instance in list(db.session.identity_map.items()):
        if key[0] is Case and key[1][0] in moved:
            db.session.expire(instance)
    return moved


def _escalate(
    climbing: list, at: datetime, report: SweepReport, levels: list[str], calendar: WorkCalendar
) -> None:
    """Each case to the level above with a fresh clock; the handlers above and those it left,
    and the grid worker who logged it, are told."""
    if not climbing:
        return
    columns: dict[str, list] = {
        name: [] for name in ("id", "version", "level", "highest_level", "warn_at", "due_at")
    }
    for row, above in climbing:
        warn_at, due_at = clock_for_level(above, at, row.time_limits, 0, calendar)
        higher = level_rank(levels, above) > level_rank(levels, row.highest_level)
        for name, value in zip(
            columns,
            (row.id, row.version, above, above if higher else row.highest_level, warn_at, due_at),
            strict=True,
        ):
            columns[name].append(value)
    moved = _moved(_ESCALATE, {**columns, "at": at})
    climbed = [(row, above) for row, above in climbing if row.id in moved]
    append_events(
        [
            _system_event(
                row,
                LoggedAction.AUTO_ESCALATE,
                at,
                above,
                {"reason": "overdue", "overdue_since": row.due_at.isoformat(), "sweep": report.sweep_id},
            )
            for row, above in climbed
        ]
    )
    notices = []
    for row, above in climbed:
        zh_above = RegionLevel(above).zh
        notices += [
            LevelNotice(
                row.id,
                above,
                _node(row, above),
                Kind.ESCALATED,
                f"{row.public_number} 超期未办结，已自动升级至本级：{row.title}",
            ),
            LevelNotice(
                row.id,
                row.level,
                _node(row, row.level),
                Kind.ESCALATED_AWAY,
                f"{row.public_number} 超期未办结，已自动升级至{zh_above}：{row.title}",
            ),
        ]
        report.escalated.append((row.public_number, row.level, above))
    notify_levels(notices, at)
    notify_reporters(
        [
            (row.id, row.reporter_id, f"{row.public_number}超期未办结，已自动升级至{RegionLevel(above).zh}")
            for row, above in climbed
        ],
        at,
    )


def _mark_overdue(topped: list, at: datetime, report: SweepReport) -> None:
    """Cases overdue at the top level: marked, put under 督办 with a red alert, and the handlers
    of their level told. They climb no further (矛盾不上交)."""
    if not topped:
        return
    columns = {"id": [row.id for row, _ in topped], "version": [row.version for row, _ in topped]}
    marked = _moved(_MARK_OVERDUE, {**columns, "at": at})
    rows = [row for row, _ in topped if row.id in marked]
    reason = "overdue at the top level"
    append_events(
        [
            _system_event(
                row,
                LoggedAction.MARK_OVERDUE,
                at,
                row.level,
                {"reason": reason, "due_at": row.due_at.isoformat(), "sweep": report.sweep_id},
            )
            for row in rows
        ]
    )
    raise_case_alerts(
        rows,
        AlertKind.TOP_OVERDUE,
        [
            f"{row.public_number} 在{RegionLevel(row.level).zh}级超期未办结（督办）：{row.title}"
            for row in rows
        ],
        at,
    )
    notify_levels(
        [
            LevelNotice(
                row.id,
                row.level,
                _node(row, row.level),
                Kind.OVERDUE,
                f"{row.public_number} 已超期，列入督办：{row.title}",
            )
            for row in rows
        ],
        at,
    )
    report.marked_overdue += [row.public_number for row in rows]


def _system_event(row, action: LoggedAction, at: datetime, to_level: str, payload: dict) -> NewEvent:
    """The sweep's own event for a due case (no actor; the status stays as it was)."""
    return NewEvent(
        case_id=row.id,
        action=action.value,
        at=at,
        actor_id=None,
        from_status=row.status,
        to_status=row.status,
        from_level=row.level,
        to_level=to_level,
        payload=payload,
    )


def _node(row, level: str) -> str | None:
    """The code of the case's node at `level` (its township for "township" …)."""
    return getattr(row, ANCESTOR_COLUMNS[RegionLevel(level)])
