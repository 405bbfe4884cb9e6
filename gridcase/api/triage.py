"""Triage (待定位, issue 18): the city centre's queue of requests from other systems that could
not be placed in a grid (GET /api/v1/triage), placing one on the map (POST …/{id}/place), or
setting it aside (POST …/{id}/dismiss)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gridcase.api.security import auth_required
from gridcase.channels.schemas import DismissSchema, PlaceSchema, WaitingRequestSchema
from gridcase.channels.triage import dismiss, place, waiting
from gridcase.extensions import db
from gridcase.people.sessions import current_user
from gridcase.settings import utcnow

blp = Blueprint(
    "triage",
    __name__,
    url_prefix="/api/v1/triage",
    description="Requests waiting for the city centre to place them on the map (待定位).",
)


class PlacedSchema(Schema):
    id = fields.Integer(metadata={"description": "The case's id."})
    public_number = fields.String()


@blp.route("")
class Waiting(MethodView):
    @auth_required
    @blp.response(200, WaitingRequestSchema(many=True))
    def get(self):
        """Your city's requests waiting to be placed, oldest first (the city centre)."""
        return waiting(current_user())


@blp.route("/<int:request_id>/place")
class Place(MethodView):
    @auth_required
    @blp.arguments(PlaceSchema())
    @blp.response(201, PlacedSchema)
    def post(self, data, request_id):
        """Register the request as a case at this point: its grid, community and township follow
        and the ladder starts. 409 when it was placed or dismissed already."""
        case = place(current_user(), request_id, data["lon"], data["lat"], utcnow())
        db.session.commit()
        return case


@blp.route("/<int:request_id>/dismiss")
class Dismiss(MethodView):
    @auth_required
    @blp.arguments(DismissSchema())
    @blp.response(204)
    def post(self, data, request_id):
        """Set the request aside with a reason; its token never names a case."""
        dismiss(current_user(), request_id, data["reason"], utcnow())
        db.session.commit()
