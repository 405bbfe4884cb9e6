"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

import functools

from flask import g, request

from gridcase.errors import Unauthorized
from gridcase.people.auth import user_for_token
from gridcase.people.models import User

BEARER = [{"bearerAuth": []}]
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token from POST /api/v1/auth/token, sent as `Authorization: Bearer <token>`.",
}


def _user_from_request() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in first: send `Authorization: Bearer <token>`.")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("The token is invalid or has expired; sign in again.")
    return user


def auth_required(view):
    """Run the view only for a signed-in user, available as `current_user()`.

    Put it above flask-smorest's decorators, so an anonymous request is refused before its
    arguments are even read, and the OpenAPI document shows the endpoint as secured.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.current_user = _user_from_request()
        return view(*args, **kwargs)

    apidoc = getattr(wrapper, "_apidoc", {})
    wrapper._apidoc = {**apidoc, "manual_doc": {**apidoc.get("manual_doc", {}), "security": BEARER}}
    return wrapper


def current_user() -> User:
    return g.current_user
