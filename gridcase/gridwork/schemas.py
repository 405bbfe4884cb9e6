"""What the API takes and gives for patrols, visits, watched people and hazards, and screening
rounds."""

from __future__ import annotations

from geoalchemy2.shape import to_shape
from marshmallow import Schema, fields, post_load, validate
from shapely.geometry import mapping

from gridcase.gridwork.domain import VisitKind, VisitTopic, WatchCategory, WatchKind
from gridcase.gridwork.patrols import MAX_FINDINGS, MAX_POINTS, track_points
from gridcase.stats.models import RiskGrade

LON = fields.Float(required=True, validate=validate.Range(-180, 180))
LAT = fields.Float(required=True, validate=validate.Range(-90, 90))


class TrackPointSchema(Schema):
    lon = LON
    lat = LAT
    at = fields.AwareDateTime(required=True, metadata={"description": "When the phone took the fix."})


class FindingInSchema(Schema):
    at = fields.AwareDateTime(required=True)
    lon = LON
    lat = LAT
    note = fields.String(
        required=True, validate=validate.Length(1, 2000), metadata={"description": "What was found."}
    )
    category = fields.String(
        load_default=None,
        validate=validate.Length(1, 16),
        metadata={"description": "A case category, if known."},
    )


class PatrolInSchema(Schema):
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)
    points = fields.List(
        fields.Nested(TrackPointSchema),
        load_default=list,
        validate=validate.Length(max=MAX_POINTS),
        metadata={"description": "WGS84 fixes (the browser's geolocation), about every 30 s or 20 m."},
    )
    findings = fields.List(
        fields.Nested(FindingInSchema), load_default=list, validate=validate.Length(max=MAX_FINDINGS)
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class FindingOutSchema(Schema):
    id = fields.Integer()
    found_at = fields.DateTime()
    lon = fields.Function(lambda f: to_shape(f.location).x)
    lat = fields.Function(lambda f: to_shape(f.location).y)
    note = fields.String()
    category = fields.String(attribute="category_code", allow_none=True)
    case_id = fields.Integer(allow_none=True, metadata={"description": "The case it became, if it did."})


class PatrolSummarySchema(Schema):
    id = fields.Integer()
    worker = fields.Function(lambda p: p.worker.display_name)
    started_at = fields.DateTime()
    ended_at = fields.DateTime()
    duration_seconds = fields.Function(lambda p: int((p.ended_at - p.started_at).total_seconds()))
    distance_m = fields.Function(lambda p: round(p.distance_m, 1))
    point_count = fields.Integer()
    grid_code = fields.String(metadata={"description": "Where it is placed: the grid it started in."})
    grids = fields.Function(
        lambda p: [g.grid_code for g in p.grids], metadata={"description": "Grids covered."}
    )
    findings = fields.List(fields.Nested(FindingOutSchema))


class PatrolSchema(PatrolSummarySchema):
    track = fields.Function(
        lambda p: (
            {
                "type": "LineString",
                "coordinates": [[x, y] for x, y, _m in track_points(p)],
            }
            if p.track is not None
            else None
        ),
        metadata={"description": "GeoJSON LineString (WGS84), null under two fixes."},
    )
    seconds = fields.Function(
        lambda p: [m for _x, _y, m in track_points(p)],
        metadata={"description": "Each fix's seconds since the start."},
    )
    note = fields.String()


class PatrolQuerySchema(Schema):
    since = fields.Date(
        load_default=None, metadata={"description": "Patrols started on or after this local day."}
    )
    until = fields.Date(load_default=None, metadata={"description": "… and on or before this one."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class FindingCaseSchema(Schema):
    category = fields.String(
        load_default=None,
        validate=validate.Length(1, 16),
        metadata={"description": "Default: the finding's."},
    )
    title = fields.String(load_default="", validate=validate.Length(max=60))


class VisitInSchema(Schema):
    kind = fields.Enum(
        VisitKind,
        by_value=True,
        required=True,
        metadata={"description": "household (入户走访), place (场所走访) or diary (民情日志)."},
    )
    topic = fields.Enum(
        VisitTopic,
        by_value=True,
        load_default=None,
        metadata={"description": "What a visit was for; none for a diary entry."},
    )
    visited_at = fields.AwareDateTime(required=True)
    target = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "The household's address or the place's name."},
    )
    people_met = fields.String(
        load_default="",
        validate=validate.Length(max=400),
        metadata={"description": "Whom you met, names separated by 、 or commas. Encrypted; shown masked."},
    )
    content = fields.String(
        required=True,
        validate=validate.Length(max=5000),  # an empty one is refused by name (visits.py)
        metadata={"description": "What you saw and heard."},
    )
    concerns = fields.String(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "What people asked for (诉求), problems found."},
    )
    lon = LON
    lat = LAT


class VisitSchema(Schema):
    id = fields.Integer()
    worker = fields.Function(lambda v: v.worker.display_name)
    kind = fields.String()
    topic = fields.String(allow_none=True)
    visited_at = fields.DateTime()
    target = fields.String()
    people_met = fields.String(attribute="people_met_masked", metadata={"description": "Masked."})
    content = fields.String()
    concerns = fields.String()
    lon = fields.Function(lambda v: to_shape(v.location).x)
    lat = fields.Function(lambda v: to_shape(v.location).y)
    grid_code = fields.String()
    has_photo = fields.Function(lambda v: v.photo_sha256 is not None)
    case_id = fields.Integer(
        allow_none=True, metadata={"description": "The case its concern became, if it did."}
    )


