"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

import functools

from flask import g, request
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from gridcase.errors import Forbidden, Unauthorized
from gridcase.people.auth import user_for_token
from gridcase.people.models import User
from gridcase.people.sessions import session_user, set_current_user

BEARER = [{"bearerAuth": []}]
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token from POST /api/v1/auth/token, sent as `Authorization: Bearer <token>`.",
}


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _user_from_request() -> User:
    header = request.headers.get("Authorization")
    if header is None:
        return _user_from_page_session()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in first: send `Authorization: Bearer <token>`.")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("The token is invalid or has expired; sign in again.")
    return user


def _user_from_page_session() -> User:
    """The app's own pages call the API with their session cookie. A cookie travels with any
    request the browser makes, so a change also needs the page's CSRF token in X-CSRFToken."""
    user = session_user()
    if user is None:
        raise Unauthorized("Sign in first: send `Authorization: Bearer <token>`.")
    if request.method not in SAFE_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            raise Forbidden("The request lacks a valid CSRF token; reload the page.") from exc
    # The app's own page is asking: its error messages are said in the page's language.
    g.page_session = True
    return user


def auth_required(view):
    """Run the view only for a signed-in user, available as `current_user()`
    (gridcase.people.sessions).

    Put it above flask-smorest's decorators, so an anonymous request is refused before its
    arguments are even read, and the OpenAPI document shows the endpoint as secured.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        set_current_user(_user_from_request())
        return view(*args, **kwargs)

    apidoc = getattr(wrapper, "_apidoc", {})
    wrapper._apidoc = {**apidoc, "manual_doc": {**apidoc.get("manual_doc", {}), "security": BEARER}}
    return wrapper
