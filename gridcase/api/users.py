"""User administration (admins of the city): /api/v1/users."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gridcase.api.security import auth_required
from gridcase.extensions import db
from gridcase.people import admin as users
from gridcase.people.schemas import (
    UserChangeSchema,
    UserCreatedSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserSchema,
)
from gridcase.people.sessions import current_user

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="User administration (admins).")


class PasswordSchema(Schema):
    password = fields.String(metadata={"description": "The new temporary password, shown once."})


@blp.route("")
class Users(MethodView):
    @auth_required
    @blp.arguments(UserQuerySchema(), location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, args):
        """Users of your city (at most 1,000), by username; filter by role or name."""
        return users.list_users(current_user(), args["role"], args["q"])

    @auth_required
    @blp.arguments(UserCreateSchema())
    @blp.response(201, UserCreatedSchema)
    def post(self, data):
        """Create a user with one role and one scope node of your city (audited)."""
        user, password = users.add_user(current_user(), data)
        db.session.commit()
        user.generated_password = password  # for this answer only; never stored
        return user


@blp.route("/<id:user_id>")
class OneUser(MethodView):
    @auth_required
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user of your city."""
        return users.get_user(current_user(), user_id)

    @auth_required
    @blp.arguments(UserChangeSchema())
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change name, role and scope, grids, or disable the account (audited; disabling ends
        its sessions and tokens)."""
        user = users.change_user(current_user(), user_id, data)
        db.session.commit()
        return user


@blp.route("/<id:user_id>/reset-password")
class ResetPassword(MethodView):
    @auth_required
    @blp.response(200, PasswordSchema)
    def post(self, user_id):
        """Give the user a new temporary password (shown once); their sessions and tokens end."""
        password = users.reset_password(current_user(), user_id)
        db.session.commit()
        return {"password": password}


@blp.route("/<id:user_id>/reset-two-factor")
class ResetTwoFactor(MethodView):
    @auth_required
    @blp.response(200, UserSchema)
    def post(self, user_id):
        """Forget the user's authenticator (a lost phone); they set it up at their next sign-in."""
        user = users.reset_two_factor(current_user(), user_id)
        db.session.commit()
        return user
