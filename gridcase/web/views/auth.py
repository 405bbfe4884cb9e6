"""Sign-in and sign-out for the pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from gridcase.errors import Unauthorized, error_body
from gridcase.extensions import db
from gridcase.people.auth import authenticate
from gridcase.web.login import (
    home_url_for,
    login_user,
    logout_user,
    page_login_required,
    protect_forms,
    session_user,
)

bp = Blueprint("signin", __name__)
bp.before_request(protect_forms)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def index():
    """The front door: the user's home, or the sign-in page."""
    user = session_user()
    return redirect(home_url_for(user) if user else url_for("signin.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with username and password."""
    error = None
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        try:
            user = authenticate(username, request.form.get("password", ""))
        except Unauthorized:
            error = _("Wrong username or password.")
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_url_for(user))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign you out)."""
    logout_user()
    return redirect(url_for("signin.login"))


@bp.route("/csrf-token")
def csrf_token():
    """A fresh CSRF token for the signed-in page (the outbox sends with it, possibly hours
    after the page was cached)."""
    if session_user() is None:
        return jsonify(error_body(401, "Sign in first.")), 401
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account")
@page_login_required()
def account():
    """Who you are; the landing page of roles without case pages (admin, auditor)."""
    return render_template("auth/account.html", user=session_user())
