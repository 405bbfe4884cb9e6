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

from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from gridcase.audit.log import AuditAction, client_ip, record
from gridcase.audit.models import AuditEntry
from gridcase.extensions import db
from gridcase.people import two_factor
from gridcase.people.models import User
from gridcase.settings import local_tz, setting, utcnow

# Compared against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")
WRONG_CREDENTIALS = "Wrong username or password."


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


def _locked_message(user: User) -> str:
    until = user.locked_until.astimezone(local_tz()).strftime("%H:%M")
    return f"The account is locked after repeated failed sign-ins; try again after {until}."


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
        return SignInAttempt(user, _locked_message(user), HTTPStatus.LOCKED)
    return SignInAttempt(user, WRONG_CREDENTIALS, HTTPStatus.UNAUTHORIZED)


def check_password(username: str, password: str, now: datetime | None = None) -> SignInAttempt:
    """The first step: username and password (one message for every wrong combination, so
    the answer never tells which usernames exist)."""
    now = now or utcnow()
    username = username.strip()
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
        check_password_hash(_DUMMY_HASH, password)
        record(
            AuditAction.LOGIN_FAILED,
            result="failed",
            username=username[:64],
            details={"reason": "unknown user"},
        )
        return SignInAttempt(None, WRONG_CREDENTIALS, HTTPStatus.UNAUTHORIZED)
    if _locked(user, now):
        record(
            AuditAction.LOGIN_BLOCKED,
            result="denied",
            actor=user,
            target=user.username,
            details={"reason": "locked"},
        )
        return SignInAttempt(user, _locked_message(user), HTTPStatus.LOCKED)
    if not check_password_hash(user.password_hash, password) or not user.active:
        return _count_failure(user, now, AuditAction.LOGIN_FAILED)
    user.failed_logins = 0
    if second_factor_required(user):
        return SignInAttempt(user, needs_second_factor=True)
    _signed_in(user, now, "password")
    return SignInAttempt(user)


def check_second_factor(user: User, code: str, now: datetime | None = None) -> SignInAttempt:
    """The second step for the roles that need it: a TOTP code or an unused recovery code."""
    now = now or utcnow()
    if _locked(user, now):
        return SignInAttempt(user, _locked_message(user), HTTPStatus.LOCKED)
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
    user.failed_logins = 0
    _signed_in(user, now, f"password+{method}")
    return SignInAttempt(user)


def _signed_in(user: User, now: datetime, method: str) -> None:
    user.last_login_at = now
    record(AuditAction.LOGIN, actor=user, target=user.username, details={"method": method})
