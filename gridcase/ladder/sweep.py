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
import sqlalchemy.orm as so

from gridcase import locks
from gridcase.cases.events import append_event
from gridcase.cases.lifecycle import LoggedAction
from gridcase.cases.models import Case, is_open
from gridcase.cases.operations import enter_level
from gridcase.cases.verification import tell_verifiers
from gridcase.extensions import db
from gridcase.gridwork.screening import alert_missing_reports, open_monthly_rounds
from gridcase.gridwork.watch import alert_overdue_follow_ups
from gridcase.ladder.calendar import WorkCalendar
from gridcase.ladder.clock import load_calendar
from gridcase.ladder.limits import level_above
from gridcase.locks import try_job_lock
from gridcase.mediation.agreements import remind_confirmation, remind_performance
from gridcase.mediation.court_referrals import remind_court_referrals
from gridcase.notifications.inbox import Kind, notify_level, notify_reporter, notify_unit, notify_user
from gridcase.people.models import User
from gridcase.settings import ladder, utcnow
from gridcase.stats.alerts import raise_case_alert
from gridcase.stats.models import AlertKind
from gridcase.territory.levels import RegionLevel
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
    levels = ladder()
    calendar = load_calendar()
    due = db.session.scalars(
        sa.select(Case)
        .where(
            is_open(),
            Case.due_at <= at,
            Case.overdue_at.is_(None),
        )
        .order_by(Case.due_at, Case.id)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True, of=Case)
        .options(so.lazyload(Case.reporter), so.lazyload(Case.assignee))
    ).all()
    for case in due:
        above = level_above(levels, case.level) if case.level in levels else None
        if above is None:
            _mark_overdue(case, at, report)
        else:
            _escalate(case, above, at, report, calendar)
        case.version += 1
        case.updated_at = at
    db.session.flush()
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
            c.id: c for c in db.session.scalars(sa.select(Case).where(Case.id.in_({r.case_id for r in late})))
        }
        what = "签收" if clock == "sign" else "办结"
        for case_id, unit_code, dispatched_level in late:
            case = cases[case_id]
            message = f"{case.public_number} 单位超期未{what}：{case.title}"
            notify_unit(unit_code, case, Kind.ASSIGNMENT_OVERDUE, message, at, heads_only=True)
            notify_level(case, dispatched_level, Kind.ASSIGNMENT_OVERDUE, message, at)
            report.assignments_late.append((case.public_number, unit_code, clock))


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
    for case in db.session.scalars(sa.select(Case).where(Case.id.in_(late)).order_by(Case.id)):
        title = f"{case.public_number} 已化解超过核查时限未核查：{case.title}"
        raise_case_alert(case, AlertKind.VERIFICATION_OVERDUE, title, at, severity="yellow")
        resolver = db.session.get(User, case.resolved_by_id)
        if resolver is not None:  # and its verifiers hear it is theirs, late
            message = f"{case.public_number} 核查已超期，请尽快核查：{case.title}"
            tell_verifiers(case, resolver, Kind.VERIFY_OVERDUE, message, at)
        report.verifications_late.append(case.public_number)


def _escalate(case: Case, above: str, at: datetime, report: SweepReport, calendar: WorkCalendar) -> None:
    from_status, from_level = case.status, case.level
    overdue_since = case.due_at
    enter_level(case, above, at, calendar=calendar)
    case.escalation_count += 1
    append_event(
        case,
        action=LoggedAction.AUTO_ESCALATE,
        at=at,
        actor_id=None,
        from_status=from_status,
        from_level=from_level,
        payload={"reason": "overdue", "overdue_since": overdue_since.isoformat(), "sweep": report.sweep_id},
    )
    notify_level(
        case, above, Kind.ESCALATED, f"{case.public_number} 超期未办结，已自动升级至本级：{case.title}", at
    )
    away = f"{case.public_number} 超期未办结，已自动升级至{RegionLevel(above).zh}：{case.title}"
    notify_level(case, from_level, Kind.ESCALATED_AWAY, away, at)
    notify_reporter(case, f"超期未办结，已自动升级至{RegionLevel(above).zh}", at)
    report.escalated.append((case.public_number, from_level, above))


def _mark_overdue(case: Case, at: datetime, report: SweepReport) -> None:
    case.overdue_at = at
    case.supervised_at = case.supervised_at or at
    append_event(
        case,
        action=LoggedAction.MARK_OVERDUE,
        at=at,
        actor_id=None,
        from_status=case.status,
        from_level=case.level,
        payload={
            "reason": "overdue at the top level",
            "due_at": case.due_at.isoformat(),
            "sweep": report.sweep_id,
        },
    )
    raise_case_alert(
        case,
        AlertKind.TOP_OVERDUE,
        f"{case.public_number} 在{RegionLevel(case.level).zh}级超期未办结（督办）：{case.title}",
        at,
    )
    notify_level(case, case.level, Kind.OVERDUE, f"{case.public_number} 已超期，列入督办：{case.title}", at)
    report.marked_overdue.append(case.public_number)
