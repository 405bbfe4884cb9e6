"""Reference data each process keeps (the working calendar, the categories, the active webhook
subscriptions, a grid worker's grids), and how every process sees a change of it at once.

Intake read the calendar and the subscriptions on every request, a round trip and the Python
to build their answers each (issue 20). They change a few times a year. Migration 0044 keeps a
generation number in the one row of `reference_generation`: statement-level triggers on the
watched tables set it to a new number from a sequence in the writer's transaction, so the new
number is seen exactly when the change is, and never given again (a change rolled back cannot
leave a number that a later change takes with other contents).

A kept value is labelled with the generation it was read under and used only while the
generation is the same. A request learns the generation without a round trip of its own: the
token check reads it in the same statement (`GENERATION`, `note_generation`); otherwise the
first `kept` of a transaction reads it, and so does the first after the transaction wrote a
watched table itself (it sees its own change; a write hidden from the pattern below, in a
WITH, is seen from the next transaction on). A value is read after the generation it is labelled
with, so it is never older than its label. Views reading from a replica neither use nor fill
the store (the replica may lag the primary the generation came from).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_app_context

from gridcase.extensions import db
from gridcase.replica import reading_from_replica

T = TypeVar("T")

_TABLE = sa.table("reference_generation", sa.column("generation", sa.BigInteger))
# The generation as a column of another statement (the token check's).
GENERATION = sa.select(_TABLE.c.generation).scalar_subquery().label("reference_generation")
_READ = sa.select(_TABLE.c.generation)
_SESSION_KEY = "gridcase.reference_generation"

_kept: dict[tuple[sa.Engine, str], tuple[int, object]] = {}  # (database, name): (generation, value)


def note_generation(generation: int) -> None:
    """The generation read by a statement of the session's current transaction."""
    db.session.info[_SESSION_KEY] = generation


def current_generation() -> int:
    """The generation of this transaction: noted, or read now (and noted)."""
    generation = db.session.info.get(_SESSION_KEY)
    if generation is None:
        generation = db.session.scalar(_READ)
        note_generation(generation)
    return generation


def kept(name: str, read: Callable[[], T]) -> T:
    """The value `read` returns, kept in this process while the generation stays the same.
    The value is shared by every request of the process: never change it."""
    if reading_from_replica():
        return read()
    generation = current_generation()
    # (one process may serve two databases, the tests'; the engine, not its URL: hashing a URL
    # renders it as a string each time)
    key = (db.engine, name)
    found = _kept.get(key)
    if found is not None and found[0] == generation:
        return found[1]
    value = read()
    _kept[key] = (generation, value)  # (one assignment: threads need no lock for it)
    return value


# The tables migration 0044 watches.
WATCHED_TABLES = ("calendar_days", "categories", "webhook_subscriptions", "grid_assignments")
_WRITES_WATCHED = re.compile(
    rf"\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+\"?({'|'.join(WATCHED_TABLES)})\b",
    re.IGNORECASE,
)


@sa.event.listens_for(sa.Engine, "before_cursor_execute")
def _forget_generation_on_own_change(conn, cursor, statement, parameters, context, executemany) -> None:
    """A transaction sees its own change: once it writes a watched table, the generation is
    read again (the trigger has moved it, in this transaction only)."""
    if has_app_context() and _WRITES_WATCHED.match(statement):
        db.session.info.pop(_SESSION_KEY, None)


@sa.event.listens_for(so.Session, "after_transaction_end")
def _forget_generation(session, transaction) -> None:
    """The next transaction reads the generation again."""
    if transaction.parent is None:
        session.info.pop(_SESSION_KEY, None)
