"""Signing in to the pages: a session cookie (HttpOnly, SameSite=Lax, Secure in production)
that expires after GRIDCASE_IDLE_MINUTES without a request.

The same session also authenticates the pages' own calls to the JSON API (see
gridcase.api.security), where unsafe methods must carry the CSRF token in X-CSRFToken.
"""

from __future__ import annotations

import functools
import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from gridcase.extensions import csrf, db
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, Role


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
    """The signed-in, active user of this browser, or None (idle too long, signed out …).

    Each request within the idle time renews it."""
    if "user" in g:
        return g.user
    g.user = None
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
    g.user = user
    return user


def home_url_for(user: User) -> str:
    """Where a user lands after signing in."""
    if user.role == Role.GRID_WORKER:
        return url_for("mobile.home")
    if user.role == Role.CITY_COMMANDER:
        return url_for("dashboard.index")
    if user.role == Role.AUDITOR:
        return url_for("audit_page.index")
    if user.role == Role.ADMIN:
        return url_for("admin_page.users")
    if user.role in HANDLER_ROLES:
        return url_for("desk.queue")
    return url_for("signin.account")


def page_login_required(*roles: Role):
    """A page for signed-in users (of these roles, when given); others are sent to sign in."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = session_user()
            if user is None:
                if g.get("session_expired"):
                    flash(
                        _("You were signed out after a while without activity. Please sign in again."), "info"
                    )
                return redirect(url_for("signin.login", next=request.full_path))
            if roles and Role(user.role) not in roles:
                return redirect(home_url_for(user))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def protect_forms() -> None:
    """Every form of the pages carries the CSRF token (a `before_request` of each page blueprint).

    Raises:
        CSRFError: the token is missing or wrong (answered 400).
    """
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
