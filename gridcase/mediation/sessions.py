"""The mediation record: each sitting (调解) or inquiry (调查) of a dispute — when and where, the
mediators by account, the parties who attended — and its record, the 调解笔录 (what each party
said, what was proposed) or the 调查记录 (what was found, who was heard). The record is the
parties' words: encrypted at rest like their names (field "mediation_record"), read on the case
page by the people mediating it — the handlers of the case, the levels above and the invited
mediators — and never in lists, exports, webhooks or messages; the timeline says only that a
sitting was held, when, where and by whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from gridcase.cases.domain import OPEN_STATUSES
from gridcase.cases.events import log_beside
from gridcase.cases.lifecycle import LoggedAction, above, handles
from gridcase.cases.models import Case, CaseParty
from gridcase.cases.parties import masked
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state, standing_invitation
from gridcase.errors import Forbidden, Unprocessable
from gridcase.extensions import db
from gridcase.mediation.archive import refuse_if_archived
from gridcase.mediation.domain import SessionKind
from gridcase.mediation.models import MediationSession
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.people.scope import covers
from gridcase.settings import cipher

RECORD_FIELD = "mediation_record"  # the cipher's associated data for a session's record
MAX_RECORD = 20000
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionView:
    """A session as the case page shows it; `record` is None for whoever may not read it."""

    id: int
    kind: SessionKind
    held_at: datetime
    place: str
    mediators: list[str]
    attended: list[str]  # masked names of the parties present
    record: str | None


def record_session(user: User, ref, data: dict, now: datetime) -> MediationSession:
    """A sitting or inquiry held on an open dispute, recorded by a handler of the case or a
    mediator invited to it. `data`: kind, held_at, place, mediator_ids (accounts who mediated
    beside the recorder), party_ids (the case's parties present), record (the 笔录).

    Raises:
        NotFound: no such case in scope.
        Forbidden: the user neither handles the case nor is invited to it.
        Unprocessable: the case is finished, or a field is wrong (each named).
    """
    case = find_case(user, ref, lock=True)
    if not mediates(user, case):
        raise Forbidden(
            Message("Only a handler of the case or a mediator invited to it records its sessions.")
        )
    if case.status not in OPEN_STATUSES:
        raise Unprocessable(Message("The case is finished: its mediation record is closed."))
    refuse_if_archived(case.id)  # (a case reopened after its file was archived)
    errors: dict[str, list] = {}
    held_at, record = data["held_at"], (data.get("record") or "").strip()
    if held_at > now + CLOCK_SKEW:
        errors["held_at"] = [Message("A session is recorded after it was held, not before.")]
    if not record:
        errors["record"] = [Message("Write down what was said or found.")]
    elif len(record) > MAX_RECORD:
        errors["record"] = [Message("At most %(count)s characters.", count=str(MAX_RECORD))]
    mediators = _mediators(case, user, data.get("mediator_ids") or [], errors)
    parties = _parties(case, data.get("party_ids") or [], errors)
    if errors:
        raise Unprocessable(Message("The session record has mistakes; see each field."), errors)
    kind = SessionKind(data["kind"])
    session = MediationSession(
        case_id=case.id,
        kind=kind.value,
        held_at=held_at,
        place=(data.get("place") or "").strip()[:200],
        record_encrypted=cipher().encrypt(record, RECORD_FIELD),
        recorded_by_id=user.id,
        created_at=now,
        mediators=mediators,
        parties=parties,
    )
    db.session.add(session)
    db.session.flush()
    held = {
        "session_id": session.id,
        "kind": kind.value,
        "held_at": held_at.isoformat(),
        "place": session.place,
        "mediators": [m.display_name for m in mediators],
        "attended": len(parties),
    }
    log_beside(case, LoggedAction.SESSION, user.id, held, now)
    return session


def mediates(user: User, case: Case) -> bool:
    """The user mediates the case: a handler of it where it is or above, or a mediator invited to it."""
    if user.role == Role.EXTERNAL_MEDIATOR:
        return standing_invitation(case.id, user.id)
    actor, state = actor_state(user, case), case_state(case)
    return handles(actor, state) or above(actor, state)


def case_sessions(user: User, case: Case) -> list[SessionView]:
    """The case's sessions in the order held; the records in clear for those who mediate it."""
    sessions = db.session.scalars(
        sa.select(MediationSession)
        .where(MediationSession.case_id == case.id)
        .order_by(MediationSession.held_at, MediationSession.id)
    ).all()
    readable = bool(sessions) and mediates(user, case)
    return [
        SessionView(
            id=s.id,
            kind=SessionKind(s.kind),
            held_at=s.held_at,
            place=s.place,
            mediators=[m.display_name for m in s.mediators],
            attended=[masked(p)["name"] for p in s.parties],
            record=session_record(s) if readable else None,
        )
        for s in sessions
    ]


def session_record(session: MediationSession) -> str:
    return cipher().decrypt(session.record_encrypted, RECORD_FIELD)


def _mediators(case: Case, recorder: User, ids: list[int], errors: dict) -> list[User]:
    """The recorder and the accounts named: each a handler in the case's area or a mediator invited to it."""
    chosen = [recorder]
    for user_id in dict.fromkeys(ids):
        if user_id == recorder.id:
            continue
        user = db.session.get(User, user_id)
        eligible = user is not None and user.active
        if eligible and user.role == Role.EXTERNAL_MEDIATOR:
            eligible = standing_invitation(case.id, user.id)
        elif eligible:
            eligible = Role(user.role) in HANDLER_ROLES and covers(user, case)
        if not eligible:
            errors.setdefault("mediator_ids", []).append(
                Message(
                    "%(id)s is neither a handler of this area nor a mediator invited to the case.",
                    id=str(user_id),
                )
            )
            continue
        chosen.append(user)
    return chosen


def _parties(case: Case, ids: list[int], errors: dict) -> list[CaseParty]:
    parties = {p.id: p for p in case.parties}
    unknown = [str(i) for i in ids if i not in parties]
    if unknown:
        errors["party_ids"] = [Message("No such party of this case: %(ids)s.", ids=", ".join(unknown))]
    return [parties[i] for i in dict.fromkeys(ids) if i in parties]
