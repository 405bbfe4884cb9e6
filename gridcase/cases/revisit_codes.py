"""回访 by the person themselves: a one-time code (回访码) for the person who brought the matter
or a party, with which they answer a short satisfaction survey on a public page — no account,
no staff member in between (DESIGN §2, "Revisit").

The code is issued on the terms of a revisit (someone other than the case's handler, at its
level or above, once it is resolved or closed), printed on a slip with a QR code. Only its keyed
hash is stored; it works once, until it expires, and an answer makes the case's other codes
void. The answer is the case's revisit: it counts for satisfaction, and dissatisfied sends the
case back to its level.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from gridcase.cases.domain import RevisitMethod, Satisfaction
from gridcase.cases.events import append_event
from gridcase.cases.lifecycle import Action, LoggedAction, decide
from gridcase.cases.models import Case, RevisitInvitation
from gridcase.cases.operations import record_revisit
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state
from gridcase.errors import NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.settings import cipher, setting, utcnow

# Letters and digits that cannot be mistaken for one another on paper (no 0/O, 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 8 × 10^14: not worth guessing
INFORMANT = "informant"


@dataclass(frozen=True)
class IssuedCode:
    invitation: RevisitInvitation
    code: str  # shown once, on the slip; never stored

    @property
    def grouped(self) -> str:
        """The code as printed: in groups of five, easier to type."""
        return f"{self.code[:5]}-{self.code[5:]}"


def issue_revisit_code(user: User, ref: str | int, addressee: str, now: datetime | None = None) -> IssuedCode:
    """A new code for `addressee` ('informant', or a party's id) of the case `ref`.

    Raises:
        NotFound: no such case in scope, or no such person on it.
        Unprocessable: the user may not revisit this case now (its handler, the wrong level, not
            yet resolved), or the person has no way to be reached.
    """
    now = now or utcnow()
    case = find_case(user, ref, lock=True)
    reason = decide(Action.REVISIT, case_state(case), actor_state(user, case))
    if reason:
        raise Unprocessable(reason, {"addressee": [reason]})
    party_id = _addressee(case, addressee)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    invitation = RevisitInvitation(
        case_id=case.id,
        party_id=party_id,
        code_hash=_hash(code),
        delivery="slip",
        issued_by_id=user.id,
        issued_at=now,
        expires_at=now + timedelta(days=int(setting("GRIDCASE_REVISIT_CODE_DAYS"))),
    )
    db.session.add(invitation)
    append_event(
        case,
        action=LoggedAction.REVISIT_CODE,
        at=now,
        actor_id=user.id,
        from_status=case.status,
        from_level=case.level,
        payload={"to": addressee if party_id is None else f"party {party_id}", "delivery": "slip"},
    )
    return IssuedCode(invitation, code)


def _addressee(case: Case, addressee: str) -> int | None:
    if addressee == INFORMANT:
        if case.informant is None:
            raise NotFound(f"Case {case.public_number} records no person who brought it.")
        return None
    party = next((p for p in case.parties if str(p.id) == str(addressee)), None)
    if party is None:
        raise NotFound(f"No party {addressee} in case {case.public_number}.")
    return party.id


def normalised(code: str) -> str:
    """The code as typed (any case, with spaces or dashes) in its stored form."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _hash(code: str) -> str:
    return cipher().lookup_hash(f"revisit:{normalised(code)}")


def open_invitation(
    code: str, now: datetime | None = None, lock: bool = False
) -> tuple[RevisitInvitation, Case]:
    """The invitation a code opens, and its case.

    Raises:
        NotFound: no such code, or it was used or has expired, or the case can no longer be
            revisited (one answer for all: a code says nothing of other codes).
    """
    now = now or utcnow()
    query = sa.select(RevisitInvitation).where(
        RevisitInvitation.code_hash == _hash(code),
        RevisitInvitation.answered_at.is_(None),
        RevisitInvitation.expires_at > now,
    )
    invitation = db.session.scalar(query.with_for_update() if lock else query)
    case = None
    if invitation is not None:
        case_query = sa.select(Case).where(Case.id == invitation.case_id)
        if lock:  # (only the case row: its joined category and people are read, not changed)
            case_query = case_query.with_for_update(of=Case).execution_options(populate_existing=True)
        case = db.session.scalar(case_query)
    if invitation is None or case is None or case.status not in ("resolved", "closed"):
        raise NotFound(Message("This code is not valid: it may have been used already or have expired."))
    return invitation, case


def answer_revisit(
    code: str, satisfaction: Satisfaction, comment: str = "", now: datetime | None = None
) -> Case:
    """The person's own answer: the case's revisit, by code. The code and the case's other open
    codes are used up.

    Raises:
        NotFound: see open_invitation.
    """
    now = now or utcnow()
    invitation, case = open_invitation(code, now, lock=True)
    from_status = case.status
    case.status = record_revisit(case, satisfaction, RevisitMethod.CODE, now).value
    db.session.execute(
        sa.update(RevisitInvitation)
        .where(RevisitInvitation.case_id == case.id, RevisitInvitation.answered_at.is_(None))
        .values(expires_at=sa.func.least(RevisitInvitation.expires_at, now))
    )
    invitation.answered_at = now
    case.version += 1
    case.updated_at = now
    append_event(
        case,
        action=Action.REVISIT.value,
        at=now,
        actor_id=None,  # the person themselves, who has no account
        from_status=from_status,
        from_level=case.level,
        payload={
            "satisfaction": satisfaction.value,
            "method": RevisitMethod.CODE.value,
            "by": INFORMANT if invitation.party_id is None else f"party {invitation.party_id}",
            "note": comment.strip()[:500],
        },
    )
    return case
