"""GET /healthz: the app answers and so does the database."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify
from sqlalchemy.exc import SQLAlchemyError

from gridcase.extensions import db
from gridcase.http_errors import answer_errors, json_error

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """{"status": "ok"} when the app and the database answer; 503 otherwise."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", message="The database does not answer."), 503
    return jsonify(status="ok")


def register_health(app: Flask) -> None:
    app.register_blueprint(bp)
    answer_errors(app, json_error, prefix="/healthz")
