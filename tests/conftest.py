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

os.environ.setdefault("GRIDCASE_ENV", "testing")

from gridcase import create_app
from gridcase.extensions import db

# Tables PostGIS owns; everything else in the test database is ours to drop.
EXTENSION_TABLES = {"spatial_ref_sys"}


def _reset_schema() -> None:
    """Drop every table of ours, so the migrations run from scratch."""
    inspector = sa.inspect(db.engine)
    tables = [t for t in inspector.get_table_names() if t not in EXTENSION_TABLES]
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        for function in ("case_events_append_only", "audit_log_guard"):
            connection.execute(sa.text(f"DROP FUNCTION IF EXISTS {function}() CASCADE"))


@pytest.fixture(scope="session")
def app():
    app = create_app("testing")
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
        _reset_schema()
        from flask_migrate import upgrade

        upgrade()
        from gridcase.demo import load_demo

        load_demo()
        db.session.commit()
    yield app
