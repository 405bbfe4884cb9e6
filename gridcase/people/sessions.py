"""Who is signed in: the browser's session cookie, and the one signed-in user of a request.

Both front doors need this, so it lives below them: the pages sign people in with a session
cookie (HttpOnly, SameSite=Lax, Secure in production) that expires after GRIDCASE_IDLE_MINUTES
without a request; the JSON API takes a bearer token or, for the app's own pages, the same
cookie (gridcase.api.security). Whichever door let the request in names its user with
`set_current_user`, and everything after asks `current_user()`.
"""

from __future__ import annotations

import time

from flask import current_app, g, has_request_context, session

from gridcase.extensions import db
from gridcase.people.models import User


def login_user(user: User) -> None:
    session.clear()  # a fresh session on sign-in: no fixation of an earlier one
    session["user_id"] = user.id
    session["seen"] = int(time.time())
    # The credentials this session was opened with: a later password change voids it.
    session["credentials"] = user.credentials_changed_at.timestamp()
    session.permanent = False


def logout_user() -> None:
    session.clear()


def session_user() -> User | None:
    """The signed-in, active user of this browser's session cookie, or None (idle too long,
    signed out, credentials changed …). Each request within the idle time renews it."""
    if "session_user" in g:
        return g.session_user
    g.session_user = None
    user_id, seen = session.get("user_id"), session.get("seen", 0)
    if user_id is None:
        return None
    idle_limit = current_app.config["GRIDCASE_IDLE_MINUTES"] * 60
    now = int(time.time())
    if now - seen > idle_limit:
        session.clear()
        g.session_expired = True
        return None
    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.active
        or session.get("credentials", 0) < user.credentials_changed_at.timestamp() - 0.001
    ):
        session.clear()
        return None
    if now - seen > 30:  # renew, without rewriting the cookie on every single request
        session["seen"] = now
    g.session_user = user
    return user


def session_expired() -> bool:
    """Whether this request's session cookie ended for want of activity."""
    return bool(g.get("session_expired"))


def chosen_language() -> str:
    """The page language (Flask-Babel's locale selector): the one the person picked with the
    link at the top of a page (stored in the session), else the first of GRIDCASE_LOCALES (also
    outside a request: the scheduler and the command line)."""
    locales = current_app.config["GRIDCASE_LOCALES"]
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in locales else locales[0]


def set_current_user(user: User) -> None:
    """The front door that let the request in names its signed-in user."""
    g.current_user = user


def current_user() -> User | None:
    """The signed-in user of this request: the one a door let in, else the session cookie's
    user if it was read (None when nobody is known)."""
    return g.get("current_user") or g.get("session_user")
