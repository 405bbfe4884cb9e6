"""How a case looks to everyone who reads it, and what requests about cases carry.

`CaseSchema` is the only serialiser of a case (BEMServer's rule): the JSON API answers with it,
the phone pages and the workbench render what it dumps, the webhooks send a part of it
(`WEBHOOK_CASE_FIELDS`) and the exports write a part of it (gridcase.stats.exports). A field
added here appears everywhere at once; parties are always masked.

A reader sees a case through `CaseView`: the actions they may take on it now, and, when a
case is shown whole, its timeline and photos (at intake, its possible duplicates too). A plain
`Case` dumps without them.

The request schemas (intake, the list's filters, the payload of each action) are shared the
same way: the pages load their forms through them, so a rule is written once for both doors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import url_for
from marshmallow import Schema, ValidationError, fields, missing, validate, validates, validates_schema

from gridcase.cases.domain import (
    OPEN_STATUSES,
    STAFF_REVISIT_METHODS,
    CaseKind,
    Outcome,
    PartyRole,
    RevisitMethod,
    Satisfaction,
    Severity,
    Source,
    Status,
)
from gridcase.cases.lifecycle import Action, allowed_actions
from gridcase.cases.models import Case
from gridcase.cases.queries import case_photos
from gridcase.cases.states import actor_state, case_state
from gridcase.geo import Crs, point_lonlat
from gridcase.ladder.limits import light
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.privacy import id_number_problem, phone_problem
from gridcase.people.schemas import PersonSchema
from gridcase.schemas import (
    CodeNameSchema,
    ComputedBoolean,
    ComputedFloat,
    ComputedNested,
    ComputedString,
    PageArgsSchema,
    PeriodArgsSchema,
    page_schema,
)
from gridcase.settings import BIGINT_MAX, utcnow
from gridcase.units.assignments import case_assignments
from gridcase.units.lifecycle import ReturnReason, assignment_light
from gridcase.units.queries import proposed_unit

MAX_PARTIES = 20

# --- a case as it is read ----------------------------------------------------------------------


@dataclass
class CaseView:
    """A case as one reader sees it now. Every attribute of the case reads through; the view
    adds what depends on the reader and on how much of the case is shown."""

    case: Case
    viewer: User | None = None
    whole: bool = False  # with its timeline and photos
    duplicates: list[dict] | None = field(default=None)  # at intake: possible duplicates
    just_created: bool = False  # at intake: no photo nor unit assignment yet, nothing to read
    _allowed: list[str] | None = field(default=None, repr=False)

    def __getattr__(self, name):
        return getattr(self.case, name)

    @property
    def events(self):
        return self.case.events if self.whole else missing

    @property
    def attachments(self):
        if not self.whole:
            return missing
        return [] if self.just_created else case_photos(self.case)

    @property
    def assignments(self):
        if not self.whole:
            return missing
        return [] if self.just_created else case_assignments(self.case.id)

    @property
    def proposed_unit(self):
        """The unit a dispatch would propose, for those who may dispatch the case now."""
        if not self.whole or self.viewer is None or "dispatch" not in (self.allowed_actions or []):
            return missing
        return proposed_unit(self.case)

    @property
    def possible_duplicates(self):
        return missing if self.duplicates is None else self.duplicates

    @property
    def allowed_actions(self):
        if self.viewer is None:
            return missing
        if self._allowed is None:  # (asked by the unit proposed and by the answer: decided once)
            state = case_state(self.case, just_created=self.just_created)
            self._allowed = [a.value for a in allowed_actions(state, actor_state(self.viewer, self.case))]
        return self._allowed


def _coordinate(index: int):
    return lambda case: round(point_lonlat(case.location)[index], 7)


def _is_open(case) -> bool:
    return Status(case.status) in OPEN_STATUSES


class LocationOutSchema(Schema):
    lon = ComputedFloat(_coordinate(0), metadata={"description": "WGS84"})
    lat = ComputedFloat(_coordinate(1), metadata={"description": "WGS84"})
    crs = fields.String(
        attribute="location_crs", metadata={"description": "The system the client sent the point in."}
    )
    accuracy_m = fields.Float(attribute="location_accuracy_m", allow_none=True)


class PartyOutSchema(Schema):
    """A party as everyone sees it: masked (the clear values only through an audited reveal)."""

    id = fields.Integer()
    role = fields.String(attribute="party_role")
    name = fields.String(attribute="name_masked", metadata={"example": "张*"})
    id_number = fields.String(
        attribute="id_number_masked", allow_none=True, metadata={"example": "110105********0123"}
    )
    phone = fields.String(attribute="phone_masked", allow_none=True, metadata={"example": "138****8000"})


class InformantOutSchema(Schema):
    """The person who brought the matter (反映人), masked like a party."""

    name = fields.String(attribute="name_masked", metadata={"example": "李*"})
    id_number = fields.String(attribute="id_number_masked", allow_none=True)
    phone = fields.String(attribute="phone_masked", allow_none=True)


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
    outcome = fields.String(attribute="resolution_outcome", allow_none=True)
    summary = fields.String(attribute="resolution_summary", allow_none=True)
    level = fields.String(attribute="resolved_level", allow_none=True)
    on_time = fields.Boolean(attribute="resolved_on_time", allow_none=True)


class AttachmentSchema(Schema):
    id = fields.Integer()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size_bytes = fields.Integer()
    created_at = fields.DateTime()
    url = ComputedString(lambda photo: url_for("attachments.Photo", attachment_id=photo.id))
    thumbnail_url = ComputedString(
        lambda photo: url_for("attachments.Photo", attachment_id=photo.id, size="thumb")
    )


class AssignmentSchema(Schema):
    """A case's dispatch to a unit (DESIGN §2, "Assignments")."""

    id = fields.Integer()
    unit = fields.Nested(CodeNameSchema)
    role = fields.String(metadata={"description": "lead (主办) or assist (协办)"})
    status = fields.String(metadata={"description": "pending, signed, done, returned, withdrawn"})
    requirement = fields.String()
    dispatched_at = fields.DateTime()
    dispatched_level = fields.String()
    sign_due_at = fields.DateTime()
    finish_due_at = fields.DateTime()
    light = ComputedString(
        lambda a: assignment_light(utcnow(), a.status, a),
        allow_none=True,
        metadata={"description": "green, yellow, red while open; null once done, returned or withdrawn."},
    )
    signed_at = fields.DateTime(allow_none=True)
    returned_at = fields.DateTime(allow_none=True)
    return_reason = fields.String(allow_none=True)
    return_note = fields.String(allow_none=True)
    done_at = fields.DateTime(allow_none=True)
    rework_count = fields.Integer()