class VisitQuerySchema(Schema):
    kind = fields.Enum(VisitKind, by_value=True, load_default=None)
    since = fields.Date(load_default=None, metadata={"description": "Visits on or after this local day."})
    until = fields.Date(load_default=None, metadata={"description": "… and on or before this one."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class PeopleMetSchema(Schema):
    people_met = fields.List(fields.String(), metadata={"description": "In clear."})


class WatchPersonSchema(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=50))
    id_number = fields.String(load_default=None, validate=validate.Length(max=18))
    phone = fields.String(load_default=None, validate=validate.Length(max=20))


class WatchItemInSchema(Schema):
    kind = fields.Enum(WatchKind, by_value=True, required=True, metadata={"description": "person or hazard."})
    category = fields.Enum(WatchCategory, by_value=True, required=True)
    grade = fields.Enum(
        RiskGrade, by_value=True, required=True, metadata={"description": "high, medium or low."}
    )
    title = fields.String(
        load_default="", validate=validate.Length(max=200), metadata={"description": "A hazard's name."}
    )
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    person = fields.Nested(
        WatchPersonSchema, load_default=None, metadata={"description": "A person's details: encrypted."}
    )
    lon = LON
    lat = LAT
    responsible_id = fields.Integer(
        load_default=None,
        metadata={"description": "A grid worker of the grid; a grid worker adding it answers for it."},
    )
    rhythm_days = fields.Integer(
        required=True,
        validate=validate.Range(1, 366),
        metadata={"description": "A follow-up every so many days."},
    )
    first_due = fields.Date(load_default=None, metadata={"description": "Default: a rhythm from today."})

    @post_load
    def _values(self, data, **_):
        data["kind"], data["category"], data["grade"] = (
            data["kind"].value,
            data["category"].value,
            data["grade"].value,
        )
        return data


class WatchItemSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    category = fields.String()
    grade = fields.String()
    title = fields.String(metadata={"description": "A hazard's name; a person's name masked."})
    description = fields.String()
    id_number = fields.String(attribute="id_number_masked")
    phone = fields.String(attribute="phone_masked")
    lon = fields.Function(lambda w: to_shape(w.location).x)
    lat = fields.Function(lambda w: to_shape(w.location).y)
    grid_code = fields.String()
    responsible = fields.Function(lambda w: w.responsible.display_name)
    rhythm_days = fields.Integer()
    next_due = fields.Date()
    last_followed_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class WatchQuerySchema(Schema):
    due = fields.Boolean(
        load_default=False, metadata={"description": "Only those due within a week or late."}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class NoteSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(max=2000))


class WatchCloseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=2000))


class PersonInClearSchema(Schema):
    name = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class RoundInSchema(Schema):
    region = fields.String(
        required=True,
        validate=validate.Length(1, 15),
        metadata={"description": "A township, district or city code."},
    )
    period = fields.String(
        required=True, validate=validate.Length(max=40), metadata={"description": "e.g. 2026年12月"}
    )
    due_on = fields.Date(required=True)


class GridReportSchema(Schema):
    grid_code = fields.String()
    grid = fields.String()
    reported = fields.Boolean()
    zero_report = fields.Boolean(allow_none=True)
    disputes_found = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)


class RoundSchema(Schema):
    id = fields.Integer()
    region_code = fields.String()
    region = fields.Function(lambda r: r.region.name)
    period = fields.String()
    due_on = fields.Date()
    opened_at = fields.DateTime()


class RoundDetailSchema(RoundSchema):
    grids = fields.List(fields.Nested(GridReportSchema))


class ReportInSchema(Schema):
    grid_code = fields.String(required=True, validate=validate.Length(1, 15))
    disputes_found = fields.Integer(
        required=True,
        validate=validate.Range(0, 10000),
        metadata={"description": "0: a 零报告 (nothing found)."},
    )
    note = fields.String(
        load_default="", validate=validate.Length(max=5000), metadata={"description": "What was found."}
    )


class ResidentSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="name_masked")
    id_number = fields.String(attribute="id_number_masked")
    phone = fields.String(attribute="phone_masked")
    relation = fields.String()
    residence = fields.String()
    tags = fields.List(fields.String())


class HouseSchema(Schema):
    id = fields.Integer()
    ref = fields.String()
    address = fields.String()
    kind = fields.String()
    lon = fields.Function(lambda h: to_shape(h.location).x if h.location is not None else None)
    lat = fields.Function(lambda h: to_shape(h.location).y if h.location is not None else None)
    outline = fields.Function(
        lambda h: mapping(to_shape(h.outline)) if h.outline is not None else None,
        metadata={"description": "GeoJSON Polygon, when known."},
    )
    residents = fields.List(fields.Nested(ResidentSchema), metadata={"description": "Masked."})


class OutlineSchema(Schema):
    outline = fields.Dict(required=True, metadata={"description": "A GeoJSON Polygon in WGS84."})


class PlaceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    address = fields.String()
    lon = fields.Function(lambda p: to_shape(p.location).x if p.location is not None else None)
    lat = fields.Function(lambda p: to_shape(p.location).y if p.location is not None else None)
    contact = fields.String(attribute="contact_masked")
    contact_phone = fields.String(attribute="contact_phone_masked")


class HouseQuerySchema(Schema):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=60),
        metadata={"description": "Part of an address or house number, or a resident's ID number in full."},
    )


class RegisterImportSchema(Schema):
    created = fields.Dict(keys=fields.String(), values=fields.Integer())
    updated = fields.Dict(keys=fields.String(), values=fields.Integer())
