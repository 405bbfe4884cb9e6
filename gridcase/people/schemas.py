"""How users look to clients and what the user forms and requests carry: the JSON API's
/api/v1/users and the administrator's pages load and show users through these same schemas."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gridcase.people.roles import UNIT_ROLES, Role

ROLES = [r.value for r in Role]


class PersonSchema(Schema):
    """Who did something: enough to name them, nothing more."""

    id = fields.Integer()
    display_name = fields.String()
    role = fields.String()


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    scope_code = fields.String()
    unit_code = fields.String(allow_none=True, metadata={"description": "The unit of a unit's people."})
    grids = fields.Function(lambda u: [g.code for g in u.grids])
    active = fields.Boolean()
    two_factor = fields.Function(lambda u: u.totp_confirmed_at is not None)
    locked_until = fields.DateTime(allow_none=True)
    last_login_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class UserCreatedSchema(UserSchema):
    password = fields.String(
        attribute="generated_password",
        allow_none=True,
        metadata={"description": "Generated password, shown once."},
    )


class UserQuerySchema(Schema):
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES))
    q = fields.String(load_default=None, validate=validate.Length(max=64))


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(1, 64))
    display_name = fields.String(load_default=None, validate=validate.Length(max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    scope = fields.String(
        load_default=None,
        validate=validate.Length(1, 15),
        metadata={"description": "The territory node covered; for a unit's people, their unit's region."},
    )
    unit = fields.String(
        load_default=None,
        validate=validate.Length(1, 40),
        metadata={"description": "The unit of a unit_handler or unit_head."},
    )
    grids = fields.List(fields.String(), load_default=list)
    password = fields.String(
        load_default=None, load_only=True, metadata={"description": "Omit to generate one."}
    )

    @validates_schema
    def _scope_or_unit(self, data, **kwargs):
        if data.get("role") in UNIT_ROLES:
            if not data.get("unit"):
                raise ValidationError("A unit's people name their unit.", "unit")
        elif not data.get("scope"):
            raise ValidationError("Missing data for required field.", "scope")


class UserChangeSchema(Schema):
    display_name = fields.String(validate=validate.Length(1, 100))
    role = fields.String(validate=validate.OneOf(ROLES))
    scope = fields.String(validate=validate.Length(1, 15))
    unit = fields.String(validate=validate.Length(1, 40))
    grids = fields.List(fields.String())
    active = fields.Boolean()
