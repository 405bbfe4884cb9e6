"""The demo history (`load-demo`'s example cases): half a year of cases through the ladder and,
at the townships and the city, through the units they are dispatched to, as the rules allow."""

import sqlalchemy as sa

from gridcase.cases.events import verify_chain
from gridcase.cases.models import Case
from gridcase.demo import DEMO_UNIT_CODE
from gridcase.demo.cases import acting_person_of, load_demo_cases
from gridcase.extensions import db
from gridcase.units.models import CaseAssignment, Unit


def test_the_demo_history_dispatches_cases_to_units_and_closes_some_through_them():
    assert load_demo_cases(count=120).startswith("Demo cases: ")
    statuses = dict(
        db.session.execute(
            sa.select(CaseAssignment.status, sa.func.count()).group_by(CaseAssignment.status)
        ).all()
    )
    assert statuses.get("done", 0) >= 5 and statuses.get("signed", 0) + statuses.get("pending", 0) >= 1
    closed_by_units = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Case.id)))
        .join(CaseAssignment, CaseAssignment.case_id == Case.id)
        .where(Case.status == "closed", CaseAssignment.status == "done")
    )
    assert closed_by_units >= 5
    # demo-unit (枫桥镇人力社保所) acts for its own unit, and its queue has a case awaiting its
    # signature, one at work and one closed.
    assert acting_person_of(db.session.get(Unit, DEMO_UNIT_CODE), {}).username == "demo-unit"
    ours = db.session.execute(
        sa.select(CaseAssignment.status, Case.status)
        .join(Case, Case.id == CaseAssignment.case_id)
        .where(CaseAssignment.unit_code == DEMO_UNIT_CODE, Case.title.like("%拖欠%工资"))
    ).all()
    assert sorted(ours) == [("done", "closed"), ("pending", "in_progress"), ("signed", "in_progress")]
    checked, broken = verify_chain()  # every case's log, the units' steps included
    assert checked >= 100 and broken == []
