"""Error pages for people in a browser (API clients get JSON from gridcase.errors)."""

from __future__ import annotations

from flask import Response, make_response, render_template


def render_error_page(status: int, message: str) -> Response:
    return make_response(render_template("error.html", status=status, message=message), status)
