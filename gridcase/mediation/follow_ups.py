"""A mediator's follow-ups (调解待办): what the mediation record still waits for from them.

- 协议履行回访: an agreement whose performance deadline has come with no outcome recorded;
- 司法确认: an application the court has not ruled on yet, and an agreement near the end of its
  30 days with no application (from day 20, as the sweep's reminder) while not fully performed;
- 诉前调解: a court's referral with no result reported back.

Whose: the agreement's own mediator, and the handlers of the level where the case is now (the
case in their scope) — the people the sweep tells. Done items leave the list by themselves: it
is computed from the records, never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from gridcase.cases.models import Case
from gridcase.cases.queries import visible_cases
from gridcase.extensions import db
from gridcase.mediation.domain import (
    CONFIRMATION_REMINDER_DAY,
    CONFIRMATION_WINDOW_DAYS,
    Confirmation,
    Performance,
)
from gridcase.mediation.models import CourtReferral, MediationAgreement
from gridcase.people.models import User
from gridcase.settings import local_tz

PERFORMANCE = "performance"  # 协议履行回访
CONFIRMATION_RULING = "confirmation_ruling"  # 司法确认: awaiting the court's ruling
CONFIRMATION_WINDOW = "confirmation_window"  # 司法确认: the window closing, no application
COURT_REFERRAL = "court_referral"  # 诉前调解: the result to report back
MAX_FOLLOW_UPS = 200
# How long before the end of the 司法确认 window its reminder falls (day 20 of 30).
REMINDER_LEAD = timedelta(days=CONFIRMATION_WINDOW_DAYS - CONFIRMATION_REMINDER_DAY)


@dataclass(frozen=True)
class FollowUp:
    kind: str  # one of the four above
    case_number: str
    case_title: str
    due: date | None  # by when (None: waiting on someone else, e.g. the court's ruling)
    detail: str  # the agreement's number, or the court's number for the matter
    anchor: str  # where on the case page it is taken up

    def late(self, today: date) -> bool:
        return self.due is not None and self.due < today


def follow_ups(user: User, now: datetime) -> list[FollowUp]:
    """The user's follow-ups, the earliest due first (those waiting on a court last)."""
    today = now.astimezone(local_tz()).date()
    at_my_level = sa.and_(visible_cases(user), Case.level == user.scope_level)
    mine = sa.or_(MediationAgreement.mediator_id == user.id, at_my_level)
    agreements = db.session.execute(
        sa.select(MediationAgreement, Case.public_number, Case.title)
        .join(Case, Case.id == MediationAgreement.case_id)
        .where(
            mine,
            sa.or_(
                sa.and_(
                    MediationAgreement.performance.is_(None),
                    MediationAgreement.performance_deadline <= today,
                ),
                MediationAgreement.confirmation == Confirmation.APPLIED,
                sa.and_(
                    MediationAgreement.confirmation.is_(None),
                    sa.or_(
                        MediationAgreement.performance.is_(None),
                        MediationAgreement.performance != Performance.PERFORMED,
                    ),
                    MediationAgreement.confirmation_due <= today + REMINDER_LEAD,
                    MediationAgreement.confirmation_due >= today,
                ),
            ),
        )
        .order_by(MediationAgreement.id)
        .limit(MAX_FOLLOW_UPS)
    ).all()
    items = []
    for agreement, number, title in agreements:
        detail = f"{agreement.committee_name}{agreement.number}"
        if agreement.performance is None and agreement.performance_deadline <= today:
            anchor = f"performance-{agreement.id}"
            items.append(FollowUp(PERFORMANCE, number, title, agreement.performance_deadline, detail, anchor))
        anchor = f"confirmation-{agreement.id}"
        if agreement.confirmation == Confirmation.APPLIED:
            items.append(FollowUp(CONFIRMATION_RULING, number, title, None, detail, anchor))
        elif agreement.confirmation is None and agreement.performance != Performance.PERFORMED:
            due = agreement.confirmation_due
            if due - REMINDER_LEAD <= today <= due:
                items.append(FollowUp(CONFIRMATION_WINDOW, number, title, due, detail, anchor))
    referrals = db.session.execute(
        sa.select(CourtReferral, Case.public_number, Case.title)
        .join(Case, Case.id == CourtReferral.case_id)
        .where(CourtReferral.result.is_(None), sa.or_(CourtReferral.recorded_by_id == user.id, at_my_level))
        .order_by(CourtReferral.due_on)
        .limit(MAX_FOLLOW_UPS)
    ).all()
    for referral, number, title in referrals:
        items.append(
            FollowUp(COURT_REFERRAL, number, title, referral.due_on, referral.court_number, "court-referral")
        )
    return sorted(items, key=lambda item: (item.due is None, item.due or today, item.case_number))
