"""The token check keeps, in each process, the user of every token it has checked (issue 20): a
known token costs one small statement, and a revocation, a disable, a role change or a renamed
scope made by any process, or a token rolled back, is seen by the very next request."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.people.auth import issue_token, user_for_token
from gridcase.people.models import User
from gridcase.settings import utcnow


def test_a_known_token_reads_only_the_generations(api_as, worker, statements):
    api = api_as(worker)
    assert api.get("/api/v1/categories").status_code == 200
    statements.clear()
    assert api.get("/api/v1/categories").status_code == 200
    assert not [s for s in statements if "FROM users" in s or "api_tokens" in s], statements
    assert [s for s in statements if "credential_generation" in s], statements


def test_a_known_token_stops_at_its_expiry(worker):
    token, ttl = issue_token(worker)
    assert user_for_token(token) is worker
    assert user_for_token(token).id == worker.id  # (known now)
    assert user_for_token(token, now=utcnow() + timedelta(seconds=ttl + 1)) is None


def test_a_token_rolled_back_is_not_kept_as_valid(worker):
    db.session.commit()  # (the worker stays; only the token below is undone)
    nested = db.session.begin_nested()
    token, _ = issue_token(worker)
    assert user_for_token(token) is not None
    nested.rollback()
    assert user_for_token(token) is None


RENAME = sa.text("UPDATE regions SET name = name || '（新）' WHERE code = :c")
REVOKE_ALL = "UPDATE api_tokens SET revoked_at = now() WHERE user_id = :id AND revoked_at IS NULL"


@pytest.mark.committing
def test_a_change_made_by_another_process_is_seen_by_the_next_request(app):
    """Written on a connection of its own, as another worker, the CLI or psql would."""
    client = app.test_client()
    with app.app_context():
        other = sa.create_engine(db.engine.url)
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        worker_id, scope, role = worker.id, worker.scope_code, worker.role
        token, _ = issue_token(worker)
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    def answer() -> int:
        return client.get("/api/v1/categories", headers=headers).status_code

    def change(statement: str) -> None:
        with other.begin() as connection:
            connection.execute(sa.text(statement), {"id": worker_id})

    try:
        assert answer() == 200 and answer() == 200  # (known from the first)
        change("UPDATE users SET role = 'community_mediator', scope_code = '330681109901' WHERE id = :id")
        with app.app_context():
            assert (user_for_token(token).role, user_for_token(token).scope.code) == (
                "community_mediator",
                "330681109901",
            )
            db.session.rollback()
        with other.begin() as connection:  # a territory import renames their community
            connection.execute(RENAME, {"c": "330681109901"})
        with app.app_context():
            assert user_for_token(token).scope.name.endswith("（新）")
            db.session.rollback()
        change("UPDATE users SET active = false WHERE id = :id")
        assert answer() == 401
        change("UPDATE users SET active = true WHERE id = :id")
        assert answer() == 200
        change(REVOKE_ALL)
        assert answer() == 401
    finally:
        with other.begin() as connection:
            connection.execute(
                sa.text("UPDATE users SET role = :role, scope_code = :scope, active = true WHERE id = :id"),
                {"role": role, "scope": scope, "id": worker_id},
            )
            connection.execute(sa.text(REVOKE_ALL), {"id": worker_id})
            connection.execute(
                sa.text("UPDATE regions SET name = replace(name, '（新）', '') WHERE code = :c"),
                {"c": "330681109901"},
            )
        other.dispose()
