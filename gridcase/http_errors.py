"""How every HTTP request fails: the app-wide error handlers, and the answer each front door
gives.

Domain code raises the exceptions of gridcase.errors; these handlers turn them (and every other
error: werkzeug's HTTP errors, a database that went away, a unique-constraint race, a bug) into
an answer. Which answer is the front door's choice: each registers a renderer for its URL prefix
(`answer_errors`), the API the JSON shape `{"code", "status", "message", "errors"}`, the pages
an error page in the page's language. A request under no registered prefix gets JSON when it
asks for JSON, and the pages' answer otherwise. (The Open311 door answers its own errors inside
its blueprint, in the spec's documents.) Nothing a user sees ever carries a stack trace.

Also here, because they guard every front door alike: the check that refuses text PostgreSQL
cannot store before any view runs, the audit of denied requests, and the session teardown that
survives a database that is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from flask import Flask, Response, current_app, g, jsonify, request
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import BadRequest, HTTPException

from gridcase.audit.log import AuditAction, keep_after_failure, record
from gridcase.errors import RETRY_AFTER_SECONDS, GridcaseError, database_unavailable_message
from gridcase.extensions import db
from gridcase.messages import Message, say, say_all
from gridcase.people.sessions import current_user, session_user
from gridcase.transactions import end_read_only_transaction

log = logging.getLogger(__name__)

# render(status, message, errors) → the answer; the status is set by the handler.
Renderer = Callable[[int, str, dict | list], Response]
_RENDERERS = "gridcase.error_renderers"


def error_body(status: int, message: str, errors=None) -> dict:
    """The one JSON error shape (flask-smorest's): code, status phrase, message, field errors."""
    return {
        "code": int(status),
        "status": HTTPStatus(status).phrase,
        "message": message,
        "errors": errors or {},
    }


def json_error(status: int, message: str, errors=None) -> Response:
    """The JSON error answer. Its messages are English (the API's contract), except for the
    app's own pages calling with their session (gridcase.api.security), which read them in the
    page's language."""
    if g.get("page_session"):
        message, errors = say(message), say_all(errors)
    response = jsonify(error_body(status, message, errors))
    if status == HTTPStatus.UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="gridcase"'
    return response


def answer_errors(app: Flask, render: Renderer, prefix: str | None = None) -> None:
    """Answer the errors of requests under `prefix` with `render`; without a prefix, `render`
    answers people in browsers everywhere else."""
    app.extensions.setdefault(_RENDERERS, {})[prefix] = render


def _renderer() -> Renderer:
    renderers: dict[str | None, Renderer] = current_app.extensions.get(_RENDERERS, {})
    prefixes = sorted((p for p in renderers if p), key=len, reverse=True)
    for prefix in prefixes:
        if request.path.startswith(prefix):
            return renderers[prefix]
    if request.accept_mimetypes.best == "application/json" or None not in renderers:
        return json_error
    return renderers[None]


def _answer(status: int, message: str, errors=None) -> tuple[Response, int]:
    return _renderer()(status, message, errors or {}), status


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
    try:
        refused_csrf = status == HTTPStatus.BAD_REQUEST and "CSRF" in message
        if status == HTTPStatus.FORBIDDEN or refused_csrf:
            # A form refused for its CSRF token is refused before any door reads the session:
            # read it now, so the entry names the user and their city (an auditor of another
            # city must not read it).
            actor = current_user() or (session_user() if refused_csrf else None)
            record(
                AuditAction.PERMISSION_DENIED,
                result="denied",
                actor=actor,
                target=f"{request.method} {request.path}"[:200],
                details={"reason": message[:300]},
            )
        keep_after_failure()
    except Exception:  # the audit must never turn an error answer into a crash
        log.exception("Could not write the audit entries of a failed request")


UNSTORABLE_TEXT = (
    "Text in the request must be valid Unicode without the NUL character (U+0000) or lone surrogates."
)
TOO_DEEP = "The JSON document is nested too deeply."
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

    Also a JSON body nested so deeply that decoding it would exhaust Python's recursion limit.

    Raises:
        BadRequest: in the path, the query, a form field or a JSON string; a JSON body too deep.
    """
    texts = [request.path, *(text for pair in request.args.items(multi=True) for text in pair)]
    if request.mimetype in _FORM_TYPES:
        texts += [text for pair in request.form.items(multi=True) for text in pair]
    document = None
    if request.is_json:
        try:
            document = request.get_json(silent=True)
        except RecursionError:
            raise BadRequest(TOO_DEEP) from None
    if _unstorable(texts) or _unstorable(document):
        raise BadRequest(UNSTORABLE_TEXT)


# What a client is told when a write lost a race to another at the same moment.
_INTEGRITY_MESSAGES = {
    pg_errors.UniqueViolation: "Someone saved the same record at the same moment; reload and try again.",
    pg_errors.ForeignKeyViolation: "The record refers to something that no longer exists; reload, try again.",
}


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; called by create_app after the front doors are registered."""

    app.before_request(refuse_unstorable_text)

    @app.errorhandler(GridcaseError)
    def handle_domain_error(exc: GridcaseError):
        _audit_failure(exc.status, exc.message)
        return _answer(exc.status, exc.message, exc.errors)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        _audit_failure(status, exc.description or "")
        errors = _messages_from_webargs(exc)
        message = exc.description or HTTPStatus(status).phrase
        if status == 422 and errors:
            message = Message("The request has invalid fields; see errors for each one.")
        response, status = _answer(status, message, errors)
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response, status

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(exc: IntegrityError):
        # A check in Python passed, then the database's constraint refused the write because a
        # concurrent request made the same row first (a username, say): a conflict, not a bug.
        message = next(
            (text for kind, text in _INTEGRITY_MESSAGES.items() if isinstance(exc.orig, kind)), None
        )
        if message is None:
            return handle_unexpected(exc)
        log.warning("Integrity conflict on %s %s: %s", request.method, request.path, exc.orig)
        return _answer(HTTPStatus.CONFLICT, message)

    @app.teardown_appcontext
    def close_session_even_if_the_database_is_gone(exc):
        # Registered after Flask-SQLAlchemy's own teardown, so it runs first. When PostgreSQL
        # went away mid-request, the closing ROLLBACK fails too; raised from a teardown, that
        # would turn the answer already made (a 503, or a 200 for a change that was committed)
        # into gunicorn's bare 500, and leave the broken session in the registry for a later
        # request. The pool has already discarded the dead connection.
        try:
            end_read_only_transaction(db.session, exc)  # (keeps the connection's query plans)
            db.session.remove()
        except DBAPIError as error:
            log.warning("Discarded the database session of a request: %s", error.orig)
            db.session.registry.clear()

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(exc: OperationalError):
        # PostgreSQL is stopped, restarting or failing over: a passing condition, not a bug. The
        # pool re-connects by itself once the database is back (gridcase/connections.py).
        log.warning("Database unavailable on %s %s: %s", request.method, request.path, exc.orig)
        response, status = _answer(503, database_unavailable_message(exc))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response, status

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _answer(500, "Something went wrong on our side; the error has been logged.")
