"""How a request's transaction ends (issue 20): one that wrote nothing commits, so the
connection keeps its prepared statements (psycopg forgets them all on ROLLBACK); one that wrote
and was refused still rolls back, and nothing it half wrote is kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from gridcase.extensions import db
from gridcase.people.auth import issue_token
from gridcase.people.models import ApiToken, User
from gridcase.transactions import end_read_only_transaction, reads_only
from tests.helpers import point_in

pytestmark = pytest.mark.committing


@pytest.fixture
def worker_token(app):
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        token, _ = issue_token(worker)
        db.session.commit()
        lon, lat = point_in(worker.scope_code)
        worker_id = worker.id
    yield token, (lon, lat)
    with app.app_context():
        db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == worker_id))
        db.session.commit()


@pytest.fixture
def endings(app):
    """How each transaction on the primary ended, in order."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def committed(conn):
        seen.append("commit")

    def rolled_back(conn):
        seen.append("rollback")

    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)
    yield seen
    event.remove(engine, "commit", committed)
    event.remove(engine, "rollback", rolled_back)


def test_a_request_that_only_read_commits(app, worker_token, endings):
    token, (lon, lat) = worker_token
    answer = app.test_client().get(
        f"/api/v1/grids/locate?lon={lon}&lat={lat}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200
    assert endings == ["commit"]


def test_a_refused_request_that_reads_only_commits_too(app, worker_token, endings):
    """Refused before it wrote anything (an unknown category): nothing to keep or to undo."""
    token, (lon, lat) = worker_token
    body = {
        "kind": "incident",
        "category": "NO-SUCH",
        "title": "不会保存",
        "location": {"lon": lon, "lat": lat},
    }
    answer = app.test_client().post(
        "/api/v1/cases", json=body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "t-1"}
    )
    assert answer.status_code == 422 and endings == ["commit"]


def test_a_context_that_wrote_and_did_not_commit_rolls_back(app, endings):
    """What a refused request half wrote is never committed by the ending."""
    with app.app_context():
        db.session.execute(
            sa.text("UPDATE users SET display_name = display_name || '（改）' WHERE username = 'demo-worker'")
        )
        end_read_only_transaction(db.session, None)
        db.session.remove()
    with app.app_context():
        name = db.session.scalar(sa.select(User.display_name).where(User.username == "demo-worker"))
    assert not name.endswith("（改）") and endings[:2] == ["rollback", "commit"]


def test_a_with_that_writes_counts_as_a_write(app, endings):
    """A WITH may carry an UPDATE: what it half wrote is rolled back as any write's."""
    with app.app_context():
        db.session.execute(
            sa.text(
                "WITH renamed AS (UPDATE users SET display_name = display_name || '（改）' "
                "WHERE username = 'demo-worker' RETURNING id) SELECT count(*) FROM renamed"
            )
        )
        end_read_only_transaction(db.session, None)
        db.session.remove()
    with app.app_context():
        name = db.session.scalar(sa.select(User.display_name).where(User.username == "demo-worker"))
    assert not name.endswith("（改）") and endings[:2] == ["rollback", "commit"]


@pytest.mark.parametrize(
    ("statement", "reads"),
    [
        ("SELECT 1", True),
        ("  with asked AS MATERIALIZED (SELECT 1 AS x) SELECT x FROM asked", True),
        ("SELECT id, updated_at FROM cases FOR UPDATE", True),  # a lock, not a write
        ("WITH gone AS (DELETE FROM alerts RETURNING id) SELECT count(*) FROM gone", False),
        ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", False),
        ("INSERT INTO t VALUES (1)", False),
        ("SAVEPOINT a", False),
        ("SET LOCAL work_mem = '64MB'", False),
    ],
)
def test_which_statements_read_only(statement, reads):
    assert reads_only(statement) is reads


def test_a_context_that_wrote_and_committed_then_read_commits(app, endings):
    with app.app_context():
        db.session.execute(
            sa.text("UPDATE users SET display_name = display_name WHERE username = 'demo-worker'")
        )
        db.session.commit()
        db.session.scalar(sa.select(User.id).where(User.username == "demo-worker"))
        end_read_only_transaction(db.session, None)
        db.session.remove()
    assert endings == ["commit", "commit"]


def test_prepared_statements_survive_read_only_requests(app, worker_token):
    """The same read five times and more on one connection: psycopg prepares it (its threshold
    is 5) and, with no ROLLBACK in between, keeps it."""
    token, (lon, lat) = worker_token
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    engine.pool.dispose()  # one connection from here on: the test client asks for one at a time
    for _ in range(8):
        answer = client.get(
            f"/api/v1/grids/locate?lon={lon}&lat={lat}", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200
    with engine.connect() as connection:
        prepared = connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()
    assert prepared > 0
