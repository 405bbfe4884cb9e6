"""Answers dumped before the commit.

flask-smorest dumps what a view returns after the view has returned, that is after its commit,
which expires every object the session read: dumping a case then would read it all again in a
second transaction. A view that changes a case therefore dumps it with its schema first, commits,
and answers with the dumped body (the `@blp.response` decorator still documents the schema)."""

from __future__ import annotations

from flask import Response, jsonify


def answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON answer of an already dumped body."""
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response
