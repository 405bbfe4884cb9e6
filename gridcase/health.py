"""GET /healthz: the app answers and so does the database."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from gridcase.extensions import db

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """{"status": "ok"} when the app and the database answer; 503 otherwise."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", message="The database does not answer."), 503
    return jsonify(status="ok")
