"""User administration by the city's admin: list, create, change role and scope, disable,
reset a password, reset two-factor. Every change is written to the security audit log."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.audit.log import AuditAction, record
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.auth import create_user, end_sessions, hash_password, unit_region_code
from gridcase.people.models import User
from gridcase.people.roles import UNIT_ROLES, Role, scope_level_problem
from gridcase.people.scope import covers_region, user_city_code
from gridcase.territory.models import Region


def require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden("Only administrators manage users.")


def _in_city(admin: User, user: User) -> bool:
    return user_city_code(user) == user_city_code(admin)


def list_users(admin: User, role: str | None = None, q: str | None = None) -> list[User]:
    require_admin(admin)
    city = user_city_code(admin)
    query = (
        sa.select(User)
        .join(Region, Region.code == User.scope_code)
        .where(sa.or_(Region.city_code == city, Region.code == city))
    )
    if role:
        query = query.where(User.role == role)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(sa.or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    # The grids are shown for every user listed: loaded in one more query, not one per user.
    return list(
        db.session.scalars(query.options(so.selectinload(User.grids)).order_by(User.username).limit(1000))
    )


def get_user(admin: User, user_id: int) -> User:
    require_admin(admin)
    user = db.session.get(User, user_id)
    if user is None or not _in_city(admin, user):
        raise NotFound(Message("No user %(user_id)s in your city.", user_id=str(user_id)))
    return user


def _scope_in_city(admin: User, code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None or not covers_region(admin, region):
        raise Unprocessable(
            "The scope is not a territory node of your city.", {"scope": [f"Unknown node {code}."]}
        )
    return region


def _grids_in_city(admin: User, codes: list[str]) -> list[Region]:
    grids = [db.session.get(Region, code) for code in codes]
    if any(g is None or g.level != "grid" or not covers_region(admin, g) for g in grids):
        raise Unprocessable("Grids must be grids of your city.", {"grids": ["Unknown grid."]})
    return grids


def add_user(admin: User, data: dict) -> tuple[User, str | None]:
    """Create a user; returns it and the generated password when none was given."""
    require_admin(admin)
    scope = data.get("scope")
    if data["role"] in UNIT_ROLES:
        scope = unit_region_code(data.get("unit")) or scope  # a unit's people: its region
    if scope:
        _scope_in_city(admin, scope)
    _grids_in_city(admin, data.get("grids") or [])
    password = data.get("password") or _temporary_password()
    user = create_user(
        data["username"],
        password,
        data["role"],
        scope,
        data.get("display_name"),
        data.get("grids") or [],
        created_by=admin,
        unit_code=data.get("unit"),
    )
    return user, None if data.get("password") else password


def _account_facts(user: User) -> dict:
    """What the audit log records of an account before and after a change."""
    facts = {"role": user.role, "scope": user.scope_code, "active": user.active}
    return {**facts, "unit": user.unit_code} if user.unit_code else facts


def change_user(admin: User, user_id: int, data: dict) -> User:
    """Change display name, role and scope (together, as the scope level follows the role),
    grids of a grid worker, or whether the account is active.

    A new role or scope, and a disable, end every session and token of the user: what they may
    read changes now, and a role that signs in with two factors asks for them at the next
    sign-in. An administrator's own role, and another administrator's, are not changed here
    (one administrator could otherwise turn another, or itself through another, into a city
    commander who reads every case): the server's operator does that on the command line.
    """
    user = get_user(admin, user_id)
    before = _account_facts(user)
    role = data.get("role", user.role)
    scope = data.get("scope", user.scope_code)
    unit = None
    if "role" in data or "scope" in data or "unit" in data:
        try:
            role = Role(role)
        except ValueError:
            raise Unprocessable("Unknown role.", {"role": [f"Unknown role {role!r}."]}) from None
        if role in UNIT_ROLES:
            unit = data.get("unit", user.unit_code)
            scope = unit_region_code(unit)
            if scope is None:
                raise Unprocessable(
                    "A unit's people belong to an active unit.", {"unit": [f"No active unit {unit!r}."]}
                )
        region = _scope_in_city(admin, scope)
        if problem := scope_level_problem(role, scope, region.level):
            raise Unprocessable("The scope does not fit the role.", {"scope": [problem]})
        if user.id == admin.id and role != Role.ADMIN:
            raise Unprocessable(
                "You cannot take away your own administrator role.", {"role": ["Not yourself."]}
            )
        if user.role == Role.ADMIN and role != Role.ADMIN:
            raise Forbidden(
                "An administrator's role is changed by the server's operator (create-user, "
                "set-role on the command line), not by another administrator."
            )
        if (role.value, scope, unit) != (user.role, user.scope_code, user.unit_code):
            end_sessions(user, "role_changed")
        user.role, user.scope_code, user.unit_code = role.value, scope, unit
    if "display_name" in data:
        user.display_name = data["display_name"].strip()[:100] or user.display_name
    if "grids" in data and user.role == Role.GRID_WORKER:
        user.grids = _grids_in_city(admin, data["grids"])
    if "active" in data:
        if user.id == admin.id and not data["active"]:
            raise Unprocessable("You cannot disable your own account.", {"active": ["Not yourself."]})
        user.active = bool(data["active"])
        if not user.active:
            end_sessions(user, "disabled")
    db.session.flush()
    after = _account_facts(user)
    record(
        AuditAction.USER_CHANGED,
        actor=admin,
        target=user.username,
        details={"before": before, "after": after, "grids": [g.code for g in user.grids]},
    )
    return user


def set_role(username: str, role: str, scope_code: str | None, unit_code: str | None = None) -> User:
    """The server operator's change of a user's role and scope (any user, administrators
    included); every session and token of the user ends. A unit role names its unit instead
    of a scope.

    Raises:
        Unprocessable: an unknown user, role, node or unit, or a scope that does not fit the role.
    """
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None:
        raise Unprocessable("No such user.", {"username": [f"No user {username!r}."]})
    try:
        role_enum = Role(role)
    except ValueError:
        raise Unprocessable("Unknown role.", {"role": [f"Unknown role {role!r}."]}) from None
    if role_enum in UNIT_ROLES:
        scope_code = unit_region_code(unit_code)
        if scope_code is None:
            raise Unprocessable("Unknown unit.", {"unit": [f"No active unit {unit_code!r}."]})
    else:
        unit_code = None
    region = db.session.get(Region, scope_code) if scope_code else None
    if region is None:
        raise Unprocessable("Unknown scope.", {"scope": [f"No territory node has the code {scope_code}."]})
    if problem := scope_level_problem(role_enum, scope_code, region.level):
        raise Unprocessable("The scope does not fit the role.", {"scope": [problem]})
    before = {"role": user.role, "scope": user.scope_code, "unit": user.unit_code}
    end_sessions(user, "role_changed")
    user.role, user.scope_code, user.unit_code = role_enum.value, scope_code, unit_code
    after = {"role": user.role, "scope": user.scope_code, "unit": user.unit_code}
    record(
        AuditAction.USER_CHANGED,
        target=user.username,
        details={"before": before, "after": after, "by": "operator"},
        city=region.city_code or region.code,
    )
    return user


def reset_password(admin: User, user_id: int) -> str:
    """A new temporary password (shown once); the user's sessions and tokens end."""
    user = get_user(admin, user_id)
    if user.role == Role.OPEN311_CLIENT:
        raise Unprocessable(
            "Another system's user never signs in with a password; its API key is managed with "
            "set-open311-client and create-open311-client.",
            {"user": ["A system user has no password."]},
        )
    password = _temporary_password()
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    end_sessions(user, "password_reset")
    record(AuditAction.USER_CHANGED, actor=admin, target=user.username, details={"change": "password reset"})
    return password


def reset_two_factor(admin: User, user_id: int) -> User:
    """Forget the user's authenticator (a lost phone): they set it up again at next sign-in."""
    user = get_user(admin, user_id)
    user.totp_secret_encrypted = user.totp_confirmed_at = user.totp_last_step = None
    user.recovery_code_hashes = []
    user.totp_enrolment_encrypted = None
    end_sessions(user, "two_factor_reset")
    record(
        AuditAction.USER_CHANGED, actor=admin, target=user.username, details={"change": "two-factor reset"}
    )
    return user


def _temporary_password() -> str:
    return f"Gc-{secrets.token_urlsafe(12)}"
