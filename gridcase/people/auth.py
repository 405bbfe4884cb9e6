"""Passwords, sign-in and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.orm.attributes import set_committed_value
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

T = TypeVar("T")

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
# With the token's expiry and the generations: the reference data's (every API request learns it
# here, without a round trip of its own; see gridcase.reference) and the sign-in data's.
_CREDENTIALS = sa.table("credential_generation", sa.column("generation", sa.BigInteger))
_CREDENTIAL_GENERATION = sa.select(_CREDENTIALS.c.generation).scalar_subquery().label("credential_generation")
_USER_OF_TOKEN = (
    sa.select(User, ApiToken.expires_at, GENERATION, _CREDENTIAL_GENERATION)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == sa.bindparam("digest"),
        ApiToken.expires_at > sa.bindparam("now"),
        ApiToken.revoked_at.is_(None),
        User.active,
    )
)
_GENERATIONS = sa.select(GENERATION, _CREDENTIAL_GENERATION)


@dataclass(frozen=True)
class _KnownToken:
    """A token this process has checked: its user as read then (a detached copy, never changed)
    and until when the token holds, under the sign-in data's generation it was read in."""

    credential_generation: int
    expires_at: datetime
    user: User


# A process keeps the users of the tokens it has checked, by the token's digest (never the
# token). The ORM's load of the user was most of the token check's cost (issue 20); a request
# whose token is known reads only the two generations. Migration 0046 moves the sign-in
# generation in the writer's transaction at any change of users, api_tokens or regions (a
# revocation, a disable, a role or scope change, a password change, a territory import: the
# user is kept with their scope node), so a known token is used only while nothing of the kind
# has happened since, in any process.
_known_tokens: dict[tuple[sa.Engine, str], _KnownToken] = {}
_KNOWN_TOKENS_AT_MOST = 10_000  # (then forgotten all at once: read again as they come)


def user_for_token(token: str, now: datetime | None = None) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to; else None. A revoked
    token, or a disabled user's, stops working at once, in every process."""
    now = now or utcnow()
    digest = _token_digest(token)
    key = (db.engine, digest)  # (one process may serve two databases: the tests')
    known = _known_tokens.get(key)
    if known is not None:
        # (on the session's connection: a Core statement needs none of the session's work)
        generations = db.session.connection().execute(_GENERATIONS).one()
        if generations.credential_generation == known.credential_generation:
            note_generation(generations.reference_generation)
            if known.expires_at <= now:
                return None
            # (a copy in this session, without a statement, as the catalogue's categories)
            return db.session.merge(known.user, load=False)
    found = db.session.execute(_USER_OF_TOKEN, {"digest": digest, "now": now}).first()
    if found is None:
        _known_tokens.pop(key, None)
        return None
    note_generation(found.reference_generation)
    if len(_known_tokens) >= _KNOWN_TOKENS_AT_MOST:
        _known_tokens.clear()
    copy = _detached_copy(found.User)
    _known_tokens[key] = _KnownToken(found.credential_generation, found.expires_at, copy)
    return found.User


def _detached_copy(user: User) -> User:
    """A copy of `user` and its scope as loaded, in no session: what a process may keep."""
    copy = _loaded_copy(user)
    scope = _loaded_copy(user.scope) if user.scope is not None else None
    if scope is not None:
        so.make_transient_to_detached(scope)
    set_committed_value(copy, "scope", scope)
    so.make_transient_to_detached(copy)
    return copy


def _loaded_copy(obj: T) -> T:
    """A new, transient instance of `obj`'s class with the column values it has loaded (a
    deferred column, as a region's boundary, stays unloaded: read if a request asks for it)."""
    mapper = sa.inspect(type(obj))
    loaded = sa.inspect(obj).dict
    copy = mapper.class_manager.new_instance()
    for attribute in mapper.column_attrs:
        if attribute.key in loaded:
            set_committed_value(copy, attribute.key, loaded[attribute.key])
    return copy


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
