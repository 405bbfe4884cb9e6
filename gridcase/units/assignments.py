"""Dispatch, and the steps of an assignment (DESIGN §2, "Assignments").

These run inside a case action (gridcase.cases.operations.perform_action), with the case row
locked FOR UPDATE: every change of a case's assignments is serialised by its case, and each
is an event of the case's log. The rules of what may happen when are
gridcase.units.lifecycle's (pure) and gridcase.cases.lifecycle's `decide`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.ladder.clock import load_calendar
from gridcase.notifications.inbox import Kind, notify_level, notify_unit
from gridcase.people.models import User
from gridcase.settings import setting
from gridcase.stats.alerts import raise_case_alert
from gridcase.stats.models import AlertKind
from gridcase.units.lifecycle import (
    OPEN_ASSIGNMENT_STATUSES,
    RETURNS_BEFORE_ALERT,
    VISIBLE_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentState,
    AssignmentStatus,
    ReturnReason,
    UnitStep,
    assignment_clock,
    step_result,
)
from gridcase.units.models import CaseAssignment, Unit
from gridcase.units.queries import dispatchable_units, unit_limits


def unit_assignment(case_id: int, unit_code: str | None) -> CaseAssignment | None:
    """The unit's assignment of a case that its people work through: the open one, else the
    latest done one (none once returned or withdrawn)."""
    if not unit_code:
        return None
    return db.session.scalar(
        sa.select(CaseAssignment)
        .where(
            CaseAssignment.case_id == case_id,
            CaseAssignment.unit_code == unit_code,
            CaseAssignment.status.in_(VISIBLE_ASSIGNMENT_STATUSES),
        )
        .order_by(CaseAssignment.status.in_(OPEN_ASSIGNMENT_STATUSES).desc(), CaseAssignment.id.desc())
        .limit(1)
    )


def assignment_state(assignment: CaseAssignment | None) -> AssignmentState | None:
    """What the lifecycle rules need to know of an assignment (None: the unit holds none)."""
    if assignment is None:
        return None
    return AssignmentState(AssignmentRole(assignment.role), AssignmentStatus(assignment.status))


def case_assignments(case_id: int) -> list[CaseAssignment]:
    """Every assignment of a case, in the order they were made."""
    return list(
        db.session.scalars(
            sa.select(CaseAssignment).where(CaseAssignment.case_id == case_id).order_by(CaseAssignment.id)
        )
    )


def resolving_assignment(case) -> CaseAssignment | None:
    """The lead assignment whose resolution the case's current one is (the lead unit resolved
    it, at the moment the case was resolved); None when the centre resolved it, or the case is
    not resolved. A unit's earlier, accepted resolution is not the current one after a reopen."""
    if case.resolved_at is None:
        return None
    return db.session.scalar(
        sa.select(CaseAssignment).where(
            CaseAssignment.case_id == case.id,
            CaseAssignment.role == AssignmentRole.LEAD.value,
            CaseAssignment.status == AssignmentStatus.DONE.value,
            CaseAssignment.done_at == case.resolved_at,
        )
    )


def withdraw_open(case, now: datetime, why: str) -> list[str]:
    """Withdraw the case's open assignments (dispatched again, or settled without them) and
    tell their units' people `why`, in words stored once (Chinese); the codes of the units.
    The rows are locked in id order first, as every writer of a case's assignments does, so
    that two never wait on each other crosswise."""
    open_ids = db.session.scalars(
        sa.select(CaseAssignment.id)
        .where(CaseAssignment.case_id == case.id, CaseAssignment.status.in_(OPEN_ASSIGNMENT_STATUSES))
        .order_by(CaseAssignment.id)
        .with_for_update()
    ).all()
    if not open_ids:
        return []
    withdrawn = db.session.scalars(
        sa.update(CaseAssignment)
        .where(CaseAssignment.id.in_(open_ids))
        .values(status=AssignmentStatus.WITHDRAWN.value, withdrawn_at=now)
        .returning(CaseAssignment.unit_code)
        .execution_options(synchronize_session="fetch")
    ).all()
    for code in withdrawn:
        notify_unit(code, case, Kind.WITHDRAWN, f"{case.public_number} {why}，本单位无需继续办理", now)
    return sorted(withdrawn)


