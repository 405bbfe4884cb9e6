"""Domain exceptions. Pure: no Flask.

Domain code raises these and never builds an HTTP answer; each front door turns them into its
own (gridcase.http_errors: the JSON error shape of the API and the error page of the web pages;
the Open311 door, the spec's error documents; the command line, a message and a non-zero exit).
Each exception carries the status a front door answers with, a message for people and optional
field-by-field errors.
"""

from __future__ import annotations

from http import HTTPStatus

from sqlalchemy.exc import OperationalError


class GridcaseError(Exception):
    """Base of all domain errors: a message for people and optional per-field errors."""

    status = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str, errors: dict | list | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(GridcaseError):
    """The thing does not exist, or lies outside the user's scope (never say which)."""

    status = HTTPStatus.NOT_FOUND


class Unauthorized(GridcaseError):
    status = HTTPStatus.UNAUTHORIZED


class Forbidden(GridcaseError):
    status = HTTPStatus.FORBIDDEN


class SignInRefused(GridcaseError):
    """A refused sign-in, with its own status: 401 wrong credentials, 423 locked, 429 throttled."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.UNAUTHORIZED):
        super().__init__(message)
        self.status = status


class Conflict(GridcaseError):
    """The record changed since the client read it (stale version, concurrent sweep)."""

    status = HTTPStatus.CONFLICT


class TooManyRequests(GridcaseError):
    """Someone without an account asked too often from one address (a public page's limits)."""

    status = HTTPStatus.TOO_MANY_REQUESTS


class Unprocessable(GridcaseError):
    """Well-formed input the rules refuse: a bad field, an action the state or role forbids."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class ImportRejected(GridcaseError):
    """A file to import (geodata, a grid's register) failed validation; `problems` lists every
    reason, nothing was saved."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message, errors=problems)
        self.problems = problems


# SQLSTATEs of a database that answers but asks to try again: a transaction rolled back (class 40:
# serialization failure, deadlock), a statement cancelled (timeout), a lock not available.
_BUSY_SQLSTATES = ("40", "57014", "55P03")
# How long a client should wait before retrying while the database is away.
RETRY_AFTER_SECONDS = 5


def database_unavailable_message(exc: OperationalError) -> str:
    """What to tell a client when the database failed under a request: it is down or restarting
    (connection refused or lost), or it answered but asked for a retry."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate.startswith(_BUSY_SQLSTATES):
        return "The database is busy; try again shortly."
    return "The database is not reachable; try again shortly."
