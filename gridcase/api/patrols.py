"""Patrols (巡查): POST /api/v1/patrols from the phone (once per Idempotency-Key), the patrols one
may see (GET /api/v1/patrols, GET …/{id} with the track), and a finding made a case
(POST /api/v1/patrols/findings/{id}/case)."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from gridcase.api.answers import answer, idempotency_key
from gridcase.api.security import auth_required
from gridcase.cases.schemas import CaseSchema, dump_case
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.gridwork.models import Patrol
from gridcase.gridwork.patrols import find_patrol, finding_to_case, record_patrol, visible_patrols
from gridcase.gridwork.schemas import (
    FindingCaseSchema,
    PatrolInSchema,
    PatrolQuerySchema,
    PatrolSchema,
    PatrolSummarySchema,
)
from gridcase.messages import Message
from gridcase.people.sessions import current_user
from gridcase.settings import local_tz, utcnow

blp = Blueprint(
    "patrols", __name__, url_prefix="/api/v1/patrols", description="Patrols (巡查) of grid workers."
)


@blp.route("")
class Patrols(MethodView):
    @auth_required
    @blp.arguments(PatrolQuerySchema(), location="query")
    @blp.response(200, PatrolSummarySchema(many=True))
    def get(self, args):
        """Patrols you may see, the latest first: a grid worker's own; a centre's, those placed
        in its scope."""
        query = sa.select(Patrol).where(visible_patrols(current_user()))
        if args["since"]:
            query = query.where(Patrol.started_at >= datetime.combine(args["since"], time(), local_tz()))
        if args["until"]:
            query = query.where(Patrol.started_at < datetime.combine(args["until"], time.max, local_tz()))
        return (
            db.session.scalars(query.order_by(Patrol.started_at.desc()).limit(args["limit"])).unique().all()
        )

    @auth_required
    @blp.arguments(PatrolInSchema())
    @blp.response(201, PatrolSchema)
    @blp.alt_response(
        200, schema=PatrolSchema, description="An Idempotency-Key replay: the patrol stored before."
    )
    @blp.alt_response(403, description="Only a grid worker records patrols.")
    def post(self, body):
        """Record a patrol the phone kept: its period, GPS fixes and findings. The phone's
        `Idempotency-Key` (required) makes a second send the same patrol."""
        key = idempotency_key()
        if key is None:
            problem = Message("Send the phone's key for the patrol as the Idempotency-Key header.")
            raise Unprocessable(problem, {"Idempotency-Key": [problem]})
        patrol, created = record_patrol(current_user(), body, key, utcnow())
        data = PatrolSchema().dump(patrol)
        db.session.commit()
        headers = {"Location": url_for("patrols.OnePatrol", patrol_id=patrol.id)}
        return answer(
            data, 201 if created else 200, headers if created else {**headers, "Idempotent-Replayed": "true"}
        )


@blp.route("/<id:patrol_id>")
class OnePatrol(MethodView):
    @auth_required
    @blp.response(200, PatrolSchema)
    def get(self, patrol_id):
        """One patrol with its track (GeoJSON) and findings."""
        return find_patrol(current_user(), patrol_id)


@blp.route("/findings/<id:finding_id>/case")
class FindingCase(MethodView):
    @auth_required
    @blp.arguments(FindingCaseSchema())
    @blp.response(201, CaseSchema)
    def post(self, body, finding_id):
        """Make a finding of your patrol a case: its place and words carried over, once."""
        user = current_user()
        case = finding_to_case(user, finding_id, body["category"], body["title"], utcnow())
        data = dump_case(case, viewer=user, whole=True)
        db.session.commit()
        return answer(data, 201, {"Location": url_for("cases.OneCase", ref=case.id)})
