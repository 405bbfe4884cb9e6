"""Cases: intake, lists in scope, one case with its timeline."""

from __future__ import annotations

from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gridcase.api.answers import answer, idempotency_key
from gridcase.api.security import auth_required
from gridcase.cases.intake import create_case, possible_duplicates
from gridcase.cases.queries import find_case, list_cases, open_case_points
from gridcase.cases.schemas import (
    CaseCreateSchema,
    CaseListSchema,
    CaseQueryArgsSchema,
    CaseSchema,
    CaseView,
    DuplicateQuerySchema,
    DuplicateSchema,
    dump_case,
)
from gridcase.extensions import db
from gridcase.geo import to_wgs84
from gridcase.people.sessions import current_user
from gridcase.replica import reads_from_replica

# Routes of this blueprint written in other modules: POST /<ref>/actions (gridcase.api.actions),
# POST /<ref>/parties/<party_id>/reveal (gridcase.api.parties); /export is gridcase.api.exports.
blp = Blueprint(
    "cases", __name__, url_prefix="/api/v1/cases", description="Cases: intake, lists and timelines."
)


@blp.route("")
class Cases(MethodView):
    @auth_required
    @blp.arguments(CaseQueryArgsSchema(), location="query")
    @blp.response(200, CaseListSchema)
    def get(self, args):
        """Cases in your scope, filtered and paginated (newest first unless `sort` says)."""
        return list_cases(current_user(), args, page=args["page"], page_size=args["page_size"])

    @auth_required
    @blp.arguments(CaseCreateSchema())
    @blp.response(201, CaseSchema)
    @blp.alt_response(
        200, schema=CaseSchema, description="An Idempotency-Key replay: the case created before."
    )
    def post(self, data):
        """Log a new case. Send an `Idempotency-Key` header so a retry never creates a second case.

        The point is converted to WGS84 and placed in the grid containing it; the level follows
        the severity (一般 → community, 较大 → township, 重大/特别重大 → city). The answer lists
        possible duplicates: open cases of the same category within 100 m in the last 7 days."""
        result = create_case(current_user(), data, idempotency_key=idempotency_key())
        body = dump_case(
            result.case,
            viewer=current_user(),
            whole=True,
            duplicates=result.duplicates,
            just_created=result.created,
        )
        # (read before the commit: after it the case is expired, and reading its id would load
        # it again in a second transaction — a seven-table SELECT for one number)
        headers = {"Location": url_for("cases.OneCase", ref=result.case.id)}
        db.session.commit()
        if not result.created:
            return answer(body, 200, {**headers, "Idempotent-Replayed": "true"})
        return answer(body, 201, headers)


@blp.route("/duplicates")
class Duplicates(MethodView):
    @auth_required
    @blp.arguments(DuplicateQuerySchema(), location="query")
    @blp.response(200, DuplicateSchema(many=True))
    def get(self, args):
        """Possible duplicates before saving: open cases of the category near the point."""
        lon, lat = to_wgs84(args["lon"], args["lat"], args["crs"])
        return possible_duplicates(current_user(), args["category"], lon, lat)


class PointsQuerySchema(Schema):
    region = fields.String(
        load_default=None, metadata={"description": "A territory code; default: your scope."}
    )


@blp.route("/points")
class CasePoints(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(PointsQuerySchema(), location="query")
    @blp.response(200, description="A GeoJSON FeatureCollection of open cases with their lights.")
    def get(self, args):
        """Open cases in your scope as map points (id, number, title, level, severity, light,
        and the township, community and grid each lies in), most urgent first, at most 5,000."""
        # (the JSON as PostgreSQL wrote it, not parsed and written again)
        return Response(open_case_points(current_user(), args["region"]), mimetype="application/json")


@blp.route("/<ref>")
class OneCase(MethodView):
    @auth_required
    @blp.response(200, CaseSchema)
    def get(self, ref):
        """One case by id or public number, parties masked, with its event timeline."""
        return CaseView(find_case(current_user(), ref), viewer=current_user(), whole=True)
