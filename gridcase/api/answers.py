"""Answers dumped before the commit, and the Idempotency-Key of a POST that must not repeat.

flask-smorest dumps what a view returns after the view has returned, that is after its commit,
which expires every object the session read: dumping a case then would read it all again in a
second transaction. A view that changes a case therefore dumps it with its schema first, commits,
and answers with the dumped body (the `@blp.response` decorator still documents the schema)."""

from __future__ import annotations

from flask import Response, jsonify, request

from gridcase.errors import Unprocessable


def answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON answer of an already dumped body."""
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def idempotency_key() -> str | None:
    """The request's Idempotency-Key header, trimmed: what makes a retried POST create nothing
    twice (a case, a patrol).

    Raises:
        Unprocessable: a key that is empty, longer than 128 characters or not printable.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 128 or not key.isprintable():
        raise Unprocessable(
            "The Idempotency-Key header must be 1 to 128 printable characters.",
            {"Idempotency-Key": ["Use a fresh random value, such as a UUID, per new record."]},
        )
    return key
