"""调解协议书 as records: made when a mediation reaches an agreement, numbered by the committee
and year, produced as a Word document for the parties to sign (gridcase.mediation.documents).

Which committee: the 人民调解委员会 of the node at the case's level — a village's or residents'
committee (村民委员会、居民委员会设立人民调解委员会, 人民调解法 第八条), a township's or
street's (乡镇、街道); above them the city's or district's joint committee (联合人民调解委员会).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gridcase.cases.events import append_event
from gridcase.cases.lifecycle import LoggedAction, above, handles
from gridcase.cases.models import Case
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state
from gridcase.errors import Forbidden, NotFound
from gridcase.extensions import db
from gridcase.mediation.domain import Performance
from gridcase.mediation.models import AgreementNumberCounter, MediationAgreement
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.scope import territory_column
from gridcase.settings import local_tz
from gridcase.territory.models import Region

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
    record = MediationAgreement(
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
        raise NotFound(f"No agreement {agreement_id} in case {case.public_number}.")
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
    agreement = agreement_of(case, agreement_id)
    actor, state = actor_state(user, case), case_state(case)
    # Its mediator follows it up even when the case has since gone up the ladder.
    if agreement.mediator_id != user.id and not (handles(actor, state) or above(actor, state)):
        raise Forbidden(Message("Only a handler of this case records how its agreement was performed."))
    agreement.performance, agreement.performance_note = outcome.value, (note or "").strip()[:2000]
    agreement.performance_recorded_at = now
    append_event(
        case,
        action=LoggedAction.PERFORMANCE,
        at=now,
        actor_id=user.id,
        from_status=case.status,
        from_level=case.level,
        payload={
            "agreement_id": agreement.id,
            "performance": outcome.value,
            "note": agreement.performance_note,
        },
    )
    return agreement
