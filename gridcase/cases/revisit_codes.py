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
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from gridcase.cases.domain import RevisitMethod, Satisfaction
from gridcase.cases.events import append_event
from gridcase.cases.lifecycle import Action, LoggedAction, decide
from gridcase.cases.models import Case, EncryptedPerson, RevisitInvitation
from gridcase.cases.operations import record_revisit
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state
from gridcase.errors import NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.notifications.outbound import next_attempt, send_sms
from gridcase.people.models import User
from gridcase.settings import cipher, local_tz, setting, utcnow

# Letters and digits that cannot be mistaken for one another on paper (no 0/O, 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SLIP, SMS = "slip", "sms"  # how a code reaches the person
CODE_FIELD = "revisit_code"  # the cipher's field name for a code waiting to go by SMS
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


def issue_revisit_code(
    user: User, ref: str | int, addressee: str, delivery: str = SLIP, now: datetime | None = None
) -> IssuedCode:
    """A new code for `addressee` ('informant', or a party's id) of the case `ref`, to print on
    a slip, or to send by SMS to the person's phone (the scheduler sends it; nobody sees it).

    Raises:
        NotFound: no such case in scope, or no such person on it.
        Unprocessable: the user may not revisit this case now (its handler, the wrong level, not
            yet resolved), or, by SMS, the person has no phone or no gateway is configured.
    """
    now = now or utcnow()
    case = find_case(user, ref, lock=True)
    reason = decide(Action.REVISIT, case_state(case), actor_state(user, case))
    if reason:
        raise Unprocessable(reason, {"addressee": [reason]})
    party_id = _addressee(case, addressee)
    if delivery == SMS:
        _refuse_sms_without_a_way(_person(case, party_id))
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    invitation = RevisitInvitation(
        case_id=case.id,
        party_id=party_id,
        code_hash=_hash(code),
        delivery=delivery,
        issued_by_id=user.id,
        issued_at=now,
        expires_at=now + timedelta(days=int(setting("GRIDCASE_REVISIT_CODE_DAYS"))),
    )
    if delivery == SMS:
        invitation.code_encrypted = cipher().encrypt(code, CODE_FIELD)
        invitation.sms_status = "pending"
        invitation.next_attempt_at = sending_time(now)
    db.session.add(invitation)
    append_event(
        case,
        action=LoggedAction.REVISIT_CODE,
        at=now,
        actor_id=user.id,
        from_status=case.status,
        from_level=case.level,
        payload={"to": addressee if party_id is None else f"party {party_id}", "delivery": delivery},
    )
    return IssuedCode(invitation, code)


def _addressee(case: Case, addressee: str) -> int | None:
    if addressee == INFORMANT:
        if case.informant is None:
            raise NotFound(
                Message("Case %(number)s records no person who brought it.", number=str(case.public_number))
            )
        return None
    party = next((p for p in case.parties if str(p.id) == str(addressee)), None)
    if party is None:
        raise NotFound(
            Message(
                "No party %(addressee)s in case %(number)s.",
                addressee=str(addressee),
                number=str(case.public_number),
            )
        )
    return party.id


def _person(case: Case, party_id: int | None) -> EncryptedPerson:
    return case.informant if party_id is None else next(p for p in case.parties if p.id == party_id)


def _refuse_sms_without_a_way(person: EncryptedPerson) -> None:
    problem = None
    if person.phone_encrypted is None:
        problem = Message("No phone number is recorded for this person: print a slip instead.")
    elif not setting("GRIDCASE_SMS_GATEWAY_URL"):
        problem = Message("No SMS gateway is configured: print a slip instead.")
    if problem:
        raise Unprocessable(problem, {"delivery": [problem]})


def sending_time(moment: datetime) -> datetime:
    """`moment`, or the start of the next sending hours (GRIDCASE_REVISIT_SMS_HOURS, local
    time) when it falls outside them: a citizen gets no text at night."""
    start, end = (
        time.fromisoformat(part.strip()) for part in setting("GRIDCASE_REVISIT_SMS_HOURS").split("-")
    )
    local = moment.astimezone(local_tz())
    if start <= local.time() < end:
        return moment
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, local_tz())


