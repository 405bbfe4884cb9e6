"""Signing in: password, throttling and lock-out, and the second factor for the roles that need
one. Shared by the API's token endpoint and the pages' sign-in form.

The counters of failures must survive the refusal they cause, so these functions only change
rows and write audit entries; the caller commits, then answers (even with a refusal).

Rules (configurable):
- GRIDCASE_LOGIN_MAX_FAILURES (5) wrong passwords or codes in a row are allowed; the next one
  locks the account for GRIDCASE_LOCKOUT_MINUTES (15). A locked account refuses even the right
  password until the lock ends.
- GRIDCASE_LOGIN_MAX_FAILURES_PER_ADDRESS (20) failures from one address within
  GRIDCASE_LOGIN_ADDRESS_WINDOW_MINUTES (15) make that address wait, whatever the account.
- Roles in GRIDCASE_TWO_FACTOR_ROLES (city_commander, admin) need a TOTP code (or a one-time
  recovery code) after the password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from gridcase.audit.log import AuditAction, client_ip, record
from gridcase.audit.models import AuditEntry
from gridcase.extensions import db
from gridcase.people import two_factor
from gridcase.people.auth import hash_password
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.settings import local_tz, setting, utcnow

WRONG_CREDENTIALS = "Wrong username or password."
# Hashes made like real ones (the configured method), checked when the username is unknown, so
# an unknown name costs the same time as a known one with a wrong password.
_DUMMY_HASHES: dict[str, str] = {}


@dataclass
class SignInAttempt:
    """The outcome of a sign-in step. `refusal` is None when the step succeeded."""

    user: User | None = None
    refusal: str | None = None
    status: HTTPStatus = HTTPStatus.OK
    needs_second_factor: bool = False

    @property
    def ok(self) -> bool:
        return self.refusal is None


def second_factor_required(user: User) -> bool:
    return user.role in setting("GRIDCASE_TWO_FACTOR_ROLES")


def _address_blocked(now: datetime) -> bool:
    ip = client_ip()
    if ip is None:
        return False
    window = now - timedelta(minutes=int(setting("GRIDCASE_LOGIN_ADDRESS_WINDOW_MINUTES")))
    failures = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.ip == ip,
            AuditEntry.action.in_([AuditAction.LOGIN_FAILED.value, AuditAction.SECOND_FACTOR_FAILED.value]),
            AuditEntry.at >= window,
        )
    )
    return failures >= int(setting("GRIDCASE_LOGIN_MAX_FAILURES_PER_ADDRESS"))


def _locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _locked_message(until: datetime) -> str:
    return (
        "The account is locked after repeated failed sign-ins; try again after "
        f"{until.astimezone(local_tz()):%H:%M}."
    )


def _dummy_hash() -> str:
    method = setting("GRIDCASE_PASSWORD_METHOD") or "default"
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[method]


def _may_sign_in_with_a_password(user: User) -> bool:
    """Active people; never a system user (an Open311 client reports as one and signs in
    with its api_key only, whatever password an administrator sets for it)."""
    return user.active and user.role != Role.OPEN311_CLIENT


def _unknown_user_attempt(username: str, now: datetime) -> SignInAttempt:
    """A wrong password for a username nobody has answers exactly as for a real account: 401,
    and after GRIDCASE_LOGIN_MAX_FAILURES in a row a lock-out (423) for
    GRIDCASE_LOCKOUT_MINUTES, counted from the audit log (no row exists to count on)."""
    lockout = timedelta(minutes=int(setting("GRIDCASE_LOCKOUT_MINUTES")))
    unknown = sa.and_(AuditEntry.actor_id.is_(None), AuditEntry.actor_username == username)
    last_lock = db.session.scalar(
        sa.select(sa.func.max(AuditEntry.at)).where(unknown, AuditEntry.action == AuditAction.LOCKOUT.value)
    )
    if last_lock is not None and last_lock + lockout > now:
        record(AuditAction.LOGIN_BLOCKED, result="denied", username=username, details={"reason": "locked"})
        return SignInAttempt(None, _locked_message(last_lock + lockout), HTTPStatus.LOCKED)
    since = last_lock or datetime.min.replace(tzinfo=now.tzinfo)
    failures = 1 + db.session.scalar(
        sa.select(sa.func.count()).where(
            unknown, AuditEntry.action == AuditAction.LOGIN_FAILED.value, AuditEntry.at > since
        )
    )
    record(
        AuditAction.LOGIN_FAILED,
        result="failed",
        username=username,
        details={"failures": failures, "reason": "unknown user"},
    )
    if failures > int(setting("GRIDCASE_LOGIN_MAX_FAILURES")):
        record(
            AuditAction.LOCKOUT,
            result="denied",
            username=username,
            details={"until": (now + lockout).isoformat()},
            at=now,
        )
        return SignInAttempt(None, _locked_message(now + lockout), HTTPStatus.LOCKED)
    return SignInAttempt(None, WRONG_CREDENTIALS, HTTPStatus.UNAUTHORIZED)


def _count_failure(user: User, now: datetime, action: AuditAction) -> SignInAttempt:
    user.failed_logins += 1
    record(
        action, result="failed", actor=user, target=user.username, details={"failures": user.failed_logins}
    )
    if user.failed_logins > int(setting("GRIDCASE_LOGIN_MAX_FAILURES")):
        user.locked_until = now + timedelta(minutes=int(setting("GRIDCASE_LOCKOUT_MINUTES")))
        user.failed_logins = 0
        record(
            AuditAction.LOCKOUT,
            result="denied",
            actor=user,
            target=user.username,
            details={"until": user.locked_until.isoformat()},
        )
        return SignInAttempt(user, _locked_message(user.locked_until), HTTPStatus.LOCKED)
    return SignInAttempt(user, WRONG_CREDENTIALS, HTTPStatus.UNAUTHORIZED)


def check_password(username: str, password: str, now: datetime | None = None) -> SignInAttempt:
    """The first step: username and password. Every wrong combination answers alike, in about
    the same time and with the same lock-out, so the answers never tell which usernames exist.
    The failure count goes on through the second factor: it starts again only when a sign-in
    has succeeded whole."""
    now = now or utcnow()
    username = username.strip()[:64]
    if _address_blocked(now):
        record(
            AuditAction.LOGIN_BLOCKED, result="denied", username=username[:64], details={"reason": "address"}
        )
        return SignInAttempt(
            None,
            "Too many failed sign-ins from your address; wait a few minutes.",
            HTTPStatus.TOO_MANY_REQUESTS,
        )
    user = db.session.scalar(sa.select(User).where(User.username == username).with_for_update(of=User))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return _unknown_user_attempt(username, now)
    if _locked(user, now):
        record(
            AuditAction.LOGIN_BLOCKED,
            result="denied",
            actor=user,
            target=user.username,
            details={"reason": "locked"},
        )
        return SignInAttempt(user, _locked_message(user.locked_until), HTTPStatus.LOCKED)
    if not check_password_hash(user.password_hash, password) or not _may_sign_in_with_a_password(user):
        return _count_failure(user, now, AuditAction.LOGIN_FAILED)
    if second_factor_required(user):
        return SignInAttempt(user, needs_second_factor=True)  # failures still count
    _signed_in(user, now, "password")
    return SignInAttempt(user)


def refuse_second_factor(user: User, now: datetime | None = None) -> SignInAttempt:
    """A wrong code while setting up the authenticator counts like any wrong code."""
    return _count_failure(user, now or utcnow(), AuditAction.SECOND_FACTOR_FAILED)


def check_second_factor(user: User, code: str, now: datetime | None = None) -> SignInAttempt:
    """The second step for the roles that need it: a TOTP code or an unused recovery code."""
    now = now or utcnow()
    if _locked(user, now):
        return SignInAttempt(user, _locked_message(user.locked_until), HTTPStatus.LOCKED)
    method = two_factor.verify(user, code, now)
    if method is None:
        return _count_failure(user, now, AuditAction.SECOND_FACTOR_FAILED)
    if method == "recovery":
        record(
            AuditAction.RECOVERY_CODE_USED,
            actor=user,
            target=user.username,
            details={"left": len(user.recovery_code_hashes)},
        )
    _signed_in(user, now, f"password+{method}")
    return SignInAttempt(user)


def _signed_in(user: User, now: datetime, method: str) -> None:
    user.failed_logins = 0
    user.last_login_at = now
    record(AuditAction.LOGIN, actor=user, target=user.username, details={"method": method})
