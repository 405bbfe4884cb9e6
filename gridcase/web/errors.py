"""Error pages for people in a browser: the pages' answer to every error outside the JSON
doors (gridcase.http_errors picks it), in the page's language."""

from __future__ import annotations

from flask import Response, make_response, render_template
from werkzeug.exceptions import default_exceptions

from gridcase.messages import Message, say

# werkzeug's own descriptions of its HTTP errors are written for developers ("If you entered the
# URL manually please check your spelling…") and are not in the catalogue: a page says these.
PAGE_SENTENCES = {
    400: Message("The page could not understand what was sent. Go back and try again."),
    403: Message("You may not open this page."),
    404: Message("There is no such page. Check the address, or go back to your home page."),
    405: Message("This page cannot be used that way. Go back and try again."),
    413: Message("What was sent is too large."),
    429: Message("Too many requests in a short time. Wait a moment and try again."),
}
ANY_OTHER_ERROR = Message("The page could not be shown. Go back and try again.")


def render_error_page(status: int, message: str, errors=None) -> Response:
    werkzeug_error = default_exceptions.get(status)
    if werkzeug_error is not None and message == werkzeug_error.description:
        message = PAGE_SENTENCES.get(status, ANY_OTHER_ERROR)
    return make_response(render_template("error.html", status=status, message=say(message)), status)
