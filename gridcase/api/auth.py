"""POST /api/v1/auth/token: sign in and receive a bearer token."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridcase.extensions import db
from gridcase.people.auth import authenticate, issue_token

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in for API clients.")


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds until it expires."})


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequestSchema, example={"username": "demo-worker", "password": "gridcase-demo"})
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong username or password.")
    def post(self, credentials):
        """Sign in with a username and password; returns a bearer token that expires."""
        user = authenticate(credentials["username"], credentials["password"])
        token, ttl = issue_token(user)
        db.session.commit()
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
