"""How units look to clients and what the unit forms and requests carry: the JSON API's
/api/v1/units and the administrator's unit pages load and show units through these schemas."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from gridcase.messages import Message
from gridcase.people.roles import UNIT_LEVELS
from gridcase.units.domain import MAX_LIMIT_DAYS, UnitKind

KINDS = [k.value for k in UnitKind]


class WorkingDays(fields.Integer):
    """A limit in working days, 1 to 366: a whole number (a form's "7" too, never 3.5)."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        days = super()._validated(value)
        if days is not None and not 1 <= days <= MAX_LIMIT_DAYS:
            raise ValidationError(Message("A whole number of working days from 1 to 366."))
        return days


class HandledSchema(Schema):
    """A category a unit handles."""

    category = fields.String(attribute="category_code")
    default = fields.Boolean(
        attribute="is_default",
        metadata={"description": "The region's default unit for the category: the one a dispatch proposes."},
    )
    sign_days = fields.Integer(allow_none=True, metadata={"description": "Its own; null: the unit's."})
    finish_days = fields.Integer(allow_none=True, metadata={"description": "Its own; null: the unit's."})


class UnitSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    kind = fields.String(
        metadata={"description": "station (站所), department (职能部门) or mediation_committee."}
    )
    level = fields.String(metadata={"description": "The level of the region it serves."})
    region = fields.String(attribute="region_code")
    city = fields.String(attribute="city_code")
    credit_code = fields.String(allow_none=True, metadata={"description": "统一社会信用代码."})
    sign_days = fields.Integer(metadata={"description": "Working days to sign for a dispatched case (签收)."})
    finish_days = fields.Integer(metadata={"description": "Working days to finish it (办结)."})
    active = fields.Boolean()
    categories = fields.List(fields.Nested(HandledSchema), attribute="handles")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class UnitQuerySchema(Schema):
    level = fields.String(load_default=None, validate=validate.OneOf(UNIT_LEVELS))
    region = fields.String(load_default=None, validate=validate.Length(1, 15))
    category = fields.String(load_default=None, validate=validate.Length(1, 16))
    active = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=64))


class HandledInSchema(Schema):
    category = fields.String(required=True, validate=validate.Length(1, 16))
    default = fields.Boolean(load_default=False)
    sign_days = WorkingDays(load_default=None, allow_none=True)
    finish_days = WorkingDays(load_default=None, allow_none=True)


class UnitCategoriesSchema(Schema):
    categories = fields.List(
        fields.Nested(HandledInSchema),
        required=True,
        metadata={"description": "Every category the unit handles (a parent: all its leaves)."},
    )


class UnitChangeSchema(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    name_en = fields.String(allow_none=True, validate=validate.Length(max=200))
    kind = fields.String(validate=validate.OneOf(KINDS))
    credit_code = fields.String(allow_none=True, validate=validate.Length(max=18))
    sign_days = WorkingDays()
    finish_days = WorkingDays()
    active = fields.Boolean(
        metadata={"description": "false: deactivate (refused while the unit holds open assignments)."}
    )


class UnitCreateSchema(UnitChangeSchema):
    code = fields.String(
        required=True, validate=validate.Length(1, 40), metadata={"description": "The installation's code."}
    )
    name = fields.String(required=True, validate=validate.Length(1, 100))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    region = fields.String(
        required=True,
        validate=validate.Length(1, 15),
        metadata={"description": "The township, district or city of your city it serves."},
    )
    sign_days = WorkingDays(required=True)
    finish_days = WorkingDays(required=True)
    active = fields.Boolean(load_default=True)
    categories = fields.List(fields.Nested(HandledInSchema), load_default=list)
