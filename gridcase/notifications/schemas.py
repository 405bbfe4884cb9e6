"""What requests about a person's own channels carry, and how a channel reads: shared by the
JSON API and the account page, so a rule is written once."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gridcase.notifications.outbound import PERSONAL


class ChannelSchema(Schema):
    """A channel as its owner sees it: the address masked."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "email or sms"})
    address = fields.String(attribute="address_masked", metadata={"example": "138****8000"})
    quiet_from = fields.Time(allow_none=True, metadata={"description": "Quiet hours start (local time)."})
    quiet_until = fields.Time(allow_none=True, metadata={"description": "Quiet hours end (local time)."})
    created_at = fields.DateTime()


class ChannelInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(PERSONAL))
    address = fields.String(
        required=True,
        validate=validate.Length(1, 120),
        metadata={"description": "Your e-mail address, or your mobile number for SMS."},
    )
    quiet_from = fields.Time(load_default=None, allow_none=True, metadata={"example": "22:00"})
    quiet_until = fields.Time(load_default=None, allow_none=True, metadata={"example": "07:00"})

    @validates_schema
    def _both_ends(self, data, **_):
        if (data.get("quiet_from") is None) != (data.get("quiet_until") is None):
            raise ValidationError("Give both ends of the quiet hours, or neither.", "quiet_until")
