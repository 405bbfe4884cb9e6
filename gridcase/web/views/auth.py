"""Sign-in, the second factor, sign-out, and the account page (password, two-factor)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from marshmallow import ValidationError

from gridcase.audit.log import AuditAction, record
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.http_errors import json_error
from gridcase.notifications.outbound import choose_channel, drop_channel, own_channels
from gridcase.notifications.schemas import ChannelInSchema
from gridcase.people import two_factor
from gridcase.people.auth import change_password
from gridcase.people.models import User
from gridcase.people.sessions import login_user, logout_user, session_user
from gridcase.people.signin import (
    check_password,
    check_second_factor,
    refuse_second_factor,
    second_factor_required,
)
from gridcase.settings import utcnow
from gridcase.web.forms import FormOutcome
from gridcase.web.login import home_url_for, page_login_required, protect_forms

bp = Blueprint("signin", __name__)
bp.before_request(protect_forms)

# A password step left unfinished (no second factor given) expires after this.
PENDING_SECONDS = 300

# What the sign-in page says for each refusal status (the API says it in English).
REFUSALS = {
    401: lambda: _("Wrong username or password."),
    423: lambda: _("The account is locked after repeated failed sign-ins; try again later."),
    429: lambda: _("Too many failed sign-ins from your address; wait a few minutes."),
}


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
    """Sign in with username and password; roles with two factors continue to the code."""
    error, status = None, 200
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        attempt = check_password(username, request.form.get("password", ""))
        db.session.commit()  # failure counters and audit entries stand whatever happens next
        if not attempt.ok:
            error, status = REFUSALS[int(attempt.status)](), int(attempt.status)
        elif attempt.needs_second_factor:
            session.clear()
            session["pending"] = {
                "user_id": attempt.user.id,
                "at": int(time.time()),
                "next": request.args.get("next"),
            }
            return redirect(url_for("signin.second_factor"))
        else:
            login_user(attempt.user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or home_url_for(attempt.user))
    return render_template("auth/login.html", error=error, username=username), status


def _pending_user() -> User | None:
    pending = session.get("pending")
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    return db.session.get(User, pending["user_id"])


@bp.route("/login/second-factor", methods=["GET", "POST"])
def second_factor():
    """The authenticator code (or a recovery code); first-time users set up the authenticator."""
    user = _pending_user()
    if user is None:
        session.pop("pending", None)
        return redirect(url_for("signin.login"))
    if not two_factor.enrolled(user):
        return _enrol(user)
    error, status = None, 200
    if request.method == "POST":
        attempt = check_second_factor(user, request.form.get("code", ""))
        db.session.commit()
        if attempt.ok:
            target = _safe_next(session["pending"].get("next"))
            login_user(user)
            db.session.commit()
            return redirect(target or home_url_for(user))
        error = (
            _("That code is not right (or was already used).")
            if attempt.status == 401
            else REFUSALS[int(attempt.status)]()
        )
        status = int(attempt.status)
    return render_template("auth/second_factor.html", error=error, user=user), status


def _enrol(user: User):
    """Set up the authenticator: scan the QR code, type its code, keep the recovery codes. The
    secret waits on the server (two_factor.enrolment_secret), never in the cookie."""
    secret = two_factor.enrolment_secret(user)
    db.session.commit()
    error, status = None, 200
    if request.method == "POST":
        codes = two_factor.confirm_enrolment(user, secret, request.form.get("code", ""), utcnow())
        if codes is None:
            refusal = refuse_second_factor(user)
            db.session.commit()
            error, status = _("That code is not right; check the time on your phone and try again."), 401
            if refusal.status != 401:
                error, status = REFUSALS[int(refusal.status)](), int(refusal.status)
        else:
            record(AuditAction.TWO_FACTOR_ENROLLED, actor=user, target=user.username)
            user.last_login_at = utcnow()
            record(
                AuditAction.LOGIN, actor=user, target=user.username, details={"method": "password+enrolment"}
            )
            db.session.commit()
            target = _safe_next(session["pending"].get("next"))
            login_user(user)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, next=target or home_url_for(user))
    uri = two_factor.provisioning_uri(user, secret)
    return (
        render_template(
            "auth/enrol.html", user=user, secret=secret, qr=two_factor.qr_code_data_uri(uri), error=error
        ),
        status,
    )


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign you out)."""
    user = session_user()
    if user is not None:
        record(AuditAction.LOGOUT, actor=user, target=user.username)
    logout_user()  # the session ends on the server: a copy of its cookie is worth nothing now
    db.session.commit()
    return redirect(url_for("signin.login"))


@bp.route("/csrf-token")
def csrf_token():
    """A fresh CSRF token for the signed-in page (the outbox sends with it, possibly hours
    after the page was cached)."""
    if session_user() is None:
        return json_error(401, "Sign in first."), 401
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account", methods=["GET", "POST"])
@page_login_required()
def account():
    """Who you are, your two-factor state, changing your password (which signs out your other
    sessions and revokes your API tokens), and where your notifications also go."""
    user = session_user()
    errors, status = {}, 200
    if request.method == "POST":
        try:
            change_password(user, request.form.get("current", ""), request.form.get("new", ""))
        except GridcaseError as exc:
            db.session.commit()  # a wrong current password is audited
            errors, status = exc.errors or {"current": [exc.message]}, 422
        else:
            login_user(user)  # this browser gets a new session; every other one has ended
            db.session.commit()
            return _account_page(user, changed=True)
    return _account_page(user, errors=errors), status


@bp.post("/account/channels")
@page_login_required()
def add_own_channel():
    """Add your e-mail or SMS as a channel, with quiet hours if you like."""
    user = session_user()
    outcome = FormOutcome(action="channel", values=request.form.copy())
    try:
        fields = {k: v for k, v in request.form.items() if k != "csrf_token" and v.strip()}
        choose_channel(user, ChannelInSchema().load(fields))
        db.session.commit()
    except (GridcaseError, ValidationError) as exc:
        outcome.refused(exc)
        return _account_page(user, channel_form=outcome), outcome.status
    flash(_("From now on your notifications also go there."), "success")
    return redirect(url_for("signin.account"))


@bp.post("/account/channels/<id:channel_id>/remove")
@page_login_required()
def remove_channel(channel_id):
    user = session_user()
    drop_channel(user, channel_id)  # (not yours: 404)
    db.session.commit()
    flash(_("Removed: nothing more goes there."), "success")
    return redirect(url_for("signin.account"))


def _account_page(user: User, changed: bool = False, errors: dict | None = None, channel_form=None):
    return render_template(
        "auth/account.html",
        user=user,
        changed=changed,
        errors=errors or {},
        two_factor=two_factor,
        needs_two_factor=second_factor_required(user),
        channels=own_channels(user),
        channel_form=channel_form or FormOutcome(),
    )