class CaseSchema(Schema):
    def get_attribute(self, obj, attr, default):
        # A view's attributes straight away: marshmallow first asks any object for __getitem__,
        # which the view forwards to its case, to fail there (an exception for every field).
        if isinstance(obj, CaseView):
            return getattr(obj, attr, default)
        return super().get_attribute(obj, attr, default)

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
    occurred_at = fields.DateTime(allow_none=True, metadata={"description": "事发时间, when given."})
    informant = fields.Nested(
        InformantOutSchema,
        allow_none=True,
        metadata={"description": "The person who brought the matter (反映人), masked."},
    )
    location = ComputedNested(LocationOutSchema)
    address = fields.String()
    grid = fields.Nested(CodeNameSchema)
    grid_code = fields.String()
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
    light = ComputedString(
        lambda case: light(utcnow(), case.status, case.warn_at, case.due_at),
        allow_none=True,
        metadata={"description": "green, yellow, red; null once resolved."},
    )
    overdue = ComputedBoolean(lambda case: _is_open(case) and utcnow() >= case.due_at)
    supervised = ComputedBoolean(
        lambda case: case.supervised_at is not None, metadata={"description": "Under 督办 by the city."}
    )
    extension_days = fields.Integer(metadata={"description": "Approved extra working days at this level."})
    extension_requested_days = fields.Integer(
        allow_none=True, metadata={"description": "Waiting for a decision."}
    )
    escalation_count = fields.Integer()
    reopen_count = fields.Integer()
    reporter = fields.Nested(PersonSchema)
    assignee = fields.Nested(PersonSchema, allow_none=True)
    external_ref = fields.String(
        allow_none=True, metadata={"description": "The reporting system's own work-order number."}
    )
    resolution = ComputedNested(
        ResolutionSchema, lambda case: case if case.resolved_at else None, allow_none=True
    )
    verify_due_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "While resolved (待核查): when its verification is due."},
    )
    verify_overdue = ComputedBoolean(
        lambda case: (
            case.status == "resolved" and case.verify_due_at is not None and utcnow() >= case.verify_due_at
        ),
        metadata={"description": "Resolved, and its verification is past due."},
    )
    satisfaction = fields.String(allow_none=True)
    duplicate_of = fields.Integer(attribute="duplicate_of_id", allow_none=True)
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
    assignments = fields.List(
        fields.Nested(AssignmentSchema), metadata={"description": "Its dispatches to units (条块联动)."}
    )
    proposed_unit = fields.Nested(
        CodeNameSchema,
        allow_none=True,
        metadata={"description": "For those who may dispatch it: the category's default unit for its place."},
    )


