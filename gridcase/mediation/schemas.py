"""What the API takes and gives for the mediation record, the invited mediators, the evidence
files and a court's referral (诉前调解)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gridcase.mediation.domain import ReferralResult, SessionKind
from gridcase.mediation.sessions import MAX_RECORD
from gridcase.settings import BIGINT_MAX

ID = fields.Integer(validate=validate.Range(1, BIGINT_MAX))


class SessionInSchema(Schema):
    kind = fields.Enum(
        SessionKind,
        by_value=True,
        required=True,
        metadata={"description": "mediation (调解) or investigation (调查)."},
    )
    held_at = fields.AwareDateTime(required=True, metadata={"description": "When it was held."})
    place = fields.String(load_default="", validate=validate.Length(max=200))
    mediator_ids = fields.List(
        ID,
        load_default=list,
        validate=validate.Length(max=10),
        metadata={
            "description": "Who mediated beside you: handlers of the area or mediators invited to the case."
        },
    )
    party_ids = fields.List(
        ID,
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "The parties present."},
    )
    record = fields.String(
        required=True,
        validate=validate.Length(max=MAX_RECORD),  # an empty one is refused by name (sessions.py)
        metadata={"description": "调解笔录 (what each party said) or 调查记录 (what was found)."},
    )


class SessionOutSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda s: s.kind.value)
    held_at = fields.DateTime()
    place = fields.String()
    mediators = fields.List(fields.String())
    attended = fields.List(fields.String(), metadata={"description": "The parties present, masked."})
    record = fields.String(
        allow_none=True, metadata={"description": "In clear for those mediating the case; null for others."}
    )


class InvitationInSchema(Schema):
    mediator_id = fields.Integer(
        required=True,
        validate=validate.Range(1, BIGINT_MAX),
        metadata={"description": "An invited mediator (role external_mediator) of the case's city."},
    )


class InvitationOutSchema(Schema):
    id = fields.Integer()
    mediator_id = fields.Integer()
    invited_at = fields.DateTime()


class EvidenceOutSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda e: e.kind.value, metadata={"description": "document, audio or video."})
    content_type = fields.String(metadata={"description": "As found in the file's content."})
    size_bytes = fields.Integer()
    sha256 = fields.String(metadata={"description": "The fingerprint of the file as uploaded."})
    pages = fields.Integer(allow_none=True, metadata={"description": "A document's pages."})
    duration_seconds = fields.Float(allow_none=True, metadata={"description": "A recording's length."})
    created_at = fields.DateTime()
    uploaded_by = fields.String()
    title = fields.String(
        allow_none=True, metadata={"description": "In clear for those mediating the case; null for others."}
    )
    erased = fields.Boolean(
        metadata={"description": "Erased at the end of retention: only the record is left."}
    )


class CourtReferralInSchema(Schema):
    court_unit_code = fields.String(
        required=True,
        validate=validate.Length(1, 40),
        metadata={"description": "The court: a unit of the case's city (GET /api/v1/units)."},
    )
    court_number = fields.String(
        required=True,
        validate=validate.Length(1, 60),
        metadata={"description": "The court's number for the matter (案号), e.g. (2026)浙0681民诉前调123号."},
    )
    referred_on = fields.Date(
        required=True, metadata={"description": "The day the court referred it (委派日期)."}
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CourtReferralExtensionSchema(Schema):
    due_on = fields.Date(required=True, metadata={"description": "The new end of the period."})
    note = fields.String(
        required=True,
        validate=validate.Length(1, 2000),
        metadata={"description": "How both parties agreed to the longer period."},
    )


class CourtReferralResultSchema(Schema):
    result = fields.Enum(
        ReferralResult,
        by_value=True,
        required=True,
        metadata={
            "description": "mediated (an agreement is recorded), failed (back to the court) or withdrawn."
        },
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CourtReferralOutSchema(Schema):
    court_unit_code = fields.String()
    court = fields.Function(lambda r: r.court.name)
    court_number = fields.String()
    referred_on = fields.Date()
    due_on = fields.Date(
        metadata={"description": "The end of the mediation period (30 days, or as extended)."}
    )
    extended = fields.Function(
        lambda r: r.extended_at is not None, metadata={"description": "Extended with the parties' consent."}
    )
    note = fields.String()
    recorded_at = fields.DateTime()
    result = fields.String(allow_none=True, metadata={"description": "null until reported to the court."})
    result_note = fields.String(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)
