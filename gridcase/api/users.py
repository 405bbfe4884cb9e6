"""User administration (admins of the city): /api/v1/users."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridcase.api.security import auth_required, current_user
from gridcase.extensions import db
from gridcase.people import admin as users
from gridcase.people.roles import Role

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="User administration (admins).")

ROLES = [r.value for r in Role]


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    scope_code = fields.String()
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
    scope = fields.String(required=True, validate=validate.Length(1, 15))
    grids = fields.List(fields.String(), load_default=list)
    password = fields.String(
        load_default=None, load_only=True, metadata={"description": "Omit to generate one."}
    )


class UserChangeSchema(Schema):
    display_name = fields.String(validate=validate.Length(1, 100))
    role = fields.String(validate=validate.OneOf(ROLES))
    scope = fields.String(validate=validate.Length(1, 15))
    grids = fields.List(fields.String())
    active = fields.Boolean()


class PasswordSchema(Schema):
    password = fields.String(metadata={"description": "The new temporary password, shown once."})


@blp.route("")
class Users(MethodView):
    @auth_required
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, args):
        """Users of your city (at most 1,000), by username; filter by role or name."""
        return users.list_users(current_user(), args["role"], args["q"])

    @auth_required
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserCreatedSchema)
    def post(self, data):
        """Create a user with one role and one scope node of your city (audited)."""
        user, password = users.add_user(current_user(), data)
        db.session.commit()
        user.generated_password = password  # for this answer only; never stored
        return user


@blp.route("/<int:user_id>")
class OneUser(MethodView):
    @auth_required
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user of your city."""
        return users.get_user(current_user(), user_id)

    @auth_required
    @blp.arguments(UserChangeSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change name, role and scope, grids, or disable the account (audited; disabling ends
        its sessions and tokens)."""
        user = users.change_user(current_user(), user_id, data)
        db.session.commit()
        return user


@blp.route("/<int:user_id>/reset-password")
class ResetPassword(MethodView):
    @auth_required
    @blp.response(200, PasswordSchema)
    def post(self, user_id):
        """Give the user a new temporary password (shown once); their sessions and tokens end."""
        password = users.reset_password(current_user(), user_id)
        db.session.commit()
        return {"password": password}


@blp.route("/<int:user_id>/reset-two-factor")
class ResetTwoFactor(MethodView):
    @auth_required
    @blp.response(200, UserSchema)
    def post(self, user_id):
        """Forget the user's authenticator (a lost phone); they set it up at their next sign-in."""
        user = users.reset_two_factor(current_user(), user_id)
        db.session.commit()
        return user
