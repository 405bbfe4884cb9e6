"""Error pages for people in a browser: the pages' answer to every error outside the JSON
doors (gridcase.http_errors picks it), in the page's language."""

from __future__ import annotations

from flask import Response, make_response, render_template

from gridcase.messages import say


def render_error_page(status: int, message: str, errors=None) -> Response:
    return make_response(render_template("error.html", status=status, message=say(message)), status)
