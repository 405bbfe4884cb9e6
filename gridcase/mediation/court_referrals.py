"""诉前调解: disputes a court refers to mediation before it registers the suit (委派调解).

A party files at the court; with their consent the court's 诉讼服务中心 refers the dispute to a
人民调解委员会 or another mediation organisation, with its own number for the matter (e.g.
(2026)浙0681民诉前调123号). The mediation has 30 days, longer only if both parties agree; then
the organisation reports the result back: mediated (an agreement — the parties may apply for its
司法确认), not mediated (the court registers the suit), or withdrawn by the party.

In gridcase the matter is a dispute case like any other, registered where the parties are (the
front desk, or the API for a court's system); a handler of it records the court's referral on
it. The sweep tells the case's handlers on day 20 of the period and once more when it has ended
with no result reported. A referral still awaiting its result keeps the case file open.

Source: 最高人民法院《关于人民法院特邀调解的规定》(2016) 第二十、二十一条 (30 days; extension
with the parties' consent; the result returned to the court), 《关于进一步完善委派调解机制的
指导意见》(2020), and the 诉前调 numbering of 《关于人民法院案件案号的若干规定》.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from gridcase.cases.domain import OPEN_STATUSES
from gridcase.cases.events import log_beside
from gridcase.cases.lifecycle import LoggedAction, above, handles
from gridcase.cases.models import Case
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.mediation.archive import refuse_if_archived
from gridcase.mediation.domain import COURT_REFERRAL_DAYS, COURT_REFERRAL_REMINDER_DAY, ReferralResult
from gridcase.mediation.models import CourtReferral, MediationAgreement
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.settings import local_tz
from gridcase.units.models import Unit

MAX_COURT_NUMBER = 60
MAX_NOTE = 2000


def court_referral(case_id: int) -> CourtReferral | None:
    return db.session.get(CourtReferral, case_id)


def record_court_referral(
    user: User,
    ref,
    court_unit_code: str | None,
    court_number: str,
    referred_on: date,
    note: str,
    now: datetime,
) -> CourtReferral:
    """The court's referral of an open dispute, recorded by a handler of it: the court (a unit
    of the case's city), its number for the matter and the day of the referral; the period ends
    30 days later.

    Raises:
        NotFound: no such case in scope.
        Forbidden: the user does not handle the case.
        Unprocessable: not an open dispute, a referral recorded already, an archived file, no
            court or number, a day to come.
    """
    case = _case_to_handle(user, ref)
    if case.kind != "dispute" or case.status not in OPEN_STATUSES:
        raise Unprocessable(Message("Only an open dispute takes a court's referral."))
    if court_referral(case.id) is not None:
        raise Unprocessable(Message("A court's referral is recorded on this case already."))
    problems = {}
    court = db.session.get(Unit, court_unit_code) if court_unit_code else None
    if court is None or not court.active or court.city_code != case.city_code:
        problems["court_unit_code"] = [Message("Choose the court.")]
    number = (court_number or "").strip()
    if not number or len(number) > MAX_COURT_NUMBER:
        problems["court_number"] = [Message("Give the court's number for the matter, up to 60 characters.")]
    if referred_on > _local_day(now):
        problems["referred_on"] = [Message("The day of the referral cannot be in the future.")]
    if problems:
        raise Unprocessable(Message("The referral is incomplete."), problems)
    referral = CourtReferral(
        case_id=case.id,
        court_unit_code=court.code,
        court_number=number,
        referred_on=referred_on,
        due_on=referred_on + timedelta(days=COURT_REFERRAL_DAYS),
        note=_trimmed(note),
        recorded_by_id=user.id,
        recorded_at=now,
    )
    db.session.add(referral)
    db.session.flush()
    what = {"court": court.name, "court_number": number, "due_on": referral.due_on.isoformat()}
    log_beside(case, LoggedAction.COURT_REFERRAL, user.id, {**what, "note": referral.note}, now)
    return referral


def extend_court_referral(user: User, ref, due_on: date, note: str, now: datetime) -> CourtReferral:
    """A longer period, which the parties have both agreed to (the note says how): the
    reminders start again for the new end.

    Raises:
        NotFound, Forbidden: see _case_to_handle; NotFound also when the case has no referral.
        Unprocessable: the result is reported already, the new end is not later, or no note.
    """
    case = _case_to_handle(user, ref)
    referral = _open_referral(case)
    problems = {}
    if due_on <= referral.due_on:
        problems["due_on"] = [Message("The new end must be after %(day)s.", day=referral.due_on.isoformat())]
    if not (note or "").strip():
        problems["note"] = [Message("Say how both parties agreed to the longer period.")]
    if problems:
        raise Unprocessable(Message("The extension is incomplete."), problems)
    previous = referral.due_on
    referral.due_on, referral.extended_at = due_on, now
    referral.reminded_at = referral.overdue_at = None
    what = {"from": previous.isoformat(), "due_on": due_on.isoformat(), "note": _trimmed(note)}
    log_beside(case, LoggedAction.COURT_REFERRAL_EXTENDED, user.id, what, now)
    return referral


def report_referral_result(
    user: User, ref, result: ReferralResult, note: str, now: datetime
) -> CourtReferral:
    """The result reported back to the court, once. "Mediated" needs the agreement recorded on
    the case first (the court is sent what was agreed).

    Raises:
        NotFound, Forbidden: see _case_to_handle; NotFound also when the case has no referral.
        Unprocessable: the result is reported already, or "mediated" without an agreement.
    """
    case = _case_to_handle(user, ref)
    referral = _open_referral(case)
    if result is ReferralResult.MEDIATED and not db.session.scalar(
        sa.select(sa.exists().where(MediationAgreement.case_id == case.id))
    ):
        problem = Message("Record the agreement the parties reached before reporting it to the court.")
        raise Unprocessable(problem, {"result": [problem]})
    referral.result, referral.result_note = result.value, _trimmed(note)
    referral.reported_by_id, referral.reported_at = user.id, now
    what = {"result": result.value, "court": referral.court.name, "note": referral.result_note}
    log_beside(case, LoggedAction.COURT_REFERRAL_RESULT, user.id, what, now)
    return referral


def remind_court_referrals(now: datetime) -> tuple[list[tuple[int, date]], list[tuple[int, date]]]:
    """Referrals with no result reported: those on day 20 of their period or later (not yet
    told), and those whose period has ended (not yet told), each marked once, set-based (rows a
    person is changing are skipped). Returns (case id, end of the period) of each, closing and
    ended."""
    today = _local_day(now)
    reminder_day = CourtReferral.due_on - (COURT_REFERRAL_DAYS - COURT_REFERRAL_REMINDER_DAY)
    closing = _mark(
        "reminded_at",
        now,
        CourtReferral.reminded_at.is_(None),
        reminder_day <= today,
        CourtReferral.due_on >= today,
    )
    ended = _mark("overdue_at", now, CourtReferral.overdue_at.is_(None), CourtReferral.due_on < today)
    return closing, ended


def _mark(column: str, now: datetime, *conditions) -> list[tuple[int, date]]:
    chosen = (
        sa.select(CourtReferral.case_id)
        .where(CourtReferral.result.is_(None), *conditions)
        .order_by(CourtReferral.case_id)
        .with_for_update(skip_locked=True)
    )
    rows = db.session.execute(
        sa.update(CourtReferral)
        .where(CourtReferral.case_id.in_(chosen.scalar_subquery()))
        .values({column: now})
        .returning(CourtReferral.case_id, CourtReferral.due_on)
        .execution_options(synchronize_session=False)
    ).all()
    return [(row.case_id, row.due_on) for row in rows]


def _case_to_handle(user: User, ref) -> Case:
    """The case, locked, for a handler of it where it is or above; its file not archived.

    Raises:
        NotFound: no such case in scope.
        Forbidden: the user does not handle the case.
        Unprocessable: the case file is archived.
    """
    case = find_case(user, ref, lock=True)
    actor, state = actor_state(user, case), case_state(case)
    if not (handles(actor, state) or above(actor, state)):
        raise Forbidden(Message("Only a handler of this case records what concerns the court's referral."))
    refuse_if_archived(case.id)
    return case


def _open_referral(case: Case) -> CourtReferral:
    """
    Raises:
        NotFound: the case has no court's referral.
        Unprocessable: its result is reported already.
    """
    referral = court_referral(case.id)
    if referral is None:
        raise NotFound(Message("Case %(number)s has no court's referral.", number=case.public_number))
    if referral.result is not None:
        raise Unprocessable(Message("The result was reported to the court already."))
    return referral


def _local_day(at: datetime) -> date:
    return at.astimezone(local_tz()).date()


def _trimmed(note: str | None) -> str:
    return (note or "").strip()[:MAX_NOTE]
