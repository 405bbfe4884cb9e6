"""Pages for signed-in people: where each role lands, the sign-in check of every page, and the
CSRF check of every form. The session itself is gridcase.people.sessions, which the JSON API
shares for the pages' own calls (where unsafe methods carry the CSRF token in X-CSRFToken)."""

from __future__ import annotations

import functools

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from gridcase.extensions import csrf
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, UNIT_ROLES, Role
from gridcase.people.sessions import session_expired, session_user, set_current_user


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
    if user.role in UNIT_ROLES:
        return url_for("desk.unit_queue_page")
    if user.role == Role.EXTERNAL_MEDIATOR:
        return url_for("mediation_page.invited")
    return url_for("signin.account")


def page_login_required(*roles: Role):
    """A page for signed-in users (of these roles, when given); others are sent to sign in."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = session_user()
            if user is None:
                if session_expired():
                    flash(
                        _("You were signed out after a while without activity. Please sign in again."), "info"
                    )
                return redirect(url_for("signin.login", next=request.full_path))
            if roles and Role(user.role) not in roles:
                return redirect(home_url_for(user))
            set_current_user(user)
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