@dataclass
class RevisitSmsReport:
    sent: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    postponed: int = 0

    def lines(self) -> list[str]:
        if not (self.sent or self.failed_attempts or self.postponed):
            return []
        return [
            f"Revisit codes by SMS: {self.sent} sent, {self.failed_attempts} failed attempt(s), "
            f"{self.gave_up} given up, {self.postponed} postponed to the sending hours."
        ]


def send_revisit_codes(now: datetime | None = None, limit: int | None = None) -> RevisitSmsReport:
    """The scheduler's part: send the codes due by SMS, one at a time, each committed on its
    own (FOR UPDATE SKIP LOCKED); a failure waits with back-off and is given up after
    GRIDCASE_OUTBOUND_MAX_ATTEMPTS; a sent code is erased. What goes out is the case's number, the
    survey's address and the code: nothing of the person. `now` fixes the clock (tests)."""
    report = RevisitSmsReport()
    for _ in range(limit or int(setting("GRIDCASE_OUTBOUND_BATCH"))):
        moment = now or utcnow()
        invitation = db.session.scalar(
            sa.select(RevisitInvitation)
            .where(RevisitInvitation.sms_status == "pending", RevisitInvitation.next_attempt_at <= moment)
            .order_by(RevisitInvitation.next_attempt_at, RevisitInvitation.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if invitation is None:
            break
        _send_one(invitation, moment, report)
        db.session.commit()
    db.session.commit()
    return report


def _send_one(invitation: RevisitInvitation, moment: datetime, report: RevisitSmsReport) -> None:
    if invitation.answered_at is not None or invitation.expires_at <= moment:
        invitation.sms_status, invitation.code_encrypted = "failed", None
        invitation.last_error = "Answered or expired before it could be sent."
        return
    when = sending_time(moment)
    if when > moment:
        invitation.next_attempt_at = when
        report.postponed += 1
        return
    case = db.session.get(Case, invitation.case_id)
    box = cipher()
    phone = box.decrypt(_person(case, invitation.party_id).phone_encrypted, "phone")
    code = box.decrypt(invitation.code_encrypted, CODE_FIELD)
    days = max((invitation.expires_at - moment).days, 1)
    body = (
        f"【网格化管理】您反映的事项（{case.public_number}）已办理，请对办理情况进行评价："
        f"{setting('GRIDCASE_PUBLIC_URL').rstrip('/')}/revisit?code={code}（{days}日内有效）"
    )
    outcome = send_sms(phone, body)
    invitation.attempts += 1
    if outcome.ok:
        invitation.sms_status, invitation.sent_at, invitation.last_error = "sent", moment, None
        invitation.code_encrypted = None  # sent: only its hash stays
        report.sent += 1
        return
    invitation.last_error = (outcome.error or "failed")[:500]
    report.failed_attempts += 1
    retry_at = next_attempt(invitation.attempts, moment)
    if retry_at is None:
        invitation.sms_status, invitation.code_encrypted = "failed", None
        report.gave_up += 1
    else:
        invitation.next_attempt_at = retry_at


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
    revisited = case is not None and case.revisited_at is not None  # (by the staff meanwhile)
    if invitation is None or case is None or case.status not in ("resolved", "closed") or revisited:
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
    by = INFORMANT if invitation.party_id is None else f"party {invitation.party_id}"
    record_own_answer(case, satisfaction, comment, by, now)
    invitation.answered_at = now
    return case


def record_own_answer(case: Case, satisfaction: Satisfaction, comment: str, by: str, now: datetime) -> None:
    """An answer by the person themselves — a revisit code, or the tracking code of a report
    from the public pages — as the case's revisit (method: code): it counts for satisfaction,
    dissatisfied sends the case back to its level, and the case's open revisit codes are used up."""
    from_status = case.status
    case.status = record_revisit(case, satisfaction, RevisitMethod.CODE, now).value
    db.session.execute(
        sa.update(RevisitInvitation)
        .where(RevisitInvitation.case_id == case.id, RevisitInvitation.answered_at.is_(None))
        .values(expires_at=sa.func.least(RevisitInvitation.expires_at, now))
    )
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
            "by": by,
            "note": comment.strip()[:500],
        },
    )
