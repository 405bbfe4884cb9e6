"""What the API takes and gives for the mediation record and the invited mediators."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gridcase.mediation.domain import SessionKind
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
