"""Security review finding 8: the event log and the audit log cannot be rewritten unseen.

The review, as the app's database role, disabled the logs' triggers, dropped a case's `reveal`
events and re-hashed the chain with the public SHA-256 of the day; cut the last event of a
case; deleted an audit entry. `verify-chain` saw none of it. Now the app's role may not alter
the tables or change a row; and whoever has the owner's rights (they are here, as an attacker
who has them would be) still leaves traces: the chains are keyed, and signed checkpoints kept
outside the database remember the newest entries.

These tests commit (the owner's connection must see the rows) and restore or remove what they
touched.
"""

import hashlib
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from gridcase.audit.chain import verify_audit_chain
from gridcase.audit.log import AuditAction, record
from gridcase.cases.events import CHAINED_EVENT_FIELDS, GENESIS_HASH, canonical_event, link_hash, verify_chain
from gridcase.cases.intake import create_case
from gridcase.cases.integrity import checkpoint_files, take_checkpoint, verify_checkpoints
from gridcase.cases.lifecycle import Action
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.people.models import User
from tests.helpers import case_payload, delete_committed_cases, owner_engine

pytestmark = pytest.mark.committing

EVENT_FIELDS = CHAINED_EVENT_FIELDS[:-1]  # without the payload, which the tests change


@pytest.fixture
def checkpoints(app, tmp_path, monkeypatch):
    """A checkpoint folder of this test's own."""
    monkeypatch.setitem(app.config, "GRIDCASE_CHECKPOINT_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def case(app):
    """A committed case with three events (create, accept, note), removed afterwards."""
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        case = create_case(worker, case_payload(worker.scope_code, title="防篡改")).case
        db.session.commit()
        mediator = db.session.scalar(sa.select(User).where(User.username == "demo-community"))
        case_id, number = case.id, case.public_number
        perform_action(mediator, case_id, Action.ACCEPT, 1, {})
        db.session.commit()
        perform_action(mediator, case_id, Action.NOTE, 2, {"text": "已联系双方"})
        db.session.commit()
        db.session.remove()
    yield {"id": case_id, "public_number": number}
    delete_committed_cases(app, [case_id])


def _as_owner(app, *statements: tuple[str, dict]) -> None:
    """Change the logs with the owner's rights and the triggers off, as an attacker could."""
    with owner_engine(app).begin() as connection:
        connection.execute(sa.text("ALTER TABLE case_events DISABLE TRIGGER case_events_no_change"))
        connection.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        for sql, params in statements:
            connection.execute(sa.text(sql), params)
        connection.execute(sa.text("ALTER TABLE case_events ENABLE TRIGGER case_events_no_change"))
        connection.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))


def _verify_all(app):
    return app.test_cli_runner().invoke(args=["gridcase", "verify-chain"])


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE case_events DISABLE TRIGGER case_events_no_change",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        "UPDATE case_events SET action = 'nothing' WHERE id = (SELECT max(id) FROM case_events)",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
        "TRUNCATE audit_log",
    ],
)
def test_finding_8_the_apps_role_can_neither_change_the_logs_nor_switch_their_triggers_off(app, statement):
    with (
        app.app_context(),
        db.engine.connect() as connection,
        pytest.raises(DBAPIError, match=r"must be owner|permission denied"),
    ):
        connection.execute(sa.text(statement))


def test_the_owner_still_meets_the_append_only_triggers(app, case):
    with owner_engine(app).connect() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(sa.text("DELETE FROM case_events WHERE case_id = :id"), {"id": case["id"]})


