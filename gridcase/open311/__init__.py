"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): other city systems list the
public services, post requests that become public cases, and follow their status."""

from __future__ import annotations

from flask import Flask


def register_open311(app: Flask) -> None:
    """The /open311/v2/ blueprint answers its own errors in the spec's documents, and so does
    the app for what fails before reaching it (a method not allowed, a body too large)."""
    from gridcase.http_errors import answer_errors
    from gridcase.open311.views import bp, spec_error

    app.register_blueprint(bp)
    answer_errors(app, spec_error, prefix="/open311/")
