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

from gridcase.cases.models import Case
from gridcase.errors import NotFound
from gridcase.extensions import db
from gridcase.mediation.models import AgreementNumberCounter, MediationAgreement
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
