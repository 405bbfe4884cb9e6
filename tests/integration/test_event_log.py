"""The event log: append-only in the database, hash-chained, and verified by a CLI."""

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
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
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


def _tamper(sql: str, **params) -> None:
    """Change the log behind the application's back, as someone with table rights could."""
    db.session.execute(sa.text("ALTER TABLE case_events DISABLE TRIGGER case_events_no_change"))
    db.session.execute(sa.text(sql), params)
    db.session.execute(sa.text("ALTER TABLE case_events ENABLE TRIGGER case_events_no_change"))


def test_verify_chain_reports_an_altered_row(app, case):
    _tamper(
        "UPDATE case_events SET payload = jsonb_set(payload, '{outcome}', '\"mediated\"') "
        "WHERE case_id = :id AND seq = 2",
        id=case["id"],
    )
    result = CliRunner().invoke(app.cli, ["gridcase", "verify-chain", case["public_number"]])
    assert result.exit_code == 1
    assert (
        f"case {case['public_number']} (id {case['id']}): event 2: its content does not match"
        in result.output
    )


def test_verify_chain_reports_a_removed_event(case):
    _tamper("DELETE FROM case_events WHERE case_id = :id AND seq = 1", id=case["id"])
    _checked, broken = verify_chain(case["id"])
    assert broken[0].seq == 2
    assert "sequence jumps" in broken[0].reason


def test_verify_chain_reports_a_rewritten_history(case):
    """Recomputing one row's hash does not help: the next row still points at the old one."""
    from gridcase.cases.events import canonical_event, link_hash

    event = (
        db.session.execute(
            sa.text("SELECT * FROM case_events WHERE case_id = :id AND seq = 1"), {"id": case["id"]}
        )
        .mappings()
        .one()
    )
    forged_payload = {**event["payload"], "severity": "major"}
    fields = {
        k: event[k]
        for k in (
            "case_id",
            "seq",
            "at",
            "actor_id",
            "action",
            "from_status",
            "to_status",
            "from_level",
            "to_level",
        )
    }
    forged_hash = link_hash(event["prev_hash"], canonical_event(**fields, payload=forged_payload))
    _tamper(
        "UPDATE case_events SET payload = CAST(:payload AS jsonb), hash = :hash WHERE id = :event_id",
        payload=__import__("json").dumps(forged_payload),
        hash=forged_hash,
        event_id=event["id"],
    )
    _, broken = verify_chain(case["id"])
    assert (broken[0].seq, broken[0].reason) == (2, "its previous-hash does not match the event before it")


def test_verify_chain_all_cases_passes_when_untouched(app, case):
    result = CliRunner().invoke(app.cli, ["gridcase", "verify-chain"])
    assert result.exit_code == 0
    assert "every event chain is intact" in result.output


def test_verify_chain_unknown_case(app):
    result = CliRunner().invoke(app.cli, ["gridcase", "verify-chain", "330681-20260101-999999"])
    assert result.exit_code == 1
    assert "No case 330681-20260101-999999." in result.output
