"""The interactive API page (/api/v1/docs): Swagger UI from the npm registry, served by the app,
reading the app's own OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("apidocs", __name__)


@bp.route("/api/v1/docs")
def docs():
    """Try the API from the browser; sign in with POST /api/v1/auth/token, then Authorize."""
    return render_template("apidocs.html")
