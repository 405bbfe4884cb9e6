"""POST /api/v1/auth/token: sign in and receive a bearer token."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridcase.errors import Forbidden, SignInRefused, Unauthorized
from gridcase.extensions import db
from gridcase.people import two_factor
from gridcase.people.auth import issue_token
from gridcase.people.signin import check_password, check_second_factor

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in for API clients.")


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    otp = fields.String(
        load_default=None,
        validate=validate.Length(max=32),
        metadata={
            "description": "The authenticator app's code (or a recovery code); required for "
            "the roles that sign in with two factors (city_commander, admin)."
        },
    )


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds until it expires."})


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequestSchema(), example={"username": "demo-worker", "password": "gridcase-demo"})
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong username, password or one-time code.")
    @blp.alt_response(403, description="Two factors are required and none is set up yet.")
    @blp.alt_response(423, description="Locked after repeated failures, for a while.")
    @blp.alt_response(429, description="Too many failures from this address, for a while.")
    def post(self, credentials):
        """Sign in with a username and password (and, for city commanders and administrators,
        the authenticator code); returns a bearer token that expires."""
        attempt = check_password(credentials["username"], credentials["password"])
        if attempt.ok and attempt.needs_second_factor:
            if not two_factor.enrolled(attempt.user):
                db.session.commit()
                raise Forbidden(
                    "Your role signs in with two factors: set up your authenticator on the web page first."
                )
            if not credentials["otp"]:
                db.session.commit()
                raise Unauthorized(
                    "Your role signs in with two factors: send the authenticator code as otp.",
                    {"otp": ["Required for your role."]},
                )
            attempt = check_second_factor(attempt.user, credentials["otp"])
        db.session.commit()  # the failure counters and audit entries stand whatever the answer
        if not attempt.ok:
            raise SignInRefused(attempt.refusal, attempt.status)
        token, ttl = issue_token(attempt.user)
        db.session.commit()
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
