"""Domain exceptions and the one JSON error shape of the API.

Domain code raises these exceptions and never builds HTTP responses; the handlers registered
here turn them (and every other error) into `{"code", "status", "message", "errors"}`.
Nothing a user sees ever carries a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

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


def error_body(status: int, message: str, errors=None) -> dict:
    return {
        "code": int(status),
        "status": HTTPStatus(status).phrase,
        "message": message,
        "errors": errors or {},
    }


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


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; called by create_app after the API is bound."""

    @app.errorhandler(GridcaseError)
    def handle_domain_error(exc: GridcaseError):
        response = jsonify(error_body(exc.status, exc.message, exc.errors))
        if exc.status == HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Bearer realm="gridcase"'
        return response, exc.status

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        errors = _messages_from_webargs(exc)
        message = exc.description or HTTPStatus(status).phrase
        if status == 422 and errors:
            message = "The request has invalid fields; see errors for each one."
        if wants_json():
            response = jsonify(error_body(status, message, errors))
        else:
            from gridcase.web.errors import render_error_page

            response = render_error_page(status, message)
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response, status

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        message = "Something went wrong on our side; the error has been logged."
        if wants_json():
            return jsonify(error_body(500, message)), 500
        from gridcase.web.errors import render_error_page

        return render_error_page(500, message), 500