def test_finding_8_a_history_rewritten_with_the_public_hash_is_found(app, case):
    """The review's rechain.py: drop an event and re-hash the rest without the chain key."""
    with app.app_context():
        rows = (
            db.session.execute(
                sa.text(
                    f"SELECT id, {', '.join(EVENT_FIELDS)}, payload FROM case_events "
                    "WHERE case_id = :id ORDER BY seq"
                ),
                {"id": case["id"]},
            )
            .mappings()
            .all()
        )
        assert [row["action"] for row in rows] == ["create", "accept", "note"]
        kept = [rows[0], rows[2]]  # the accept goes
        statements, previous = (
            [("DELETE FROM case_events WHERE id = :id", {"id": rows[1]["id"]})],
            GENESIS_HASH,
        )
        for seq, row in enumerate(kept, start=1):
            fields = {**{name: row[name] for name in EVENT_FIELDS}, "seq": seq}
            digest = hashlib.sha256(
                previous.encode() + canonical_event(**fields, payload=row["payload"])
            ).hexdigest()
            statements.append(
                (
                    "UPDATE case_events SET seq = :seq, prev_hash = :prev, hash = :hash WHERE id = :id",
                    {"seq": seq, "prev": previous, "hash": digest, "id": row["id"]},
                )
            )
            previous = digest
        _as_owner(app, *statements)
        _checked, broken = verify_chain(case["id"])
    assert [(link.seq, link.reason) for link in broken] == [
        (1, "its content does not match its hash (the row was altered)")
    ]
    result = app.test_cli_runner().invoke(args=["gridcase", "verify-chain", case["public_number"]])
    assert result.exit_code == 1


def test_an_altered_event_is_named_by_the_cli(app, case):
    _as_owner(
        app,
        (
            "UPDATE case_events SET payload = jsonb_set(payload, '{text}', '\"未联系\"') "
            "WHERE case_id = :id AND seq = 3",
            {"id": case["id"]},
        ),
    )
    result = app.test_cli_runner().invoke(args=["gridcase", "verify-chain", case["public_number"]])
    assert result.exit_code == 1
    assert (
        f"case {case['public_number']} (id {case['id']}): event 3: its content does not match"
        in result.output
    )


def test_a_removed_event_shows_as_a_jump(app, case):
    _as_owner(app, ("DELETE FROM case_events WHERE case_id = :id AND seq = 2", {"id": case["id"]}))
    with app.app_context():
        _checked, broken = verify_chain(case["id"])
    assert (broken[0].seq, broken[0].reason) == (3, "sequence jumps from 1 to 3")


def test_one_event_re_hashed_with_the_key_still_breaks_the_next_link(app, case):
    """Even with the key, recomputing one row's hash does not help: the next row still points at
    the old one."""
    with app.app_context():
        event = (
            db.session.execute(
                sa.text("SELECT * FROM case_events WHERE case_id = :id AND seq = 2"), {"id": case["id"]}
            )
            .mappings()
            .one()
        )
        forged_payload = {**event["payload"], "forged": True}
        fields = {name: event[name] for name in EVENT_FIELDS}
        forged_hash = link_hash(event["prev_hash"], canonical_event(**fields, payload=forged_payload))
        _as_owner(
            app,
            (
                "UPDATE case_events SET payload = CAST(:payload AS jsonb), hash = :hash WHERE id = :id",
                {"payload": json.dumps(forged_payload), "hash": forged_hash, "id": event["id"]},
            ),
        )
        _checked, broken = verify_chain(case["id"])
    assert (broken[0].seq, broken[0].reason) == (3, "its previous-hash does not match the event before it")


def test_finding_8_a_cut_tail_is_found_against_the_checkpoint(app, case, checkpoints):
    with app.app_context():
        report = take_checkpoint()
        db.session.commit()
        assert report.heads >= 1 and [case["id"], 3] in [
            h[:2] for h in json.loads(report.path.read_text())["events"]["heads"]
        ]
    untouched = _verify_all(app)
    assert untouched.exit_code == 0, untouched.output

    _as_owner(app, ("DELETE FROM case_events WHERE case_id = :id AND seq = 3", {"id": case["id"]}))
    with app.app_context():
        assert verify_chain(case["id"]) == (1, [])  # the chain alone cannot tell
    result = _verify_all(app)
    assert result.exit_code == 1
    assert f"checkpoint {report.path.name}: case id {case['id']}: event 3 is missing" in result.output
    one_case = app.test_cli_runner().invoke(args=["gridcase", "verify-chain", case["public_number"]])
    assert one_case.exit_code == 1  # the one case's check reads the checkpoints too
    assert f"case id {case['id']}: event 3 is missing" in one_case.output


