"""Pooled connections are pinged before use only after sitting idle (gridcase.connections): a
dead one is then replaced before anyone uses it, and one used moments ago costs no round trip."""

import psycopg
import sqlalchemy as sa

from gridcase import connections
from gridcase.connections import ping_idle_connections
from gridcase.extensions import db


def _engine(app):
    engine = sa.create_engine(db.engine.url, pool_size=1, max_overflow=0)
    ping_idle_connections(engine)
    return engine


def _pings(engine, monkeypatch) -> list:
    pinged = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pinged.append(c) or real(c))
    return pinged


def test_a_connection_used_moments_ago_is_not_pinged(app, monkeypatch):
    with app.app_context():
        engine = _engine(app)
        pinged = _pings(engine, monkeypatch)
        try:
            for _ in range(3):
                with engine.connect() as connection:
                    assert connection.scalar(sa.text("SELECT 1")) == 1
            assert pinged == []
        finally:
            engine.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(app, monkeypatch):
    with app.app_context():
        engine = _engine(app)
        pinged = _pings(engine, monkeypatch)
        try:
            with engine.connect() as connection:
                first = connection.scalar(sa.text("SELECT pg_backend_pid()"))
            # It sat idle long enough, and the server ended it meanwhile (a restart would).
            monkeypatch.setattr(connections, "IDLE_SECONDS", 0.0)
            with db.engine.connect() as other:
                assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            with engine.connect() as connection:
                assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != first
            assert len(pinged) == 1
        finally:
            engine.dispose()


def test_every_session_starts_without_jit_compilation(app):
    # At millions of cases ordinary reads pass jit_above_cost, and compiling cost more than the
    # statement's run (gridcase.connections).
    with app.app_context():
        assert db.session.scalar(sa.text("SHOW jit")) == "off"
        db.session.rollback()


def test_session_options_of_the_url_are_kept(app):
    with app.app_context():
        url = db.engine.url.update_query_dict({"options": "-c statement_timeout=4321"})
        engine = sa.create_engine(url, pool_size=1, max_overflow=0)
        connections.configure_engine(engine)
        try:
            with engine.connect() as connection:
                assert connection.scalar(sa.text("SHOW jit")) == "off"
                assert connection.scalar(sa.text("SHOW statement_timeout")) == "4321ms"
        finally:
            engine.dispose()


def test_binary_results_hold_for_the_block_only(app):
    formats = []

    def note(conn, cursor, statement, parameters, context, executemany):
        formats.append((statement, cursor.format))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            with connections.binary_results(db.session.connection()) as connection:
                assert connection.scalar(sa.text("SELECT '\\x0102'::bytea")) == b"\x01\x02"
            assert db.session.scalar(sa.text("SELECT 1")) == 1
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
            db.session.rollback()
    selects = [format_ for statement, format_ in formats if statement.startswith("SELECT")]
    assert selects == [psycopg.pq.Format.BINARY, psycopg.pq.Format.TEXT]
