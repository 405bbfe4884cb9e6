"""What the city centre reads of a request waiting for triage, and what it sends to place or
dismiss one: one definition for the JSON API and the desk page."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gridcase.schemas import Computed


class ComputedString(Computed, fields.String):
    pass


class WaitingRequestSchema(Schema):
    id = fields.Integer()
    received_at = fields.DateTime(attribute="created_at")
    client = ComputedString(lambda row: row.client.name, metadata={"description": "The system that sent it."})
    category_code = fields.String()
    description = fields.String()
    address_string = fields.String(allow_none=True)
    address_id = fields.String(allow_none=True)
    lon = fields.Float(allow_none=True, metadata={"description": "A point it gave outside every grid."})
    lat = fields.Float(allow_none=True)
    reporter_name = fields.String(
        attribute="name_masked", allow_none=True, metadata={"description": "masked"}
    )
    reporter_phone = fields.String(
        attribute="phone_masked", allow_none=True, metadata={"description": "masked"}
    )


class PlaceSchema(Schema):
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), metadata={"description": "WGS84"})
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))


class DismissSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))
