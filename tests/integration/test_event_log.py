"""The event log: append-only in the database, hash-chained, and verified by a CLI. (Changes
behind the application's back, with the owner's rights: test_tamper_evidence.)"""

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.exc import DBAPIError

from gridcase.cases.events import verify_chain
from gridcase.extensions import db
from tests.helpers import FENGQIAO, case_payload, grid_in


@pytest.fixture
def case(api_as, worker):
    body = case_payload(grid_in(FENGQIAO).code, resolved_on_spot={"outcome": "explained"})
    return api_as(worker).post("/api/v1/cases", json=body).json


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE case_events SET action = 'nothing' WHERE case_id = :id",
        "DELETE FROM case_events WHERE case_id = :id",
        "TRUNCATE case_events CASCADE",
    ],
)
def test_the_database_refuses_changes_to_the_log(case, statement):
    """The app's role has no right to; the owner's meets the triggers (test_tamper_evidence)."""
    with pytest.raises(DBAPIError, match="permission denied"), db.session.begin_nested():
        db.session.execute(sa.text(statement), {"id": case["id"]})


def test_events_chain_and_verify(case):
    rows = db.session.execute(
        sa.text("SELECT seq, prev_hash, hash FROM case_events WHERE case_id = :id ORDER BY seq"),
        {"id": case["id"]},
    ).all()
    assert [r.seq for r in rows] == [1, 2]
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash
    assert verify_chain(case["id"]) == (1, [])


def test_verify_chain_all_cases_passes_when_untouched(app, case):
    result = CliRunner().invoke(app.cli, ["gridcase", "verify-chain"])
    assert result.exit_code == 0
    assert "every event chain is intact" in result.output


def test_verify_chain_unknown_case(app):
    result = CliRunner().invoke(app.cli, ["gridcase", "verify-chain", "330681-20260101-999999"])
    assert result.exit_code == 1
    assert "No case 330681-20260101-999999." in result.output
