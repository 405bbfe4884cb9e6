"""Cases: intake, lists in scope, one case with its timeline."""

from __future__ import annotations

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates

from gridcase.api.case_body import CASE_SORTS, CaseListSchema, CaseSchema, DuplicateSchema, case_body
from gridcase.api.plain import FILTER_DATES, plain
from gridcase.api.security import auth_required, current_user
from gridcase.cases.domain import CaseKind, Outcome, PartyRole, Severity, Source, Status
from gridcase.cases.intake import create_case, possible_duplicates
from gridcase.cases.queries import case_events, find_case, list_cases, open_case_points
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.geo import Crs, to_wgs84
from gridcase.people.privacy import id_number_problem, phone_problem
from gridcase.replica import reads_from_replica
from gridcase.settings import MAX_PAGE

blp = Blueprint(
    "cases", __name__, url_prefix="/api/v1/cases", description="Cases: intake, lists and timelines."
)

MAX_PARTIES = 20


class LocationSchema(Schema):
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), metadata={"example": 120.4052})
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), metadata={"example": 29.6337})
    crs = fields.Enum(Crs, by_value=True, load_default=Crs.WGS84)
    accuracy_m = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(0, 100_000),
        metadata={"description": "The GPS accuracy radius in metres."},
    )


class PartyInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 50))
    id_number = fields.String(load_default=None, allow_none=True, metadata={"description": "居民身份证号码"})
    phone = fields.String(load_default=None, allow_none=True)
    role = fields.Enum(PartyRole, by_value=True, load_default=PartyRole.APPLICANT)

    @validates("id_number")
    def _id_number(self, value, **_):
        if value and (problem := id_number_problem(value)):
            raise ValidationError(f"Not a valid ID number: {problem}.")

    @validates("phone")
    def _phone(self, value, **_):
        if value and phone_problem(value):
            raise ValidationError("Not a valid phone number.")


class OnSpotSchema(Schema):
    outcome = fields.Enum(Outcome, by_value=True, load_default=Outcome.MEDIATED)
    summary = fields.String(load_default="", validate=validate.Length(max=2000))


class CaseCreateSchema(Schema):
    kind = fields.Enum(CaseKind, by_value=True, required=True)
    category = fields.String(required=True, validate=validate.Length(1, 16), metadata={"example": "D02"})
    title = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    location = fields.Nested(LocationSchema, required=True)
    address = fields.String(load_default="", validate=validate.Length(max=300))
    severity = fields.Enum(
        Severity, by_value=True, load_default=None, metadata={"description": "Defaults to the category's."}
    )
    people_involved = fields.Integer(load_default=1, validate=validate.Range(0, 100_000))
    may_intensify = fields.Boolean(load_default=False)
    parties = fields.List(
        fields.Nested(PartyInSchema), load_default=list, validate=validate.Length(max=MAX_PARTIES)
    )
    source = fields.Enum(Source, by_value=True, load_default=None)
    resolved_on_spot = fields.Nested(
        OnSpotSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "就地化解: a grid worker settled it on the spot."},
    )


class CaseQueryArgsSchema(Schema):
    status = fields.List(fields.Enum(Status, by_value=True), load_default=None)
    level = fields.List(fields.String(), load_default=None)
    kind = fields.Enum(CaseKind, by_value=True, load_default=None)
    severity = fields.List(fields.Enum(Severity, by_value=True), load_default=None)
    source = fields.Enum(Source, by_value=True, load_default=None)
    category = fields.String(load_default=None)
    region = fields.String(load_default=None, metadata={"description": "A territory code in your scope."})
    overdue = fields.Boolean(load_default=None)
    assignee = fields.String(load_default=None, validate=validate.OneOf(["me"]))
    reported_by = fields.String(load_default=None, validate=validate.OneOf(["me"]))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    from_ = fields.Date(
        data_key="from",
        load_default=None,
        validate=FILTER_DATES,
        metadata={"description": "Created on or after (local date)."},
    )
    to = fields.Date(
        load_default=None,
        validate=FILTER_DATES,
        metadata={"description": "Created on or before (local date)."},
    )
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(CASE_SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class DuplicateQuerySchema(Schema):
    category = fields.String(required=True)
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    crs = fields.Enum(Crs, by_value=True, load_default=Crs.WGS84)


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 128 or not key.isprintable():
        raise Unprocessable(
            "The Idempotency-Key header must be 1 to 128 printable characters.",
            {"Idempotency-Key": ["Use a fresh random value, such as a UUID, per new case."]},
        )
    return key


@blp.route("")
class Cases(MethodView):
    @auth_required
    @blp.arguments(CaseQueryArgsSchema, location="query")
    @blp.response(200, CaseListSchema)
    def get(self, args):
        """Cases in your scope, filtered and paginated (newest first unless `sort` says)."""
        args["from"] = args.pop("from_")
        args = plain(args)
        page = list_cases(current_user(), args, page=args["page"], page_size=args["page_size"])
        return {
            "items": [case_body(case) for case in page.items],
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
        }

    @auth_required
    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseSchema)
    @blp.alt_response(
        200, schema=CaseSchema, description="An Idempotency-Key replay: the case created before."
    )
    def post(self, data):
        """Log a new case. Send an `Idempotency-Key` header so a retry never creates a second case.

        The point is converted to WGS84 and placed in the grid containing it; the level follows
        the severity (一般 → community, 较大 → township, 重大/特别重大 → city). The answer lists
        possible duplicates: open cases of the same category within 100 m in the last 7 days."""
        result = create_case(current_user(), plain(data), idempotency_key=_idempotency_key())
        body = case_body(
            result.case, events=case_events(result.case), duplicates=result.duplicates, viewer=current_user()
        )
        db.session.commit()
        headers = {"Location": url_for("cases.CaseView", ref=result.case.id)}
        if not result.created:
            headers["Idempotent-Replayed"] = "true"
            return body, 200, headers
        return body, 201, headers


@blp.route("/duplicates")
class Duplicates(MethodView):
    @auth_required
    @blp.arguments(DuplicateQuerySchema, location="query")
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
    @blp.arguments(PointsQuerySchema, location="query")
    @blp.response(200, description="A GeoJSON FeatureCollection of open cases with their lights.")
    def get(self, args):
        """Open cases in your scope as map points (id, number, title, level, severity, light),
        most urgent first, at most 5,000."""
        return open_case_points(current_user(), args["region"])


@blp.route("/<ref>")
class CaseView(MethodView):
    @auth_required
    @blp.response(200, CaseSchema)
    def get(self, ref):
        """One case by id or public number, parties masked, with its event timeline."""
        case = find_case(current_user(), ref)
        return case_body(case, events=case_events(case), viewer=current_user())
