"""Files in and out: the routes that take files larger than the app's MAX_CONTENT_LENGTH
(evidence recordings), and how a private file (evidence of a dispute) is sent back.

Every request body is held to MAX_CONTENT_LENGTH, which keeps a flood of big bodies from tying
up workers. The few routes that take larger files name the setting of their limit here, and the
limit is raised for them alone — before anything reads the body (the pages' CSRF check reads the
form), which is why it is a `before_request` registered ahead of the others.
"""

from __future__ import annotations

import io

from flask import Flask, Response, current_app, request, send_file

# Room for the form around the file: the CSRF token, a title, the multipart boundaries.
FORM_OVERHEAD = 64 * 1024
# endpoint → the setting holding the largest file it takes
LARGER_UPLOADS: dict[str, str] = {}


def takes_larger_uploads(endpoint: str, limit_setting: str) -> None:
    LARGER_UPLOADS[endpoint] = limit_setting


def _raise_the_limit() -> None:
    limit_setting = LARGER_UPLOADS.get(request.endpoint or "")
    if limit_setting and request.method == "POST":
        request.max_content_length = int(current_app.config[limit_setting]) + FORM_OVERHEAD


def register_upload_limits(app: Flask) -> None:
    app.before_request(_raise_the_limit)


def send_private_file(data: bytes, content_type: str, filename: str) -> Response:
    """A download no cache keeps and no browser runs in the app's origin: a recording or scan
    of people's affairs, always as an attachment, its type never sniffed."""
    response = send_file(io.BytesIO(data), mimetype=content_type, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
