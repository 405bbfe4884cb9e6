"""Domain exceptions and the one JSON error shape of the API.

Domain code raises these exceptions and never builds HTTP responses; the handlers registered
here turn them (and every other error) into `{"code", "status", "message", "errors"}`.
Nothing a user sees ever carries a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, g, jsonify, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import BadRequest, HTTPException

log = logging.getLogger(__name__)


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


class Unprocessable(GridcaseError):
    """Well-formed input the rules refuse: a bad field, an action the state or role forbids."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class ImportRejected(GridcaseError):
    """A geodata file failed validation; `problems` lists every reason, nothing was saved."""

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


def error_body(status: int, message: str, errors=None) -> dict:
    return {
        "code": int(status),
        "status": HTTPStatus(status).phrase,
        "message": message,
        "errors": errors or {},
    }


def _for_the_reader(message: str, errors):
    """A JSON error as the app's own pages show it: in the page's language when the page called
    with its session (gridcase.api.security), in English (the API's contract) otherwise."""
    if not g.get("page_session"):
        return message, errors
    from gridcase.web.labels import say, say_all

    return say(message), say_all(errors)


def wants_json() -> bool:
    """API clients get JSON errors; people on web pages get an HTML page."""
    path = request.path
    return (
        path.startswith("/api/")
        or path.startswith("/open311/")
        or path == "/healthz"
        or request.accept_mimetypes.best == "application/json"
    )


def _messages_from_webargs(exc: HTTPException) -> dict:
    # webargs/flask-smorest put field-by-field messages into exc.data["messages"],
    # keyed by location ("json", "query", …); a client wants the fields.
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or {}
    if len(messages) == 1:
        return next(iter(messages.values()))
    return messages


def _audit_failure(status: int, message: str) -> None:
    """Denials go to the security audit log; entries the failed request had recorded (a refused
    sign-in, say) are written again after its transaction is rolled back."""
    from gridcase.audit.log import AuditAction, keep_after_failure, record

    try:
        if status == HTTPStatus.FORBIDDEN or (status == HTTPStatus.BAD_REQUEST and "CSRF" in message):
            record(
                AuditAction.PERMISSION_DENIED,
                result="denied",
                actor=g.get("current_user") or g.get("user"),
                target=f"{request.method} {request.path}"[:200],
                details={"reason": message[:300]},
            )
        keep_after_failure()
    except Exception:  # the audit must never turn an error answer into a crash
        log.exception("Could not write the audit entries of a failed request")


UNSTORABLE_TEXT = (
    "Text in the request must be valid Unicode without the NUL character (U+0000) or lone surrogates."
)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _unstorable(value) -> bool:
    """Text PostgreSQL cannot take: U+0000, or a lone surrogate (JSON's "\\ud800") that has no
    UTF-8 form; in any string of a decoded JSON document too."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def refuse_unstorable_text() -> None:
    """Such text would end in a database error deep inside a view (a 500); refuse it at the door
    instead, whatever the endpoint.

    Raises:
        BadRequest: in the path, the query, a form field or a JSON string.
    """
    texts = [request.path, *(text for pair in request.args.items(multi=True) for text in pair)]
    if request.mimetype in _FORM_TYPES:
        texts += [text for pair in request.form.items(multi=True) for text in pair]
    if _unstorable(texts) or (request.is_json and _unstorable(request.get_json(silent=True))):
        raise BadRequest(UNSTORABLE_TEXT)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; called by create_app after the API is bound."""

    app.before_request(refuse_unstorable_text)

    @app.errorhandler(GridcaseError)
    def handle_domain_error(exc: GridcaseError):
        _audit_failure(exc.status, exc.message)
        if not wants_json():
            # A page (a case or a user out of scope, say): people get the error page, not JSON.
            from gridcase.web.errors import render_error_page
            from gridcase.web.labels import say

            return render_error_page(exc.status, say(exc.message)), exc.status
        response = jsonify(error_body(exc.status, *_for_the_reader(exc.message, exc.errors)))
        if exc.status == HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Bearer realm="gridcase"'
        return response, exc.status

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        _audit_failure(status, exc.description or "")
        errors = _messages_from_webargs(exc)
        message = exc.description or HTTPStatus(status).phrase
        if status == 422 and errors:
            message = "The request has invalid fields; see errors for each one."
        if wants_json():
            response = jsonify(error_body(status, *_for_the_reader(message, errors)))
        else:
            from gridcase.web.errors import render_error_page

            response = render_error_page(status, message)
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response, status

    @app.teardown_appcontext
    def close_session_even_if_the_database_is_gone(exc):
        # Registered after Flask-SQLAlchemy's own teardown, so it runs first. When PostgreSQL
        # went away mid-request, the closing ROLLBACK fails too; raised from a teardown, that
        # would turn the answer already made (a 503, or a 200 for a change that was committed)
        # into gunicorn's bare 500, and leave the broken session in the registry for a later
        # request. The pool has already discarded the dead connection.
        from gridcase.extensions import db

        try:
            db.session.remove()
        except DBAPIError as error:
            log.warning("Discarded the database session of a request: %s", error.orig)
            db.session.registry.clear()

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(exc: OperationalError):
        # PostgreSQL is stopped, restarting or failing over: a passing condition, not a bug. The
        # pool re-connects by itself (pool_pre_ping) once the database is back.
        log.warning("Database unavailable on %s %s: %s", request.method, request.path, exc.orig)
        message = database_unavailable_message(exc)
        if wants_json():
            response = jsonify(error_body(503, message))
        else:
            from gridcase.web.errors import render_error_page

            response = render_error_page(503, message)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response, 503

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        message = "Something went wrong on our side; the error has been logged."
        if wants_json():
            return jsonify(error_body(500, message)), 500
        from gridcase.web.errors import render_error_page

        return render_error_page(500, message), 500
