"""How a case looks to a client: one body for the API, the web pages and exports."""

from __future__ import annotations

from marshmallow import Schema, fields

from gridcase.api.attachments import AttachmentSchema, attachment_body
from gridcase.cases.attachments import case_photos
from gridcase.cases.domain import OPEN_STATUSES, Status
from gridcase.cases.lifecycle import allowed_actions
from gridcase.cases.models import Case, CaseEvent
from gridcase.cases.operations import actor_state, case_state
from gridcase.cases.parties import masked
from gridcase.geo import point_lonlat
from gridcase.ladder.limits import light
from gridcase.settings import utcnow

CASE_SORTS = [
    "created_at",
    "-created_at",
    "due_at",
    "-due_at",
    "severity",
    "-severity",
    "updated_at",
    "-updated_at",
]


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "display_name": user.display_name, "role": user.role}


def event_body(event: CaseEvent) -> dict:
    return {
        "seq": event.seq,
        "at": event.at,
        "action": event.action,
        "actor": _person(event.actor),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "from_level": event.from_level,
        "to_level": event.to_level,
        "payload": event.payload,
    }


def case_body(
    case: Case,
    events: list[CaseEvent] | None = None,
    duplicates: list[dict] | None = None,
    viewer=None,
) -> dict:
    """The case as clients see it: parties masked, the light computed for now, and, for a
    viewer, the actions they may take on it now."""
    now = utcnow()
    lon, lat = point_lonlat(case.location)
    body = {
        "id": case.id,
        "public_number": case.public_number,
        "kind": case.kind,
        "category": {"code": case.category.code, "name": case.category.name},
        "title": case.title,
        "description": case.description,
        "severity": case.severity,
        "people_involved": case.people_involved,
        "may_intensify": case.may_intensify,
        "source": case.source,
        "location": {
            "lon": round(lon, 7),
            "lat": round(lat, 7),
            "crs": case.location_crs,
            "accuracy_m": case.location_accuracy_m,
        },
        "address": case.address,
        "grid": {"code": case.grid_code, "name": case.grid.name},
        "community_code": case.community_code,
        "township_code": case.township_code,
        "district_code": case.district_code,
        "city_code": case.city_code,
        "status": case.status,
        "level": case.level,
        "initial_level": case.initial_level,
        "level_started_at": case.level_started_at,
        "warn_at": case.warn_at,
        "due_at": case.due_at,
        "light": light(now, case.status, case.warn_at, case.due_at),
        "overdue": Status(case.status) in OPEN_STATUSES and now >= case.due_at,
        "supervised": case.supervised_at is not None,
        "extension_days": case.extension_days,
        "extension_requested_days": case.extension_requested_days,
        "escalation_count": case.escalation_count,
        "reporter": _person(case.reporter),
        "assignee": _person(case.assignee),
        "resolution": {
            "outcome": case.resolution_outcome,
            "summary": case.resolution_summary,
            "level": case.resolved_level,
            "on_time": case.resolved_on_time,
        }
        if case.resolved_at
        else None,
        "satisfaction": case.satisfaction,
        "duplicate_of": case.duplicate_of_id,
        "created_at": case.created_at,
        "accepted_at": case.accepted_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "updated_at": case.updated_at,
        "version": case.version,
        "parties": [masked(p) for p in case.parties],
    }
    if events is not None:
        body["events"] = [event_body(e) for e in events]
        body["attachments"] = [attachment_body(a) for a in case_photos(case)]
    if duplicates is not None:
        body["possible_duplicates"] = duplicates
    if viewer is not None:
        body["allowed_actions"] = [
            a.value for a in allowed_actions(case_state(case), actor_state(viewer, case))
        ]
    return body


# --- schemas: they document the bodies above in OpenAPI and serialise their datetimes ----------


class PersonSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()
    role = fields.String()


class CodeNameSchema(Schema):
    code = fields.String()
    name = fields.String()


class LocationOutSchema(Schema):
    lon = fields.Float(metadata={"description": "WGS84"})
    lat = fields.Float(metadata={"description": "WGS84"})
    crs = fields.String(metadata={"description": "The system the client sent the point in."})
    accuracy_m = fields.Float(allow_none=True)


class PartyOutSchema(Schema):
    id = fields.Integer()
    role = fields.String()
    name = fields.String(metadata={"example": "张*"})
    id_number = fields.String(allow_none=True, metadata={"example": "110105********0123"})
    phone = fields.String(allow_none=True, metadata={"example": "138****8000"})


class EventSchema(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    actor = fields.Nested(PersonSchema, allow_none=True, metadata={"description": "null: the system"})
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    from_level = fields.String(allow_none=True)
    to_level = fields.String()
    payload = fields.Dict()


class DuplicateSchema(Schema):
    id = fields.Integer()
    public_number = fields.String()
    title = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    distance_m = fields.Float()


class ResolutionSchema(Schema):
    outcome = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    on_time = fields.Boolean(allow_none=True)


class CaseSchema(Schema):
    id = fields.Integer()
    public_number = fields.String(metadata={"example": "330681-20261125-000001"})
    kind = fields.String()
    category = fields.Nested(CodeNameSchema)
    title = fields.String()
    description = fields.String()
    severity = fields.String()
    people_involved = fields.Integer()
    may_intensify = fields.Boolean()
    source = fields.String()
    location = fields.Nested(LocationOutSchema)
    address = fields.String()
    grid = fields.Nested(CodeNameSchema)
    community_code = fields.String()
    township_code = fields.String()
    district_code = fields.String(allow_none=True)
    city_code = fields.String()
    status = fields.String()
    level = fields.String()
    initial_level = fields.String()
    level_started_at = fields.DateTime()
    warn_at = fields.DateTime(metadata={"description": "The yellow light comes on here."})
    due_at = fields.DateTime(metadata={"description": "Due at this level; red light after it."})
    light = fields.String(
        allow_none=True, metadata={"description": "green, yellow, red; null once resolved."}
    )
    overdue = fields.Boolean()
    supervised = fields.Boolean(metadata={"description": "Under 督办 by the city."})
    extension_days = fields.Integer(metadata={"description": "Approved extra working days at this level."})
    extension_requested_days = fields.Integer(
        allow_none=True, metadata={"description": "Waiting for a decision."}
    )
    escalation_count = fields.Integer()
    reporter = fields.Nested(PersonSchema)
    assignee = fields.Nested(PersonSchema, allow_none=True)
    resolution = fields.Nested(ResolutionSchema, allow_none=True)
    satisfaction = fields.String(allow_none=True)
    duplicate_of = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    version = fields.Integer(metadata={"description": "Send it back with every action."})
    parties = fields.List(fields.Nested(PartyOutSchema))
    events = fields.List(fields.Nested(EventSchema), metadata={"description": "The timeline."})
    attachments = fields.List(fields.Nested(AttachmentSchema), metadata={"description": "Photos."})
    possible_duplicates = fields.List(fields.Nested(DuplicateSchema))
    allowed_actions = fields.List(fields.String(), metadata={"description": "What you may do now."})


class CaseListItemSchema(CaseSchema):
    class Meta:
        exclude = ("events", "attachments", "possible_duplicates", "allowed_actions")


class CaseListSchema(Schema):
    items = fields.List(fields.Nested(CaseListItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
