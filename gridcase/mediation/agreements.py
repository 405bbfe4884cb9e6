"""调解协议书 as records: made when a mediation reaches an agreement, numbered by the committee
and year, produced as a Word document for the parties to sign (gridcase.mediation.documents).

Which committee: the 人民调解委员会 of the node at the case's level — a village's or residents'
committee (村民委员会、居民委员会设立人民调解委员会, 人民调解法 第八条), a township's or
street's (乡镇、街道); above them the city's or district's joint committee (联合人民调解委员会).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gridcase.cases.attachments import add_photo
from gridcase.cases.events import log_beside
from gridcase.cases.lifecycle import LoggedAction, above, handles
from gridcase.cases.models import Case
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.mediation.archive import refuse_if_archived
from gridcase.mediation.domain import (
    CONFIRMATION_REMINDER_DAY,
    CONFIRMATION_WINDOW_DAYS,
    Confirmation,
    Performance,
)
from gridcase.mediation.evidence import store_evidence
from gridcase.mediation.models import AgreementNumberCounter, MediationAgreement
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.scope import territory_column
from gridcase.settings import local_tz
from gridcase.territory.models import Region
from gridcase.units.models import Unit

JOINT_COMMITTEE_LEVELS = ("district", "city")


def committee_of(case: Case) -> Region:
    """The node whose 人民调解委员会 mediates the case at its level."""
    return db.session.get(Region, getattr(case, territory_column(Case, case.level).key))


def committee_name(node: Region) -> str:
    suffix = "联合人民调解委员会" if node.level in JOINT_COMMITTEE_LEVELS else "人民调解委员会"
    return f"{node.name}{suffix}"


def record_agreement(case: Case, mediator: User, agreement: dict, now: datetime) -> MediationAgreement:
    """The agreement a mediation reached, numbered by its committee and the local year."""
    node = committee_of(case)
    year = now.astimezone(local_tz()).year
    statement = insert(AgreementNumberCounter).values(committee_code=node.code, year=year, last=1)
    sequence = db.session.scalar(
        statement.on_conflict_do_update(
            index_elements=[AgreementNumberCounter.committee_code, AgreementNumberCounter.year],
            set_={"last": AgreementNumberCounter.last + 1},
        ).returning(AgreementNumberCounter.last)
    )
    effective = agreement.get("signed_at") or now.astimezone(local_tz()).date()
    record = MediationAgreement(
        confirmation_due=effective + timedelta(days=CONFIRMATION_WINDOW_DAYS),
        case_id=case.id,
        committee_code=node.code,
        committee_name=committee_name(node),
        year=year,
        sequence=sequence,
        facts=agreement.get("facts") or "",
        disputed_points=agreement.get("disputed_points") or "",
        terms=agreement["terms"],
        performance_method=agreement.get("performance_method") or "",
        performance_deadline=agreement["performance_deadline"],
        signed_at=agreement.get("signed_at"),
        mediator_id=mediator.id,
        created_at=now,
    )
    db.session.add(record)
    db.session.flush()
    return record


def case_agreements(case_id: int) -> list[MediationAgreement]:
    return list(
        db.session.scalars(
            sa.select(MediationAgreement)
            .where(MediationAgreement.case_id == case_id)
            .order_by(MediationAgreement.id)
        )
    )


def agreement_of(case: Case, agreement_id: int) -> MediationAgreement:
    """
    Raises:
        NotFound: the case has no such agreement.
    """
    record = db.session.get(MediationAgreement, agreement_id)
    if record is None or record.case_id != case.id:
        raise NotFound(
            Message(
                "No agreement %(agreement_id)s in case %(number)s.",
                agreement_id=str(agreement_id),
                number=str(case.public_number),
            )
        )
    return record


def remind_performance(today_end: datetime, now: datetime) -> list[tuple[int, int]]:
    """Agreements whose performance deadline has come (local day) with no outcome recorded:
    marked reminded once, set-based (rows a person is changing are skipped); returns
    (case id, mediator id) of each, for the sweep to tell the mediator."""
    due = (
        sa.select(MediationAgreement.id)
        .where(
            MediationAgreement.performance.is_(None),
            MediationAgreement.performance_reminded_at.is_(None),
            MediationAgreement.performance_deadline <= today_end.astimezone(local_tz()).date(),
        )
        .order_by(MediationAgreement.id)
        .with_for_update(skip_locked=True)
    )
    rows = db.session.execute(
        sa.update(MediationAgreement)
        .where(MediationAgreement.id.in_(due.scalar_subquery()))
        .values(performance_reminded_at=now)
        .returning(MediationAgreement.case_id, MediationAgreement.mediator_id)
        .execution_options(synchronize_session=False)
    ).all()
    return [(row.case_id, row.mediator_id) for row in rows]


def record_performance(user: User, ref, agreement_id: int, outcome: Performance, note: str, now: datetime):
    """履行情况: whether the parties did what they agreed, recorded by its mediator or a handler
    of the case (its level or above) on the case's timeline. Not performed leaves the
    way open to mediate again or to 司法确认 / litigation (the page says so).

    Raises:
        NotFound: no such case in scope, or no such agreement on it.
        Forbidden: the user does not handle the case.
    """
    case = find_case(user, ref, lock=True)
    agreement = _agreement_to_follow_up(user, case, agreement_id)
    agreement.performance, agreement.performance_note = outcome.value, _trimmed(note)
    agreement.performance_recorded_at = now
    _log_follow_up(user, case, agreement, LoggedAction.PERFORMANCE, {"performance": outcome.value}, note, now)
    return agreement


def court_choices(city_code: str) -> list[tuple[str, str]]:
    """(code, name) of the city's active units, the courts (人民法院) first: where the parties
    apply for 司法确认."""
    units = db.session.execute(
        sa.select(Unit.code, Unit.name).where(Unit.city_code == city_code, Unit.active).order_by(Unit.code)
    ).all()
    return sorted(((u.code, u.name) for u in units), key=lambda unit: "法院" not in unit[1])


def remind_confirmation(now: datetime) -> list[tuple[int, int, str]]:
    """Agreements on day 20 of their 30-day window for 司法确认 with no application yet and not
    performed: marked reminded once; returns (case id, mediator id, due date) of each."""
    today = now.astimezone(local_tz()).date()
    reminder_at = MediationAgreement.confirmation_due - (CONFIRMATION_WINDOW_DAYS - CONFIRMATION_REMINDER_DAY)
    due = (
        sa.select(MediationAgreement.id)
        .where(
            MediationAgreement.confirmation.is_(None),
            MediationAgreement.confirmation_reminded_at.is_(None),
            sa.or_(
                MediationAgreement.performance.is_(None),
                MediationAgreement.performance != Performance.PERFORMED,
            ),
            reminder_at <= today,
            MediationAgreement.confirmation_due >= today,
        )
        .order_by(MediationAgreement.id)
        .with_for_update(skip_locked=True)
    )
    rows = db.session.execute(
        sa.update(MediationAgreement)
        .where(MediationAgreement.id.in_(due.scalar_subquery()))
        .values(confirmation_reminded_at=now)
        .returning(
            MediationAgreement.case_id, MediationAgreement.mediator_id, MediationAgreement.confirmation_due
        )
        .execution_options(synchronize_session=False)
    ).all()
    return [(row.case_id, row.mediator_id, row.confirmation_due.isoformat()) for row in rows]


def record_confirmation(
    user: User, ref, agreement_id: int, step: Confirmation, unit_code: str | None, note: str, now: datetime
) -> MediationAgreement:
    """司法确认: the parties applied at a court (a unit of the city), within the 30 days; then the
    court's ruling (confirmed, or not). Recorded by its mediator or a handler of the case, on
    the timeline.

    Raises:
        NotFound: no such case in scope, or no such agreement on it.
        Forbidden: the user neither mediated it nor handles the case.
        Unprocessable: an application after the window closed or without a court, a ruling
            before an application, a second application.
    """
    case = find_case(user, ref, lock=True)
    agreement = _agreement_to_follow_up(user, case, agreement_id)
    if step is Confirmation.APPLIED:
        if agreement.confirmation is not None:
            raise Unprocessable(Message("An application for judicial confirmation is already recorded."))
        if now.astimezone(local_tz()).date() > agreement.confirmation_due:
            raise Unprocessable(
                Message(
                    "The 30 days to apply for judicial confirmation ended on %(day)s.",
                    day=agreement.confirmation_due.isoformat(),
                )
            )
        unit = db.session.get(Unit, unit_code) if unit_code else None
        if unit is None or not unit.active or unit.city_code != case.city_code:
            raise Unprocessable(
                Message("Name the court the parties applied to."), {"unit": [Message("Choose the court.")]}
            )
        agreement.confirmation_unit_code, agreement.confirmation_applied_at = unit.code, now
    elif agreement.confirmation != Confirmation.APPLIED:
        raise Unprocessable(Message("Record the application before the court's ruling."))
    else:
        agreement.confirmation_decided_at = now
    agreement.confirmation, agreement.confirmation_note = step.value, _trimmed(note)
    _log_follow_up(user, case, agreement, LoggedAction.CONFIRMATION, {"confirmation": step.value}, note, now)
    return agreement


def archive_signed_original(
    user: User, ref, agreement_id: int, raw: bytes, now: datetime
) -> MediationAgreement:
    """The copy the parties signed, uploaded back: it becomes the agreement's archived original,
    once. A photo is checked and stored as any photo of the case; a PDF (what an office scanner
    writes, several pages in one file) as an evidence file of the case.

    Raises:
        NotFound, Forbidden: see _agreement_to_follow_up.
        Unprocessable: the original is archived already, or the file is neither a picture nor a PDF.
    """
    case = find_case(user, ref, lock=True)
    agreement = _agreement_to_follow_up(user, case, agreement_id)
    if agreement.signed_original_id is not None or agreement.signed_original_evidence_id is not None:
        raise Unprocessable(Message("The signed original of this agreement is archived already."))
    if raw.startswith(b"%PDF-"):
        title = f"人民调解协议书签字原件 {agreement.committee_name}{agreement.number}"
        evidence = store_evidence(user, case, raw, title, now)
        agreement.signed_original_evidence_id = evidence.id
        archived = {"evidence_id": evidence.id}
    else:
        attachment, _created = add_photo(user, case.id, raw, now=now)
        agreement.signed_original_id = attachment.id
        archived = {"attachment_id": attachment.id}
    _log_follow_up(user, case, agreement, LoggedAction.SIGNED_ORIGINAL, archived, "", now)
    return agreement


def _agreement_to_follow_up(user: User, case: Case, agreement_id: int) -> MediationAgreement:
    """The agreement, for its mediator (even when the case has since gone up the ladder) or a
    handler of the case (its level or above).

    Raises:
        NotFound, Forbidden.
    """
    agreement = agreement_of(case, agreement_id)
    actor, state = actor_state(user, case), case_state(case)
    if agreement.mediator_id != user.id and not (handles(actor, state) or above(actor, state)):
        raise Forbidden(Message("Only its mediator or a handler of this case follows the agreement up."))
    refuse_if_archived(case.id)
    return agreement


def _trimmed(note: str | None) -> str:
    return (note or "").strip()[:2000]


def _log_follow_up(user: User, case: Case, agreement, action: LoggedAction, what: dict, note, now) -> None:
    """A step of following an agreement up, on the case's timeline."""
    log_beside(case, action, user.id, {"agreement_id": agreement.id, **what, "note": _trimmed(note)}, now)
