"""Shared fixtures: one app and one real PostGIS test database per session.

The schema is rebuilt from the migrations at the start of the session (so the migrations are
tested too), then the reference data and the demo territory are loaded and committed once.
Each integration test then runs inside a transaction that is rolled back at its end, so tests
never see each other's rows (see tests/integration/conftest.py).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

os.environ.setdefault("GRIDCASE_ENV", "testing")

from gridcase import create_app
from gridcase.extensions import db
from tests.helpers import owner_engine

# Tables PostGIS owns; everything else in the test database is ours to drop.
EXTENSION_TABLES = {"spatial_ref_sys"}


def _reset_schema(engine: sa.Engine) -> None:
    """Drop every table and function of ours, so the migrations run from scratch. (Ours: in
    the public schema and not part of an extension such as PostGIS.) As the tables' owner."""
    inspector = sa.inspect(engine)
    tables = [t for t in inspector.get_table_names() if t not in EXTENSION_TABLES]
    with engine.begin() as connection:
        for table in tables:
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        routines = connection.execute(
            sa.text(
                """
                SELECT CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
                       p.oid::regprocedure::text
                FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND NOT EXISTS (
                    SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e'
                )
                ORDER BY p.prokind = 'a' DESC
                """
            )
        ).all()
        for kind, signature in routines:
            connection.execute(sa.text(f"DROP {kind} IF EXISTS {signature} CASCADE"))


class RequestScopedClient(FlaskClient):
    """A test client whose requests leave nothing in `g`. Flask gives each request a fresh app
    context, except when one is already pushed, as in an integration test (its transaction);
    there, what a request caches in `g` (the signed-in user, say) would leak into the next
    request of the test. Each request's additions to `g` are removed when it ends."""

    def open(self, *args, **kwargs):
        if not has_app_context():
            return super().open(*args, **kwargs)
        before = set(vars(g._get_current_object()))
        try:
            return super().open(*args, **kwargs)
        finally:
            for name in set(vars(g._get_current_object())) - before:
                delattr(g, name)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app("testing")
    # Checkpoints signed under the tests' chain key, never the development instance's folder.
    app.config["GRIDCASE_CHECKPOINT_DIR"] = str(tmp_path_factory.mktemp("checkpoints"))
    app.test_client_class = RequestScopedClient
    with app.app_context():
        try:
            db.session.execute(sa.text("SELECT postgis_version()"))
        except sa.exc.OperationalError as exc:
            pytest.exit(
                f"The test database is not reachable ({app.config['SQLALCHEMY_DATABASE_URI']}): "
                f"run the tests with `make test`, which starts it. {exc.orig}",
                returncode=2,
            )
        db.session.rollback()
        _reset_schema(owner_engine(app))
        from flask_migrate import upgrade

        upgrade()
        from gridcase.demo import load_demo

        load_demo()
        db.session.commit()
    yield app
