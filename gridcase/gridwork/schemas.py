"""What the API takes and gives for patrols and visits."""

from __future__ import annotations

from geoalchemy2.shape import to_shape
from marshmallow import Schema, fields, validate

from gridcase.gridwork.domain import VisitKind, VisitTopic
from gridcase.gridwork.patrols import MAX_FINDINGS, MAX_POINTS, track_points

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
