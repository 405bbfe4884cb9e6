"""How gridcase's engines open and hand out connections: each session starts with the settings
below, and a pooled connection is checked with a round trip before use only when it sat idle.

Session settings. JIT compilation is off. gridcase's statements are short reads and writes of a
few rows to a few thousand; PostgreSQL compiles a statement whose estimated cost passes
jit_above_cost, and at millions of cases the estimates of ordinary reads (a keyword search, the
live count of overdue cases, a year of rollups) pass it: compiling then took 5–30 ms of a
statement that runs in 10 (issue 20; PostgreSQL's documentation: JIT pays off for long-running
CPU-bound queries, "analytical queries"). The setting travels in the connection's startup
packet (libpq's `options`), so it costs no round trip. (A pooler in transaction mode such as
PgBouncer passes startup options only when told to: set `jit = off` for the app's role there
instead, `ALTER ROLE … SET jit = off`.)

Pings.

SQLAlchemy's pool_pre_ping checks every connection at every checkout: a round trip at the start
of every request, and another for intake's number (issue 20). A connection checked in moments
ago was alive moments ago. One that sat idle for IDLE_SECONDS or more (a quiet night; the
database restarted meanwhile) is pinged first, as pool_pre_ping would, and a dead one is
replaced before the request uses it (SQLAlchemy retries a checkout that raises
DisconnectionError with a new connection).

Under load, a database that goes away is met by a statement: that request answers 503
(gridcase.http_errors), and SQLAlchemy invalidates the whole pool on the disconnect, so the
next requests connect afresh (tests/reliability/test_database_fault.py).

Placeholders.

psycopg turns a statement's %(name)s placeholders into PostgreSQL's $n by parsing its text, and
keeps the result only for statements of at most 4096 bytes and 50 parameters
(psycopg._queries), to keep an ORM's ever-different multi-row INSERTs out of its cache. Intake's
one statement (gridcase.inserts.insert_together: the case, its parties, its first event, the
handlers told) is longer, and one of a handful of shapes: parsing it again at every intake was
0.6 ms, a tenth of an intake's Python (issue 20). The limits are raised for it: the cache still
holds 128 statements at most. (psycopg has no public setting for them. Should a later psycopg
rename them, nothing breaks but intake's Python time, which `make bench` reports.)
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import psycopg._queries
import sqlalchemy as sa

# (see "Placeholders" above)
psycopg._queries.MAX_CACHED_STATEMENT_LENGTH = 16_384
psycopg._queries.MAX_CACHED_STATEMENT_PARAMS = 512

IDLE_SECONDS = 10.0
_CHECKED_IN = "gridcase.checked_in"  # in the pool record's info: time.monotonic() of the check-in
SESSION_OPTIONS = "-c jit=off"


def configure_engine(engine: sa.Engine) -> None:
    """Every session of the engine starts with SESSION_OPTIONS, and its pooled connections are
    pinged at checkout only after IDLE_SECONDS idle."""
    sa.event.listen(engine, "do_connect", _with_session_options)
    ping_idle_connections(engine)


def _with_session_options(dialect, record, cargs, cparams) -> None:
    # (added to any options the database URL or connect_args already give)
    cparams["options"] = f"{cparams.get('options', '')} {SESSION_OPTIONS}".strip()


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


class _BinaryCursor(psycopg.Cursor):
    """A cursor asking for its results in PostgreSQL's binary format."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.format = psycopg.pq.Format.BINARY


@contextmanager
def binary_results(connection: sa.Connection) -> Iterator[sa.Connection]:
    """Statements run on `connection` (SQLAlchemy's, in its transaction) inside the block get
    their results in PostgreSQL's binary format.

    For long bytea results: the statistics' duration histograms, over a megabyte in a year's read
    at 5 million cases, travel as bytes rather than as two hex digits a byte, and psycopg
    decodes nothing (gridcase.stats.queries; issue 20). SQLAlchemy has no switch for it; it
    opens each statement's cursor with the psycopg connection's `cursor_factory`, swapped here
    for the block, so that its events, error handling and the replica's routing stay as they
    are. Only for statements whose columns are all typed by PostgreSQL (no geometry:
    GeoAlchemy reads text)."""
    driver = connection.connection.driver_connection
    plain = driver.cursor_factory
    driver.cursor_factory = _BinaryCursor
    try:
        yield connection
    finally:
        driver.cursor_factory = plain
