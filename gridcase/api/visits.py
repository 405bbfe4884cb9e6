"""Visits (走访) and the 民情日志 of grid workers: POST/GET /api/v1/visits, GET …/{id}, its photo
(POST/GET …/{id}/photo), whom it met in clear for a reason (POST …/{id}/people/reveal), and a
concern made a case (POST …/{id}/case)."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from gridcase.api.answers import answer, idempotency_key
from gridcase.api.attachments import UploadSchema
from gridcase.api.parties import RevealSchema
from gridcase.api.security import auth_required
from gridcase.cases.schemas import CaseSchema, dump_case
from gridcase.extensions import db
from gridcase.gridwork.models import Visit
from gridcase.gridwork.schemas import (
    FindingCaseSchema,
    PeopleMetSchema,
    VisitInSchema,
    VisitQuerySchema,
    VisitSchema,
)
from gridcase.gridwork.visits import (
    add_visit_photo,
    concern_to_case,
    find_visit,
    record_visit,
    reveal_people_met,
    visible_visits,
    visit_photo,
)
from gridcase.people.sessions import current_user
from gridcase.settings import local_tz, utcnow

blp = Blueprint(
    "visits", __name__, url_prefix="/api/v1/visits", description="Visits (走访) and the 民情日志."
)


@blp.route("")
class Visits(MethodView):
    @auth_required
    @blp.arguments(VisitQuerySchema(), location="query")
    @blp.response(200, VisitSchema(many=True))
    def get(self, args):
        """Visits you may see, the latest first: a grid worker's own; a centre's, those in its scope."""
        query = sa.select(Visit).where(visible_visits(current_user()))
        if args["kind"]:
            query = query.where(Visit.kind == args["kind"].value)
        if args["since"]:
            query = query.where(Visit.visited_at >= datetime.combine(args["since"], time(), local_tz()))
        if args["until"]:
            query = query.where(Visit.visited_at <= datetime.combine(args["until"], time.max, local_tz()))
        return db.session.scalars(query.order_by(Visit.visited_at.desc()).limit(args["limit"])).all()

    @auth_required
    @blp.arguments(VisitInSchema())
    @blp.response(201, VisitSchema)
    @blp.alt_response(
        200, schema=VisitSchema, description="An Idempotency-Key replay: the visit stored before."
    )
    @blp.alt_response(403, description="Only a grid worker records visits.")
    def post(self, body):
        """Record a visit to a household or a place, or a 民情日志 entry, where you stand."""
        visit, created = record_visit(current_user(), body, idempotency_key(), utcnow())
        data = VisitSchema().dump(visit)
        db.session.commit()
        return answer(
            data, 201 if created else 200, {"Location": url_for("visits.OneVisit", visit_id=visit.id)}
        )


@blp.route("/<id:visit_id>")
class OneVisit(MethodView):
    @auth_required
    @blp.response(200, VisitSchema)
    def get(self, visit_id):
        """One visit, whom it met masked."""
        return find_visit(current_user(), visit_id)


@blp.route("/<id:visit_id>/photo")
class VisitPhoto(MethodView):
    @auth_required
    @blp.arguments(UploadSchema(), location="files")
    @blp.response(201, VisitSchema)
    def post(self, files, visit_id):
        """The visit's photo, once: checked by content, stripped of its metadata, scaled."""
        visit = add_visit_photo(current_user(), visit_id, files["file"].read())
        data = VisitSchema().dump(visit)
        db.session.commit()
        return answer(data, 201)

    @auth_required
    @blp.response(200, description="The JPEG.")
    def get(self, visit_id):
        """The visit's photo (never kept in a browser's cache)."""
        response = Response(visit_photo(current_user(), visit_id), mimetype="image/jpeg")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


@blp.route("/<id:visit_id>/people/reveal")
class PeopleMet(MethodView):
    @auth_required
    @blp.arguments(RevealSchema(), example={"reason": "回访独居老人，需核对姓名"})
    @blp.response(200, PeopleMetSchema)
    def post(self, body, visit_id):
        """Whom the visit met, in clear, for a reason kept in the audit log."""
        names = reveal_people_met(current_user(), visit_id, body["reason"])
        db.session.commit()
        return {"people_met": names}


@blp.route("/<id:visit_id>/case")
class VisitCase(MethodView):
    @auth_required
    @blp.arguments(FindingCaseSchema())
    @blp.response(201, CaseSchema)
    def post(self, body, visit_id):
        """Make the visit's concern a case, at the visit's place, once (by the worker who wrote it)."""
        user = current_user()
        case = concern_to_case(user, visit_id, body["category"], body["title"], utcnow())
        data = dump_case(case, viewer=user, whole=True)
        db.session.commit()
        return answer(data, 201, {"Location": url_for("cases.OneCase", ref=case.id)})
