"""Passwords, sign-in and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from gridcase.audit.log import AuditAction, record
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.people.models import ApiToken, User
from gridcase.people.roles import UNIT_ROLES, Role, scope_level_problem
from gridcase.people.sessions import end_all_sessions
from gridcase.reference import GENERATION, note_generation
from gridcase.settings import setting, utcnow
from gridcase.territory.models import Region
from gridcase.text import normalised, username_problem

MIN_PASSWORD_LENGTH = 10
# Passwords people pick first; refused whatever their length.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "123456789a",
        "qwertyuiop",
        "password123",
        "1q2w3e4r5t",
        "a123456789",
        "abcd123456",
        "woaini1314",
        "admin12345",
        "gridcase123",
        "p@ssw0rd123",
        "zhuji12345",
    }
)


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is too weak (等保 2.0: length and complexity), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password has at least {MIN_PASSWORD_LENGTH} characters."
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 2:
        return "A password mixes at least two of: lower case, upper case, digits, other characters."
    if username and username.lower() in password.lower():
        return "A password does not contain the username."
    if password.lower() in COMMON_PASSWORDS:
        return "This password is too common."
    return None


def hash_password(password: str) -> str:
    method = setting("GRIDCASE_PASSWORD_METHOD")
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, now: datetime | None = None) -> tuple[str, int]:
    """A new bearer token for `user` and its lifetime in seconds. Only its hash is stored."""
    now = now or utcnow()
    ttl = int(setting("GRIDCASE_TOKEN_TTL_SECONDS"))
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_token_digest(token),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    db.session.flush()
    return token, ttl


# The token check of every API request, built once (making the statement cost more Python time
# per request than PostgreSQL's answer to it): the active user of an unexpired, unrevoked token.
_USER_OF_TOKEN = (
    # (with the reference data's generation: every API request learns it here, without a round
    # trip of its own; see gridcase.reference)
    sa.select(User, GENERATION)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == sa.bindparam("digest"),
        ApiToken.expires_at > sa.bindparam("now"),
        ApiToken.revoked_at.is_(None),
        User.active,
    )
)


def user_for_token(token: str, now: datetime | None = None) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to; else None. Read from the
    database on every request, never cached: a revoked token stops working at once."""
    found = db.session.execute(
        _USER_OF_TOKEN, {"digest": _token_digest(token), "now": now or utcnow()}
    ).first()
    if found is None:
        return None
    note_generation(found.reference_generation)
    return found.User


def end_sessions(user: User, reason: str, now: datetime | None = None) -> None:
    """End every page session and API token of `user` (a password change, a role change, a
    reset, a disable); `reason` is kept with each ended session."""
    now = now or utcnow()
    user.credentials_changed_at = now
    end_all_sessions(user, reason, now)
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# The units table belongs to gridcase.units, a layer above; people read only a unit's region
# and whether it is active, to place the people of a unit.
_UNITS = sa.table("units", sa.column("code"), sa.column("region_code"), sa.column("active"))


def unit_region_code(unit_code: str | None) -> str | None:
    """The region an active unit serves, or None (no such unit, or inactive)."""
    if not unit_code:
        return None
    return db.session.scalar(
        sa.select(_UNITS.c.region_code).where(_UNITS.c.code == unit_code, _UNITS.c.active)
    )


def create_user(
    username: str,
    password: str,
    role: str,
    scope_code: str,
    display_name: str | None = None,
    grid_codes: list[str] | None = None,
    created_by: User | None = None,
    unit_code: str | None = None,
) -> User:
    """Create a user whose scope node has the level the role requires; `created_by` is the admin
    named in the audit log (none from the command line or the demo loader). A unit role
    (承办人, 负责人) names its unit; its scope is the unit's region (`scope_code` may be left out).

    Raises:
        Unprocessable: a taken username (in any case), one with other characters than ASCII
            letters, digits, '.', '_' and '-' (no look-alikes, no invisible marks), a short
            password, an unknown role or scope, or a scope at the wrong level for the role.
    """
    errors: dict[str, list[str]] = {}
    username = normalised(username)  # full-width letters and the like folded to plain ones
    if problem := username_problem(username):
        errors["username"] = [problem]
    elif db.session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == username.lower())):
        # Unique whatever the case: DEMO-WORKER would pass for demo-worker in a timeline.
        errors["username"] = [f"The username {username!r} is taken."]
    if problem := password_problem(password, username):
        errors["password"] = [problem]
    try:
        role_enum = Role(role)
    except ValueError:
        errors["role"] = [f"Unknown role {role!r}; one of: {', '.join(r.value for r in Role)}."]
        role_enum = None
    if role_enum in UNIT_ROLES:
        region_code = unit_region_code(unit_code)
        if region_code is None:
            errors["unit"] = [f"A {role_enum.value} belongs to a unit: {unit_code!r} is no active unit."]
        elif scope_code and scope_code != region_code:
            errors["scope"] = [f"The unit {unit_code} serves {region_code}, not {scope_code}."]
        scope_code = region_code or scope_code
    elif unit_code:
        errors["unit"] = ["Only the people of a unit (unit_handler, unit_head) belong to one."]
    scope = db.session.get(Region, scope_code) if scope_code else None
    if scope is None:
        if "unit" not in errors:
            errors["scope"] = [f"No territory node has the code {scope_code}."]
    elif role_enum is not None and (problem := scope_level_problem(role_enum, scope_code, scope.level)):
        errors["scope"] = [problem]
    grids = []
    for code in grid_codes or []:
        grid = db.session.get(Region, code)
        if grid is None or grid.level != "grid":
            errors.setdefault("grids", []).append(f"{code} is not a grid.")
        else:
            grids.append(grid)
    if errors:
        raise Unprocessable("The user cannot be created.", errors)
    if role_enum is Role.GRID_WORKER and scope not in grids:
        grids.insert(0, scope)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role_enum.value,
        scope_code=scope_code,
        unit_code=unit_code if role_enum in UNIT_ROLES else None,
    )
    user.grids = grids
    db.session.add(user)
    db.session.flush()
    record(
        AuditAction.USER_CREATED,
        actor=created_by,
        target=user.username,
        details={
            "role": user.role,
            "scope": user.scope_code,
            "grids": [g.code for g in grids],
            **({"unit": user.unit_code} if user.unit_code else {}),
        },
        city=scope.city_code or scope.code,
    )
    return user


def change_password(user: User, current: str, new: str, now: datetime | None = None) -> None:
    """Change a password: every other session and every API token of the user ends.

    Raises:
        Unprocessable: the current password is wrong or the new one is too weak.
    """
    now = now or utcnow()
    if not check_password_hash(user.password_hash, current):
        record(
            AuditAction.PASSWORD_CHANGED,
            result="failed",
            actor=user,
            target=user.username,
            details={"reason": "wrong current password"},
        )
        raise Unprocessable("The current password is not right.", {"current": ["Not right."]})
    if problem := password_problem(new, user.username):
        raise Unprocessable(problem, {"new": [problem]})
    user.password_hash = hash_password(new)
    end_sessions(user, "password_changed", now)
    record(AuditAction.PASSWORD_CHANGED, actor=user, target=user.username)