class CaseListItemSchema(CaseSchema):
    class Meta:
        exclude = (
            "events",
            "attachments",
            "possible_duplicates",
            "allowed_actions",
            "assignments",
            "proposed_unit",
            "informant",  # (one case at a time: a list would load each one's)
        )


CaseListSchema = page_schema(CaseListItemSchema, "CaseListSchema")

# What a webhook subscriber is told of the case after an event: which case, where in the
# territory, where on the ladder and by when. Subscribers are set up by administrators, who read
# no case content (DESIGN §1), so no title, category, place, description, parties or people: a
# subscribing system reads those through the API with an account of its own that may.
WEBHOOK_CASE_FIELDS = (
    "id",
    "public_number",
    "status",
    "level",
    "grid_code",
    "community_code",
    "township_code",
    "district_code",
    "city_code",
    "due_at",
    "version",
)


# One instance for every answer: a schema's fields and nested schemas are copied when it is
# made, several milliseconds a case answer; dumping with it keeps no state between calls.
_CASE_ANSWER = CaseSchema()


def dump_case(case: Case, viewer: User | None = None, whole: bool = False, **extra) -> dict:
    """The case as `viewer` sees it (the pages render this; the API answers the same)."""
    return _CASE_ANSWER.dump(CaseView(case, viewer=viewer, whole=whole, **extra))


_CASE_LIST = CaseListItemSchema(many=True)


def dump_cases(cases: list[Case]) -> list[dict]:
    """Cases as a list shows them (no timeline, photos or actions)."""
    return _CASE_LIST.dump(cases)


# --- what requests about cases carry -----------------------------------------------------------

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
    name = fields.String(
        load_default=None,
        validate=validate.Length(1, 50),
        metadata={"description": "Required unless resident_id."},
    )
    id_number = fields.String(load_default=None, allow_none=True, metadata={"description": "居民身份证号码"})
    phone = fields.String(load_default=None, allow_none=True)
    role = fields.Enum(PartyRole, by_value=True, load_default=PartyRole.APPLICANT)
    resident_id = fields.Integer(
        load_default=None,
        validate=validate.Range(1, BIGINT_MAX),
        metadata={
            "description": "A resident of the grid (GET /api/v1/grids/{code}/houses): their name, ID "
            "number and phone are taken from the register."
        },
    )

    @validates_schema
    def _named(self, data, **_):
        if not data.get("name") and not data.get("resident_id"):
            raise ValidationError("Give the party's name, or pick a resident.", field_name="name")

    @validates("id_number")
    def _id_number(self, value, **_):
        if value and (problem := id_number_problem(value)):
            raise ValidationError(Message("Not a valid ID number: %(problem)s.", problem=problem))

    @validates("phone")
    def _phone(self, value, **_):
        if value and phone_problem(value):
            raise ValidationError(Message("Not a valid phone number."))


