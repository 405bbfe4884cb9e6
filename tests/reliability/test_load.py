"""Load: many concurrent clients against gunicorn, as in production, for a bounded time.

No answer may be a server error, and every case acknowledged with 201 must be there afterwards,
found by its id and by its Idempotency-Key (a replay answers 200 with the same case).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from tests.helpers import delete_committed_cases
from tests.reliability.budget import BUDGET, REPORT
from tests.reliability.live import Gunicorn, call
from tests.reliability.load import Tokens, Workload, worker_points
from tests.reliability.signin import bearer, token_over_http

pytestmark = [pytest.mark.committing, pytest.mark.slow]


@pytest.fixture
def server(app, tmp_path):
    """gunicorn on the test database; afterwards every case the run created is removed."""
    started = datetime.now(UTC)
    gunicorn = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn.log")
    try:
        gunicorn.wait_ready()
        yield gunicorn
    finally:
        gunicorn.stop()
        with app.app_context():
            ids = db.session.scalars(
                sa.text("SELECT id FROM cases WHERE created_at >= :t"), {"t": started}
            ).all()
            db.session.rollback()
        delete_committed_cases(app, ids)


def test_a_mixed_workload_gets_no_server_error_and_loses_no_case(app, server):
    with app.app_context():
        points = worker_points(db.session.connection())
        db.session.rollback()
    tokens = Tokens(
        *(
            token_over_http(server.url, name)
            for name in ("demo-worker", "demo-community", "demo-township", "demo-city")
        )
    )
    workload = Workload(server.url, tokens, points)
    started = time.monotonic()
    workload.run(BUDGET.load_seconds, BUDGET.load_clients)
    elapsed = time.monotonic() - started

    assert workload.server_errors() == [], workload.server_errors()[:3]
    # Races between people acting on the same case answer 409; nothing else may go wrong.
    assert set(workload.statuses()) <= {200, 201, 409}, workload.statuses()
    assert workload.statuses()[201] >= 10, "too little intake to judge"
    assert workload.unanswered == set()
    assert workload.replay_mismatches == []

    with app.app_context():
        stored = dict(
            db.session.execute(
                sa.text(
                    "SELECT c.idempotency_key, c.id FROM cases c JOIN users u ON u.id = c.reporter_id "
                    "WHERE u.username = 'demo-worker' AND c.idempotency_key = ANY(:keys)"
                ),
                {"keys": list(workload.acknowledged)},
            ).all()
        )
        db.session.rollback()
    assert stored == workload.acknowledged

    # As the phone sees it: each key replayed answers 200 with the case it created.
    for key, case_id in workload.acknowledged.items():
        answer = call(
            server.url,
            "POST",
            "/api/v1/cases",
            body=workload.bodies[key],
            headers={**bearer(tokens.worker), "Idempotency-Key": key},
        )
        assert (answer.status, answer.json()["id"]) == (200, case_id)
        assert answer.headers["Idempotent-Replayed"] == "true"
    print(workload.latency_by_kind())
    REPORT.add("load held", workload.summary("mixed workload on gunicorn", BUDGET.load_clients, elapsed))
