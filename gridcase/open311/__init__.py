"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): other city systems list the
public services, post requests that become public cases, and follow their status."""

from __future__ import annotations

from flask import Flask


def register_open311(app: Flask) -> None:
    """The /open311/v2/ blueprint answers its own errors in the spec's documents; what fails
    before reaching it (no route matched, a body too large) answers in the JSON error shape."""
    from gridcase.http_errors import answer_errors, json_error
    from gridcase.open311.views import bp

    app.register_blueprint(bp)
    answer_errors(app, json_error, prefix="/open311/")