class InformantInSchema(PartyInSchema):
    """The person who brought the matter (反映人): a name, and a phone to call back or send the
    revisit's code to; an ID number when they give one."""

    class Meta:
        exclude = ("role", "resident_id")


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
    informant = fields.Nested(
        InformantInSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "反映人: the person who brought the matter (encrypted, shown masked)."},
    )
    occurred_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "事发时间: when it happened (not in the future)."},
    )
    external_ref = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[\w.:/-]{1,64}$"),
        metadata={
            "description": "The work-order number in the reporting system (a 12345 hotline's 工单号): "
            "kept, shown and searchable; one case per number and reporting system.",
            "example": "12345-20261204-000123",
        },
    )
    resolved_on_spot = fields.Nested(
        OnSpotSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "就地化解: a grid worker settled it on the spot."},
    )

    @validates("occurred_at")
    def _occurred_at(self, value, **_):
        if value and value > utcnow() + timedelta(minutes=5):  # (a little for clocks that run fast)
            raise ValidationError("It cannot have happened in the future.")


class CaseQueryArgsSchema(PeriodArgsSchema, PageArgsSchema):
    """The filters of the case list (DESIGN §4), its exports and the workbench's queue."""

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
    verify = fields.String(
        load_default=None,
        validate=validate.OneOf(["me"]),
        metadata={"description": "me: resolutions the verification rule gives you (待核查)."},
    )
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(CASE_SORTS))


class DuplicateQuerySchema(Schema):
    category = fields.String(required=True)
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    crs = fields.Enum(Crs, by_value=True, load_default=Crs.WGS84)


# --- the payload of each action ----------------------------------------------------------------

NOTE = fields.String(load_default="", validate=validate.Length(max=2000))


def _text(max_length: int = 2000, **kwargs):
    return fields.String(required=True, validate=validate.Length(1, max_length), **kwargs)


class MediationSessionSchema(Schema):
    held_at = fields.AwareDateTime(required=True, metadata={"description": "When the session took place."})
    place = fields.String(load_default="", validate=validate.Length(max=200))
    mediators = fields.List(fields.String(validate=validate.Length(1, 50)), load_default=list)
    participants = fields.String(load_default="", validate=validate.Length(max=500))
    summary = _text()


class AgreementSchema(Schema):
    """调解协议书: the terms the parties signed and when they must be performed."""

    facts = fields.String(
        load_default="", validate=validate.Length(max=5000), metadata={"description": "纠纷主要事实"}
    )
    disputed_points = fields.String(
        load_default="", validate=validate.Length(max=2000), metadata={"description": "争议事项"}
    )
    terms = _text(5000)
    performance_method = fields.String(
        load_default="", validate=validate.Length(max=1000), metadata={"description": "履行方式"}
    )
    performance_deadline = fields.Date(required=True)
    signed_at = fields.Date(load_default=None)


