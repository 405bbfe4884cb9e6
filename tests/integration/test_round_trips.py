"""What one request costs in statements sent to PostgreSQL (issue 20): every round trip is
planned, executed and waited for, so the hot paths are held to a count."""

from __future__ import annotations

import pytest

from gridcase.extensions import db
from tests.helpers import FENGQIAO, grid_in, point_in


def test_locate_is_the_token_check_and_one_look_up(api_as, make_user, statements):
    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    lon, lat = point_in(worker.scope_code)
    api = api_as(worker)
    statements.clear()
    answer = api.get(f"/api/v1/grids/locate?lon={lon}&lat={lat}")
    assert answer.status_code == 200 and answer.json["township"]["code"] == FENGQIAO
    assert answer.json["grid"]["code"] == worker.scope_code and answer.json["city"]["name"] == "诸暨市"
    on_regions = [s for s in statements if "FROM regions" in s]
    assert len(on_regions) == 1, on_regions
    assert len(statements) <= 3, statements


def test_intake_reads_nothing_again_after_its_commit(api_as, make_user, statements):
    from tests.helpers import case_payload

    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    api = api_as(worker)
    statements.clear()
    answer = api.post("/api/v1/cases", json=case_payload(worker.scope_code))
    assert answer.status_code == 201 and answer.headers["Location"].endswith(
        f"/api/v1/cases/{answer.json['id']}"
    )
    last_commit = max(i for i, s in enumerate(statements) if s.startswith("RELEASE SAVEPOINT"))
    assert statements[last_commit + 1 :] == [], statements[last_commit + 1 :]


@pytest.mark.committing
def test_an_intake_not_yet_committed_does_not_hold_the_next_number(app):
    """The day's counter row is locked for its one statement: a second intake goes through
    while the first is still open (it waited for the first's commit before)."""
    import threading

    import sqlalchemy as sa

    from gridcase.cases.intake import create_case
    from gridcase.cases.models import Case
    from gridcase.people.models import User
    from tests.helpers import case_payload, delete_committed_cases

    made: list[int] = []

    def second_intake():
        with app.app_context():
            worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
            made.append(create_case(worker, case_payload(worker.scope_code, title="第二件")).case.id)
            db.session.commit()

    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        first = create_case(worker, case_payload(worker.scope_code, title="第一件")).case
        first_number = first.public_number
        other = threading.Thread(target=second_intake)
        other.start()
        other.join(timeout=15)
        finished = not other.is_alive()
        db.session.rollback()  # the first intake fails after all: its number is not reused
    other.join()
    try:
        assert finished, "the second intake waited for the first one's commit"
        with app.app_context():
            second = db.session.get(Case, made[0])
            assert second.public_number > first_number
    finally:
        delete_committed_cases(app, made)


def test_intake_of_a_dispute_is_held_to_its_statements(api_as, make_user, statements):
    """The token check, the category, the grid, the calendar, the number, the inserts (case,
    parties, event, notification, outbox), the duplicates and the answer: no read of a timeline,
    photos, unit assignments or 督办单 a new case cannot have yet, the category read at most once."""
    from tests.helpers import case_payload

    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    api = api_as(worker)
    body = case_payload(
        worker.scope_code,
        kind="dispute",
        category="D02",
        parties=[{"name": "张三", "role": "applicant"}, {"name": "李四", "role": "respondent"}],
    )
    statements.clear()
    answer = api.post("/api/v1/cases", json=body, headers={"Idempotency-Key": "round-trips-1"})
    assert answer.status_code == 201 and len(answer.json["events"]) == 1
    sent = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))]
    assert not [s for s in sent if "FROM case_events" in s or "FROM case_attachments" in s], sent
    assert not [s for s in sent if "FROM case_assignments" in s or "FROM case_informants" in s], sent
    assert not [s for s in sent if "FROM supervisions" in s], sent
    assert sum("FROM categories" in s for s in sent) <= 1, sent
    assert len(sent) <= 12, len(sent)
    # The next intake finds the categories, the calendar and the subscriptions kept in the
    # process (gridcase.reference), the generation read with the sign-in data's.
    statements.clear()
    answer = api.post("/api/v1/cases", json=body, headers={"Idempotency-Key": "round-trips-2"})
    assert answer.status_code == 201
    sent = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))]
    kept = ("FROM categories", "FROM calendar_days", "FROM webhook_subscriptions")
    assert not [s for s in sent if any(table in s for table in kept)], sent
    assert not [s for s in sent if s.startswith("SELECT reference_generation.generation")], sent
    # The token known (gridcase.people.auth): the generations only, no read of the user. No
    # probe of the Idempotency-Key before a new case: only a request that cannot make one looks.
    assert not [s for s in sent if "FROM users JOIN api_tokens" in s], sent
    assert not [s for s in sent if "idempotency_key = " in s and s.startswith("SELECT")], sent
    # The case, its parties, its first event and the handlers told: one statement, their keys
    # reserved with the day's number (gridcase.inserts.insert_together).
    writes = [s for s in sent if "INSERT INTO cases" in s]
    assert len(writes) == 1 and all(
        f"INSERT INTO {table}" in writes[0] for table in ("case_parties", "case_events", "notifications")
    ), writes
    assert len(sent) <= 4, len(sent)


def test_an_inbox_reads_the_cases_it_names_in_one_statement(app, worker, make_user, statements):
    """An English page says each notification from its kind and its case's number and title:
    the cases of a whole inbox come in one statement, not one each."""
    from flask_babel import force_locale

    from gridcase.cases.intake import create_case
    from gridcase.notifications.inbox import inbox
    from gridcase.web.terms import notification_text
    from tests.helpers import case_payload

    mediator = make_user("community_mediator", grid_in(FENGQIAO).community_code)
    numbers = {create_case(worker, case_payload(worker.scope_code)).case.public_number for _ in range(4)}
    db.session.expire_all()  # as a new request: nothing of the cases in the session yet
    statements.clear()
    with app.test_request_context("/"), force_locale("en"):
        items, _unread = inbox(mediator)
        texts = [notification_text(item) for item in items]
    assert len(items) == 4
    assert {text.split(": ")[1].split(" ")[0] for text in texts} == numbers
    assert sum("FROM cases" in s for s in statements) == 1, statements
