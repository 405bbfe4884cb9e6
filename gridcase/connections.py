"""A pooled connection is checked with a round trip before use only when it sat idle.

SQLAlchemy's pool_pre_ping checks every connection at every checkout: a round trip at the start
of every request, and another for intake's number (issue 20). A connection checked in moments
ago was alive moments ago. One that sat idle for IDLE_SECONDS or more (a quiet night; the
database restarted meanwhile) is pinged first, as pool_pre_ping would, and a dead one is
replaced before the request uses it (SQLAlchemy retries a checkout that raises
DisconnectionError with a new connection).

Under load, a database that goes away is met by a statement: that request answers 503
(gridcase.http_errors), and SQLAlchemy invalidates the whole pool on the disconnect, so the
next requests connect afresh (tests/reliability/test_database_fault.py).
"""

from __future__ import annotations

import functools
import time

import sqlalchemy as sa

IDLE_SECONDS = 10.0
_CHECKED_IN = "gridcase.checked_in"  # in the pool record's info: time.monotonic() of the check-in


def ping_idle_connections(engine: sa.Engine) -> None:
    """Ping the engine's pooled connections at checkout only after IDLE_SECONDS idle."""
    sa.event.listen(engine, "checkin", _note_check_in)
    sa.event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine.dialect))


def _note_check_in(dbapi_connection, record) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping_if_idle(dialect, dbapi_connection, record, proxy) -> None:
    checked_in = record.info.get(_CHECKED_IN)
    if checked_in is None or time.monotonic() - checked_in < IDLE_SECONDS:
        return  # new, or used moments ago
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, dbapi_connection, None):
            raise sa.exc.DisconnectionError() from error
        raise