# The payload of each action, validated strictly (unknown fields refused).
PAYLOADS: dict[Action, type[Schema]] = {
    Action.ACCEPT: Schema.from_dict({"note": NOTE}),
    Action.ASSIGN: Schema.from_dict(
        {"assignee_id": fields.Integer(required=True, validate=validate.Range(1, BIGINT_MAX)), "note": NOTE}
    ),
    Action.NOTE: Schema.from_dict({"text": _text()}),
    Action.MEDIATE: Schema.from_dict(
        {
            "session": fields.Nested(MediationSessionSchema, required=True),
            "agreement": fields.Nested(AgreementSchema, load_default=None, allow_none=True),
        }
    ),
    Action.RESOLVE: Schema.from_dict(
        {"outcome": fields.Enum(Outcome, by_value=True, required=True), "summary": NOTE}
    ),
    Action.VERIFY: Schema.from_dict({"passed": fields.Boolean(required=True), "note": NOTE}),
    Action.REVISIT: Schema.from_dict(
        {
            "satisfaction": fields.Enum(Satisfaction, by_value=True, required=True),
            "method": fields.Enum(
                RevisitMethod,
                by_value=True,
                load_default=RevisitMethod.PHONE,
                # (An answer by one-time code comes through the survey, never as a staff action.)
                validate=validate.OneOf(STAFF_REVISIT_METHODS),
                metadata={"description": "How the reporter or a party was asked: phone, visit or hotline."},
            ),
            "note": NOTE,
        }
    ),
    Action.REOPEN: Schema.from_dict({"reason": _text()}),
    Action.ESCALATE: Schema.from_dict({"reason": _text()}),
    Action.TAKE_OVER: Schema.from_dict({"reason": NOTE}),
    Action.HAND_DOWN: Schema.from_dict(
        {
            "instruction": _text(),
            "to_level": fields.String(load_default=None),
            "due_days": fields.Integer(load_default=None, validate=validate.Range(1, 60)),
        }
    ),
    Action.REJECT: Schema.from_dict({"reason": _text()}),
    Action.SUPERVISE: Schema.from_dict(
        {
            "note": _text(metadata={"description": "督办要求: what is required."}),
            "target_unit": fields.String(
                load_default=None,
                validate=validate.Length(1, 40),
                metadata={"description": "A unit at work on the case; default: the level handling it."},
            ),
            "target_person": fields.Integer(
                load_default=None,
                allow_none=True,
                metadata={
                    "description": "责任人: a handler (user id) of the level handling it, who replies."
                },
            ),
            "reply_days": fields.Integer(
                load_default=3,
                validate=validate.Range(1, 15),
                metadata={"description": "Working days to reply."},
            ),
        }
    ),
    Action.REPLY_SUPERVISION: Schema.from_dict({"text": _text()}),
    Action.EVALUATE_SUPERVISION: Schema.from_dict(
        {
            "accepted": fields.Boolean(required=True),
            "note": NOTE,
            "reply_days": fields.Integer(load_default=3, validate=validate.Range(1, 15)),
        }
    ),
    Action.REQUEST_EXTENSION: Schema.from_dict(
        {"days": fields.Integer(required=True, validate=validate.Range(1, 30)), "reason": _text()}
    ),
    Action.DECIDE_EXTENSION: Schema.from_dict({"approved": fields.Boolean(required=True), "note": NOTE}),
    Action.MARK_DUPLICATE: Schema.from_dict(
        {"original": fields.String(required=True, metadata={"description": "id or public number"})}
    ),
    Action.DISPATCH: Schema.from_dict(
        {
            "lead_unit": fields.String(
                required=True,
                validate=validate.Length(1, 40),
                metadata={"description": "主办单位: a unit's code"},
            ),
            "assist_units": fields.List(
                fields.String(validate=validate.Length(1, 40)),
                load_default=list,
                validate=validate.Length(max=10),
                metadata={"description": "协办单位: units' codes"},
            ),
            "requirement": _text(1000, metadata={"description": "要求: what the units are to do"}),
        }
    ),
    Action.SIGN: Schema.from_dict({"note": NOTE}),
    Action.RETURN: Schema.from_dict(
        {"reason": fields.Enum(ReturnReason, by_value=True, required=True), "note": _text(1000)}
    ),
    Action.OPINION: Schema.from_dict({"text": _text()}),
    Action.PROGRESS: Schema.from_dict({"text": _text()}),
}
