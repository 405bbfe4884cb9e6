"""gridcase.inserts: new rows written by Core and kept in the session as loaded objects."""

import pytest
import sqlalchemy as sa

from gridcase.cases.models import Case, CaseParty
from gridcase.extensions import db
from gridcase.inserts import NewRows, insert_together
from tests.helpers import FENGQIAO, case_payload, grid_in


def test_rows_written_together_are_stored_and_kept_as_loaded(api_as, worker, statements):
    case_id = api_as(worker).post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code)).json["id"]
    party_ids = db.session.scalars(
        sa.select(sa.func.nextval(sa.func.pg_get_serial_sequence("case_parties", "id"))).select_from(
            sa.func.generate_series(1, 2)
        )
    ).all()
    parties = [
        CaseParty(id=party_id, case_id=case_id, party_role=role, name_encrypted=b"x", name_masked="张*")
        for party_id, role in zip(party_ids, ("applicant", "respondent"), strict=True)
    ]
    case = db.session.get(Case, case_id)
    statements.clear()
    insert_together([NewRows(parties, dict(case=case))])
    assert len(statements) == 1, statements
    statements.clear()
    assert [p.party_role for p in parties] == ["applicant", "respondent"]  # (loaded: no statement)
    assert parties[0].id_number_hash is None and parties[0].case.id == case_id
    assert statements == []
    stored = db.session.execute(
        sa.select(CaseParty.id, CaseParty.party_role)
        .where(CaseParty.case_id == case_id)
        .order_by(CaseParty.id)
    ).all()
    assert [tuple(row) for row in stored] == [(party_ids[0], "applicant"), (party_ids[1], "respondent")]


def test_an_object_without_its_reserved_key_is_refused(worker):
    party = CaseParty(case_id=1, party_role="applicant", name_encrypted=b"x", name_masked="张*")
    with pytest.raises(ValueError, match="reserve the key"):
        insert_together([NewRows([party])])
