"""督办单 (DESIGN §2, "Supervision"): the city command centre supervises a case with a document
addressed to the level handling it or to a unit at work on it — a requirement, a reply deadline
in working days, a grade (黄牌/红牌 by the rule GRIDCASE_SUPERVISION_RED, kept as data); the
target replies in writing; the centre evaluates the reply: accepted, or 督办 again (a new, red
one). Who may take each step is gridcase.cases.lifecycle's; this module keeps the records."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gridcase.cases.lifecycle import SupervisionState
from gridcase.cases.models import Case, Supervision
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.ladder.clock import load_calendar
from gridcase.notifications.inbox import Kind, notify_level, notify_unit, notify_user
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLE_OF_LEVEL
from gridcase.people.scope import covers
from gridcase.settings import ladder, setting
from gridcase.units.assignments import unit_assignment
from gridcase.units.lifecycle import OPEN_ASSIGNMENT_STATUSES

OPEN_SUPERVISION = ("open", "replied")
DEFAULT_REPLY_DAYS = 3


def open_supervision(case_id: int) -> Supervision | None:
    """The case's 督办单 awaiting a reply or its evaluation, if any."""
    return db.session.scalar(
        sa.select(Supervision).where(Supervision.case_id == case_id, Supervision.status.in_(OPEN_SUPERVISION))
    )


def supervision_state(case: Case) -> SupervisionState | None:
    """What the lifecycle rules need to know of the case's open 督办单."""
    open_one = open_supervision(case.id)
    if open_one is None:
        return None
    return SupervisionState(
        open_one.target_level,
        open_one.target_unit_code,
        open_one.status == "replied",
        open_one.target_user_id,
    )


def case_supervisions(case_id: int) -> list[Supervision]:
    """Every 督办单 of a case, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Supervision).where(Supervision.case_id == case_id).order_by(Supervision.id)
        )
    )


def open_supervisions_of(case_ids: list[int]) -> dict[int, Supervision]:
    """{case id: its open 督办单} for a list of cases, in one query (the queues' marks)."""
    if not case_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Supervision).where(
            Supervision.case_id.in_(case_ids), Supervision.status.in_(OPEN_SUPERVISION)
        )
    )
    return {row.case_id: row for row in rows}


def grade_for(case: Case, now: datetime) -> str:
    """黄牌 or 红牌, by the rule GRIDCASE_SUPERVISION_RED: red once the case has been supervised
    `after` times before, or (`when_overdue`) when the case is past its due time."""
    rule = setting("GRIDCASE_SUPERVISION_RED")
    earlier = db.session.scalar(
        sa.select(sa.func.count()).select_from(Supervision).where(Supervision.case_id == case.id)
    )
    overdue = case.overdue_at is not None or case.due_at <= now
    return "red" if earlier >= int(rule["after"]) or (rule.get("when_overdue") and overdue) else "yellow"


def issue_supervision(case: Case, user: User, payload: dict, now: datetime, grade: str | None = None) -> dict:
    """Issue a 督办单 to the unit named (one at work on the case), or else the level handling
    the case — optionally naming the person of it who answers for it (责任人); tell its target.
    Returns what the event records.

    Raises:
        Unprocessable: the unit named holds no open assignment of the case; the person named is
            not a handler of the case's level whose scope holds it; both a unit and a person.
    """
    target_unit = payload.get("target_unit") or None
    person = _responsible_person(case, payload.get("target_person"), target_unit)
    if target_unit is not None:
        assignment = unit_assignment(case.id, target_unit)
        if assignment is None or assignment.status not in OPEN_ASSIGNMENT_STATUSES:
            raise Unprocessable(
                "A supervision goes to the level handling the case or to a unit at work on it.",
                {"target_unit": ["Not a unit at work on this case."]},
            )
    days = int(payload.get("reply_days") or DEFAULT_REPLY_DAYS)
    supervision = Supervision(
        case_id=case.id,
        grade=grade or grade_for(case, now),
        target_level=None if target_unit else case.level,
        target_unit_code=target_unit,
        target_user_id=person.id if person else None,
        requirement=payload["note"],
        issued_by_id=user.id,
        issued_at=now,
        reply_due_at=load_calendar().add_working_days(now, days),
        status="open",
    )
    db.session.add(supervision)
    db.session.flush()
    card = "红牌" if supervision.grade == "red" else "黄牌"
    _tell_target(
        supervision,
        case,
        f"{case.public_number} 督办（{card}），请于{days}个工作日内回复：{payload['note']}",
        now,
    )
    event = {
        "supervision_id": supervision.id,
        "grade": supervision.grade,
        "target": target_unit or case.level,
        "reply_due_at": supervision.reply_due_at.isoformat(),
        "note": payload["note"],
    }
    return {**event, "person_id": person.id, "person": person.display_name} if person else event


