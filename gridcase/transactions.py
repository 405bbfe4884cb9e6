"""How a request's transaction ends: COMMIT when it wrote nothing, ROLLBACK otherwise.

Ending every request with ROLLBACK (what closing a session does) costs every following request
its query plans: psycopg forgets all the statements it prepared on a connection whenever it rolls
back, so PostgreSQL parses and plans each statement of each request anew (the performance
review of 2026-12-04 measured 7.3 ms of planning per intake, 0.8 ms per locate). A transaction
that only read commits to the same effect as it rolls back, and keeps the plans.

"Wrote nothing" is decided statement by statement, conservatively: anything sent to PostgreSQL
that is not a plain SELECT or SHOW, or a WITH naming no INSERT, UPDATE, DELETE or MERGE anywhere
(an INSERT, a data-modifying WITH, a SAVEPOINT, a SET …), marks the app context as having written
until its session commits or rolls back. (A word of those in a literal or a name counts as a
write too: the cost of a false alarm is only the plans.) Only a
transaction left open by a context that did not write is committed; everything else ends as
before, so a refused request never keeps what it half wrote.
"""

from __future__ import annotations

import logging
import re

from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_READ_ONLY = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)
_WITH = re.compile(r"\s*WITH\b", re.IGNORECASE)
_WRITING_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
_WROTE = "gridcase_database_wrote"


def reads_only(statement: str) -> bool:
    """Whether a statement surely writes nothing: a SELECT or SHOW, or a WITH (intake's duplicate
    search names its parameters in one) without a data-modifying part."""
    if _READ_ONLY.match(statement):
        return True
    return bool(_WITH.match(statement)) and not _WRITING_WORD.search(statement)


@event.listens_for(Engine, "before_cursor_execute")
def _note_a_write(conn, cursor, statement, parameters, context, executemany) -> None:
    if has_app_context() and not reads_only(statement):
        setattr(g, _WROTE, True)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _nothing_pending(session) -> None:
    if has_app_context():
        setattr(g, _WROTE, False)


def end_read_only_transaction(scoped, exc: BaseException | None) -> None:
    """Commit the open transaction of this app context's session (of the `scoped` registry) if
    the context wrote nothing and ended without an error; leave anything else to the session's
    close (a ROLLBACK)."""
    if exc is not None or g.get(_WROTE, False) or not scoped.registry.has():
        return
    session = scoped()
    if not session.in_transaction():
        return
    try:
        session.commit()
    except SQLAlchemyError as error:
        # The database went away (or the connection was already invalidated by it): the close
        # that follows discards the session. Raised from a teardown, this would turn the answer
        # already made into a bare 500.
        log.warning("Could not end a read-only transaction: %s", getattr(error, "orig", None) or error)