@pytest.fixture
def audit_entries(app):
    """Three committed audit entries; whatever a test does to them, put back as they were."""
    with app.app_context():
        for n in range(3):
            record(AuditAction.REVEAL, target=f"case:tamper-{n}", details={"reason": "核实"})
        db.session.commit()
        rows = (
            db.session.execute(
                sa.text("SELECT * FROM audit_log WHERE target LIKE 'case:tamper-%' ORDER BY id")
            )
            .mappings()
            .all()
        )
        originals = [dict(row) for row in rows]
        db.session.remove()
    yield originals
    restore = []
    for row in originals:
        columns = ", ".join(row)
        values = ", ".join(f"CAST(:{name} AS jsonb)" if name == "details" else f":{name}" for name in row)
        restore.append(("DELETE FROM audit_log WHERE id = :id", {"id": row["id"]}))
        restore.append(
            (
                f"INSERT INTO audit_log ({columns}) VALUES ({values})",
                {**row, "details": json.dumps(row["details"], ensure_ascii=False)},
            )
        )
    _as_owner(app, *restore)
    with app.app_context():
        assert verify_audit_chain(db.session.connection())[1] == []


def test_finding_8_an_audit_entry_deleted_from_the_middle_breaks_the_chain(app, audit_entries):
    _as_owner(app, ("DELETE FROM audit_log WHERE id = :id", {"id": audit_entries[1]["id"]}))
    with app.app_context():
        _checked, breaks = verify_audit_chain(db.session.connection())
    assert [(b.entry_id, b.reason) for b in breaks] == [
        (audit_entries[2]["id"], "an entry before it is missing or was changed")
    ]
    assert _verify_all(app).exit_code == 1


def test_an_altered_audit_entry_is_found(app, audit_entries):
    _as_owner(
        app, ("UPDATE audit_log SET target = 'case:other' WHERE id = :id", {"id": audit_entries[0]["id"]})
    )
    with app.app_context():
        _checked, breaks = verify_audit_chain(db.session.connection())
    assert (audit_entries[0]["id"], "its content does not match its hash (the row was altered)") in [
        (b.entry_id, b.reason) for b in breaks
    ]


def test_the_newest_audit_entries_deleted_are_found_against_the_checkpoint(app, audit_entries, checkpoints):
    with app.app_context():
        take_checkpoint()
        db.session.commit()
    newest = audit_entries[-1]["id"]
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT max(id) FROM audit_log")) == newest
    _as_owner(app, ("DELETE FROM audit_log WHERE id >= :id", {"id": audit_entries[1]["id"]}))
    with app.app_context():
        assert verify_audit_chain(db.session.connection())[1] == []  # the chain alone cannot tell
        problems = verify_checkpoints().problems
    assert any(f"audit entry {newest} is missing" in problem for problem in problems)


def test_an_altered_or_missing_checkpoint_file_is_found(app, case, checkpoints):
    with app.app_context():
        first = take_checkpoint().path
        db.session.commit()
        second = take_checkpoint().path
        db.session.commit()
        third = take_checkpoint().path
        db.session.commit()
        assert [f.name for f in checkpoint_files()] == [first.name, second.name, third.name]

        document = json.loads(first.read_text())
        document["events"]["heads"] = [h for h in document["events"]["heads"] if h[0] != case["id"]]
        first.write_text(json.dumps(document))
        second.unlink()
        problems = verify_checkpoints().problems
    assert f"checkpoint {first.name}: its signature does not match (the file was altered)" in problems
    assert f"checkpoint {third.name}: the checkpoint before it is missing or was replaced" in problems

    written = app.test_cli_runner().invoke(args=["gridcase", "checkpoint"])
    assert written.exit_code == 0  # the newest (third) still verifies: the series goes on
    newest = sorted(checkpoints.glob("checkpoint-*.json"))[-1]
    newest.write_text(newest.read_text().replace('"heads":[', '"heads":[[1,1,"0"],', 1))
    refused = app.test_cli_runner().invoke(args=["gridcase", "checkpoint"])
    assert refused.exit_code == 1
    assert "the newest one on file does not verify" in refused.output