def _responsible_person(case: Case, user_id: int | None, target_unit: str | None) -> User | None:
    """The person a 督办单 names (责任人): an active handler of the case's level whose scope
    holds it."""
    if user_id is None:
        return None
    person = db.session.get(User, user_id)
    if target_unit is not None or person is None or not _answers_for(person, case):
        raise Unprocessable(
            "A supervision names a handler of the level handling the case (not with a unit).",
            {"target_person": ["Not a handler of this case's level."]},
        )
    return person


def _answers_for(person: User, case: Case) -> bool:
    """The person may be named for the case: an active handler of its level holding it."""
    return person.active and person.role == HANDLER_ROLE_OF_LEVEL.get(case.level) and covers(person, case)


def _tell_target(supervision: Supervision, case: Case, message: str, now: datetime) -> None:
    """The 督办单's target hears it: the unit's people, the person named, or the level's handlers."""
    if supervision.target_unit_code:
        notify_unit(supervision.target_unit_code, case, Kind.SUPERVISED, message, now)
    elif supervision.target_user_id:
        notify_user(supervision.target_user_id, case, Kind.SUPERVISED, message, now)
    else:
        notify_level(case, supervision.target_level, Kind.SUPERVISED, message, now)


def reply_to_supervision(case: Case, user: User, payload: dict, now: datetime) -> dict:
    """The target's written reply; the city command centre is told."""
    supervision = open_supervision(case.id)
    supervision.status = "replied"
    supervision.reply, supervision.replied_by_id, supervision.replied_at = payload["text"], user.id, now
    late = now > supervision.reply_due_at
    message = f"{case.public_number} 督办已回复{'（超期）' if late else ''}，请评价"
    notify_level(case, ladder()[-1], Kind.SUPERVISION_REPLIED, message, now)
    return {"supervision_id": supervision.id, "text": payload["text"], "on_time": not late}


def evaluate_supervision(case: Case, user: User, payload: dict, now: datetime) -> dict:
    """The centre's evaluation of the reply: accepted closes the 督办单; not accepted issues it
    again as a new, red one (its note the new requirement).

    Raises:
        Unprocessable: supervising again without saying what is still required.
    """
    supervision = open_supervision(case.id)
    note = (payload.get("note") or "").strip()
    if not payload["accepted"] and not note:
        raise Unprocessable(
            "Say what is still required.", {"note": ["Required when the reply is not accepted."]}
        )
    supervision.status = "accepted" if payload["accepted"] else "again"
    supervision.evaluation_note, supervision.evaluated_by_id, supervision.evaluated_at = note, user.id, now
    event = {"supervision_id": supervision.id, "accepted": payload["accepted"], "note": note}
    target = {
        "note": note,
        "target_unit": supervision.target_unit_code,
        "target_person": supervision.target_user_id,
        "reply_days": payload.get("reply_days"),
    }
    if payload["accepted"]:
        _tell_target(supervision, case, f"{case.public_number} 督办回复已认可", now)
        return event
    if supervision.target_level is not None:
        target["target_unit"] = None
    db.session.flush()  # the old one is no longer open: the new one may be
    if target["target_person"] is not None:
        person = db.session.get(User, target["target_person"])
        if person is None or not _answers_for(person, case):  # the case moved on: to its level
            target["target_person"] = None
    event["again"] = issue_supervision(case, user, target, now, grade="red")
    return event