def dispatch(case, user: User, level: str, payload: dict, now: datetime) -> dict:
    """Dispatch `case` to a lead unit and assisting units (payload: lead_unit, assist_units,
    requirement); the assignments still open are withdrawn (改派). Returns the event payload.

    Raises:
        Unprocessable: a unit that is unknown, inactive, does not serve the case's place, or is
            named twice.
    """
    codes = [payload["lead_unit"], *payload.get("assist_units", [])]
    if len(set(codes)) != len(codes):
        raise Unprocessable(
            "A unit is named once: the lead unit is not also an assisting unit.",
            {"assist_units": ["Each unit once."]},
        )
    # The units named are held (FOR SHARE) until the dispatch commits: an admin deactivating
    # one meanwhile waits and then finds its open assignment (gridcase.units.admin); one who
    # deactivated it first is seen by the query below, which runs after the lock is granted.
    db.session.execute(sa.select(Unit.code).where(Unit.code.in_(codes)).with_for_update(read=True))
    eligible = {unit.code: unit for unit in dispatchable_units(case)}
    unknown = [code for code in codes if code not in eligible]
    if unknown:
        raise Unprocessable(
            "A case goes to active units serving its township, district or city.",
            {"lead_unit" if payload["lead_unit"] in unknown else "assist_units": [", ".join(unknown)]},
        )
    withdrawn = withdraw_open(case, now, "已改派其他单位")
    calendar = load_calendar()
    fraction = float(setting("GRIDCASE_WARNING_FRACTION"))
    for role, code in [(AssignmentRole.LEAD, codes[0])] + [(AssignmentRole.ASSIST, c) for c in codes[1:]]:
        unit = eligible[code]
        sign_days, finish_days = unit_limits(unit, case.category_code)
        clock = assignment_clock(now, sign_days, finish_days, calendar, fraction)
        db.session.add(
            CaseAssignment(
                case_id=case.id,
                unit_code=code,
                role=role.value,
                status=AssignmentStatus.PENDING.value,
                requirement=payload["requirement"],
                dispatched_by_id=user.id,
                dispatched_level=level,
                dispatched_at=now,
                started_at=now,
                sign_days=sign_days,
                finish_days=finish_days,
                sign_warn_at=clock.sign_warn_at,
                sign_due_at=clock.sign_due_at,
                finish_warn_at=clock.finish_warn_at,
                finish_due_at=clock.finish_due_at,
            )
        )
        part = "主办" if role is AssignmentRole.LEAD else "协办"
        notify_unit(
            code, case, Kind.DISPATCHED, f"{case.public_number} 派遣至本单位（{part}）：{case.title}", now
        )
    db.session.flush()
    case.accepted_at = case.accepted_at or now
    return {
        "lead_unit": codes[0],
        "lead_unit_name": eligible[codes[0]].name,
        "assist_units": codes[1:],
        "assist_unit_names": [eligible[c].name for c in codes[1:]],
        "requirement": payload["requirement"],
        "withdrawn": withdrawn,
    }


def take_step(case, user: User, step: UnitStep, payload: dict, now: datetime) -> dict:
    """Apply a unit's step (sign, return, opinion, progress, resolve) to its assignment of the
    case, which `decide` has allowed. Returns what the event records of it."""
    assignment = unit_assignment(case.id, user.unit_code)
    unit = db.session.get(Unit, assignment.unit_code)
    event = {"unit": unit.code, "unit_name": unit.name, "assignment_id": assignment.id}
    if step is UnitStep.SIGN:
        assignment.signed_at, assignment.signed_by_id = now, user.id
        event.update(on_time=now <= assignment.sign_due_at, note=payload.get("note", ""))
    elif step is UnitStep.RETURN:
        assignment.returned_at = now
        assignment.return_reason = ReturnReason(payload["reason"]).value
        assignment.return_note = payload["note"]
        event.update(reason=assignment.return_reason, note=payload["note"])
        reason = ReturnReason(assignment.return_reason).zh
        if assignment.role == AssignmentRole.LEAD.value:
            event["returns"] = _lead_returns(case.id) + 1
            notify_level(
                case,
                case.level,
                Kind.RETURNED,
                f"{case.public_number} 被{unit.name}退回（{reason}），"
                + (
                    "已第二次退回，请会商指定承办单位"
                    if event["returns"] >= RETURNS_BEFORE_ALERT
                    else "请重新派遣"
                ),
                now,
            )
            if event["returns"] >= RETURNS_BEFORE_ALERT:
                _raise_returned_alert(case, event["returns"], now)
        else:  # an assisting unit steps out; the case stays with the lead
            message = f"{case.public_number} 协办单位{unit.name}退回（{reason}）"
            notify_level(case, case.level, Kind.RETURNED, message, now)
    elif step in (UnitStep.OPINION, UnitStep.RESOLVE):
        assignment.done_at, assignment.done_by_id = now, user.id
        event.update(on_time=now <= assignment.finish_due_at)
        if step is UnitStep.OPINION:
            event["text"] = payload["text"]
        else:
            notify_level(
                case,
                case.level,
                Kind.UNIT_RESOLVED,
                f"{case.public_number} 主办单位{unit.name}已办结，请核查",
                now,
            )
    else:
        event["text"] = payload["text"]
    if (after := step_result(step)) is not None:
        assignment.status = after.value
    db.session.flush()
    return event


def _raise_returned_alert(case, returns: int, now: datetime) -> None:
    """The lead unit's second return (and any later one while the alert is open: one alert per
    case until it is closed) asks the centre to settle who handles the case (会商、指定)."""
    raise_case_alert(
        case,
        AlertKind.RETURNED_TWICE,
        f"{case.public_number} 已被承办单位退回{returns}次，请会商指定承办单位：{case.title}",
        now,
        severity="yellow",
    )


def _lead_returns(case_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CaseAssignment)
        .where(
            CaseAssignment.case_id == case_id,
            CaseAssignment.role == AssignmentRole.LEAD.value,
            CaseAssignment.status == AssignmentStatus.RETURNED.value,
        )
    )


def send_back_for_rework(case, note: str, now: datetime) -> str | None:
    """After a failed verification of the lead unit's resolution: its assignment is open again
    (返工), on a fresh finishing clock from now. The unit's code, or None when no unit resolved."""
    assignment = resolving_assignment(case)
    if assignment is None:
        return None
    clock = assignment_clock(
        now,
        assignment.sign_days,
        assignment.finish_days,
        load_calendar(),
        float(setting("GRIDCASE_WARNING_FRACTION")),
    )
    assignment.status = AssignmentStatus.SIGNED.value
    assignment.rework_count += 1
    assignment.done_at = assignment.done_by_id = assignment.finish_overdue_at = None
    assignment.started_at = now
    assignment.finish_warn_at, assignment.finish_due_at = clock.finish_warn_at, clock.finish_due_at
    notify_unit(
        assignment.unit_code, case, Kind.REWORK, f"{case.public_number} 核查未通过，请返工：{note}", now
    )
    return assignment.unit_code
