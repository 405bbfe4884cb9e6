"""Unit administration by the city's admin (职能部门, 站所, 专业调委会): list, create, change,
deactivate (never delete: cases and statistics keep pointing at a unit), and the categories a
unit handles with its own limits and default flags. Every change is written to the security
audit log.

The rules are the import's (gridcase.units.domain and gridcase.units.importer decide; this
module says their refusals field by field, in words a page translates).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.audit.log import AuditAction, record
from gridcase.errors import Conflict, Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import UNIT_LEVELS, Role
from gridcase.people.scope import covers_region, user_city_code
from gridcase.territory.levels import RegionLevel
from gridcase.territory.models import Region
from gridcase.units.domain import UnitKind, code_problem, credit_code_problem, limits_problem
from gridcase.units.importer import category_leaves, name_problem, region_problem
from gridcase.units.lifecycle import OPEN_ASSIGNMENT_STATUSES
from gridcase.units.models import CaseAssignment, Unit, UnitCategory

# The city's departments first, then a district's, then the townships' stations.
_LEVEL_ORDER = sa.case({"city": 0, "district": 1}, value=Unit.level, else_=2)
NOT_SAVED = Message("The unit was not saved; please correct the fields marked.")


def require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden(Message("Only administrators manage units."))


def list_units(
    admin: User,
    level: str | None = None,
    region: str | None = None,
    category: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> list[Unit]:
    """The units of the admin's city, city-wide ones first, then by region and code; filtered
    by level, region served, a category handled, active or not, and code or name."""
    require_admin(admin)
    query = sa.select(Unit).where(Unit.city_code == user_city_code(admin))
    if level:
        query = query.where(Unit.level == level)
    if region:
        query = query.where(Unit.region_code == region)
    if category:
        query = query.where(Unit.handles.any(UnitCategory.category_code == category))
    if active is not None:
        query = query.where(Unit.active.is_(active))
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(sa.or_(Unit.code.ilike(pattern), Unit.name.ilike(pattern)))
    # Each unit's categories are shown with it: loaded in one more query, not one per unit.
    return list(
        db.session.scalars(
            query.options(so.selectinload(Unit.handles)).order_by(_LEVEL_ORDER, Unit.region_code, Unit.code)
        )
    )


def get_unit(admin: User, code: str, lock: bool = False) -> Unit:
    """One unit of the admin's city (locked for a change when `lock`).

    Raises:
        NotFound: no such unit in the admin's city (another city's is not said to exist).
    """
    require_admin(admin)
    query = sa.select(Unit).where(Unit.code == code, Unit.city_code == user_city_code(admin))
    unit = db.session.scalar(query.with_for_update(of=Unit) if lock else query)
    if unit is None:
        raise NotFound(Message("No unit %(code)s in your city.", code=code))
    return unit


def _facts(unit: Unit) -> dict:
    """What the audit log records of a unit before and after a change."""
    return {
        "name": unit.name,
        "name_en": unit.name_en,
        "kind": unit.kind,
        "credit_code": unit.credit_code,
        "sign_days": unit.sign_days,
        "finish_days": unit.finish_days,
        "active": unit.active,
    }


def _handled_facts(unit: Unit) -> list[dict]:
    return [
        {
            "category": h.category_code,
            "default": h.is_default,
            "sign_days": h.sign_days,
            "finish_days": h.finish_days,
        }
        for h in unit.handles
    ]


def _field_problems(data: dict) -> dict[str, list[Message]]:
    """The checks of the unit's own fields that are present in `data` (the import's checks)."""
    errors: dict[str, list[Message]] = {}
    if "name" in data and name_problem(data["name"]):
        errors["name"] = [Message("A name of 1 to 100 characters is required.")]
    if "kind" in data and data["kind"] not in {k.value for k in UnitKind}:
        errors["kind"] = [Message("Unknown kind of unit.")]
    if data.get("credit_code") and credit_code_problem(data["credit_code"]):
        errors["credit_code"] = [
            Message("Not a valid unified social credit code: 18 characters, the last one a check character.")
        ]
    return errors


def _limit_errors(sign_days: object, finish_days: object) -> dict[str, list[Message]]:
    """The domain's limits check (units.domain.limits_problem), said next to the field at fault."""
    if limits_problem(sign_days, finish_days) is None:
        return {}
    errors: dict[str, list[Message]] = {}
    for name, value in (("sign_days", sign_days), ("finish_days", finish_days)):
        if limits_problem(value, value) is not None:  # the value on its own is out of range
            errors[name] = [Message("A whole number of working days from 1 to 366.")]
    return errors or {"sign_days": [Message("Signing cannot take longer than finishing.")]}


def create_unit(admin: User, data: dict) -> Unit:
    """Create a unit of the admin's city serving a township, district or city (its level is
    the region's), with the categories it handles when given (see `set_categories`).

    Raises:
        Unprocessable: a field the rules refuse, each named.
        Conflict: the code is taken (by a unit of any city: codes are the installation's).
    """
    require_admin(admin)
    errors = _field_problems(data)
    if code_problem(data.get("code")):
        errors["code"] = [
            Message(
                "A unit code is 2 to 40 ASCII letters, digits, '.', '_' or '-', "
                "starting with a letter or digit."
            )
        ]
    region = db.session.get(Region, data.get("region") or "")
    if region is not None and not covers_region(admin, region):
        region = None  # another city's region is not said to exist
    if region_problem(region, data.get("region")):
        errors["region"] = (
            [Message("No township, district or city %(code)s in your city.", code=data.get("region"))]
            if region is None
            else [
                Message(
                    "A unit serves a township, district or city, not a %(level)s.",
                    level=RegionLevel(region.level),
                )
            ]
        )
    errors |= _limit_errors(data.get("sign_days"), data.get("finish_days"))
    if errors:
        raise Unprocessable(NOT_SAVED, errors)
    if db.session.get(Unit, data["code"]) is not None:
        raise Conflict(
            Message("The unit code %(code)s is taken.", code=data["code"]),
            {"code": [Message("This unit code is taken.")]},
        )
    unit = Unit(
        code=data["code"],
        name=data["name"].strip(),
        name_en=(data.get("name_en") or "").strip() or None,
        kind=data["kind"],
        level=region.level,
        region_code=region.code,
        city_code=region.city_code or region.code,
        credit_code=data.get("credit_code") or None,
        sign_days=data["sign_days"],
        finish_days=data["finish_days"],
        active=data.get("active", True),
    )
    db.session.add(unit)
    db.session.flush()
    moved = _apply_categories(admin, unit, data["categories"]) if data.get("categories") else {}
    record(
        AuditAction.UNIT_CREATED,
        actor=admin,
        target=unit.code,
        details={
            **_facts(unit),
            "region": unit.region_code,
            "level": unit.level,
            "categories": _handled_facts(unit),
            "defaults_taken_from": moved,
        },
    )
    return unit


def change_unit(admin: User, code: str, data: dict) -> Unit:
    """Change a unit's name, English name, kind, credit code, limits, or deactivate or activate
    it. Its code and region stay: its people's scope and its assignments hang on them.

    A deactivated unit is no longer proposed nor dispatched to, and keeps its history; its
    default flags stay, so activating it again restores them (while it is inactive the default
    of the level above is proposed).

    Raises:
        NotFound: not a unit of the admin's city.
        Unprocessable: a field the rules refuse (each named); deactivating a unit that still
            holds open assignments (withdraw or finish them first: a unit nobody can reach
            would leave its cases without anyone to work on them).
    """
    unit = get_unit(admin, code, lock=True)
    before = _facts(unit)
    errors = _field_problems(data)
    sign_days = data.get("sign_days", unit.sign_days)
    finish_days = data.get("finish_days", unit.finish_days)
    errors |= _limit_errors(sign_days, finish_days)
    if not errors:
        errors |= _category_limit_errors(unit.handles, sign_days, finish_days)
    if data.get("active") is False and unit.active and (held := _open_assignments(unit.code)):
        errors["active"] = [
            Message(
                "The unit still holds %(count)s open assignment(s); they are finished or "
                "withdrawn before it is deactivated.",
                count=str(held),
            )
        ]
        if len(errors) == 1:
            raise Unprocessable(
                Message("%(unit)s still holds open assignments and cannot be deactivated.", unit=unit.name),
                errors,
            )
    if errors:
        raise Unprocessable(NOT_SAVED, errors)
    if "name" in data:
        unit.name = data["name"].strip()
    if "name_en" in data:
        unit.name_en = (data["name_en"] or "").strip() or None
    if "kind" in data:
        unit.kind = data["kind"]
    if "credit_code" in data:
        unit.credit_code = data["credit_code"] or None
    unit.sign_days, unit.finish_days = sign_days, finish_days
    if "active" in data:
        unit.active = bool(data["active"])
    db.session.flush()
    after = _facts(unit)
    record(
        AuditAction.UNIT_CHANGED,
        actor=admin,
        target=unit.code,
        details={
            "before": {k: v for k, v in before.items() if after[k] != v},
            "after": {k: v for k, v in after.items() if before[k] != v},
        },
    )
    return unit


def _open_assignments(unit_code: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CaseAssignment)
        .where(CaseAssignment.unit_code == unit_code, CaseAssignment.status.in_(OPEN_ASSIGNMENT_STATUSES))
    )


def _category_limit_errors(items, sign_days: int, finish_days: int) -> dict:
    """A category's own limits checked with the unit's standing in for the one it leaves out
    (as the import checks them); errors by category code."""
    errors = {}
    for item in items:
        sign, finish = _get(item, "sign_days"), _get(item, "finish_days")
        if sign is None and finish is None:
            continue
        if found := _limit_errors(sign or sign_days, finish or finish_days):
            errors[_get(item, "category")] = found
    return {"categories": errors} if errors else {}


def _get(item, name: str):
    """A field of a category as posted (a dict) or as stored (a UnitCategory)."""
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, "category_code" if name == "category" else name)


def set_categories(admin: User, code: str, items: list[dict]) -> Unit:
    """Replace the categories a unit handles: each `{"category", "default", "sign_days",
    "finish_days"}` (limits optional: the unit's stand in). A parent category stands for all
    of its leaves, as in the import.

    Raises:
        NotFound: not a unit of the admin's city.
        Unprocessable: an unknown category, one listed twice, limits out of range, or an
            inactive unit made a default (errors by category code).
    """
    unit = get_unit(admin, code, lock=True)
    before = _handled_facts(unit)
    moved = _apply_categories(admin, unit, items)
    record(
        AuditAction.UNIT_CHANGED,
        actor=admin,
        target=unit.code,
        details={
            "categories": {"before": before, "after": _handled_facts(unit)},
            "defaults_taken_from": moved,
        },
    )
    return unit


def _apply_categories(admin: User, unit: Unit, items: list[dict]) -> dict[str, str]:
    """Check and store `items` as the unit's categories; returns category → the unit whose
    default flag moved to this one."""
    leaves_of = category_leaves()
    errors: dict[str, list[Message]] = {}
    wanted: dict[str, dict] = {}
    for item in items:
        category = item["category"]
        if category not in leaves_of:
            errors[category] = [Message("No category has the code '%(code)s'.", code=category)]
            continue
        for leaf in leaves_of[category]:
            if leaf in wanted:
                errors[leaf] = [Message("The category %(code)s is listed twice.", code=leaf)]
            wanted[leaf] = {**item, "category": leaf}
    problems = _category_limit_errors(wanted.values(), unit.sign_days, unit.finish_days)
    errors |= problems.get("categories", {})
    if not unit.active and any(item.get("default") for item in wanted.values()):
        errors["default"] = [Message("An inactive unit is nobody's default; activate it first.")]
    if errors:
        raise Unprocessable(NOT_SAVED, {"categories": errors})

    # One default per region and category. Making this unit the default moves the flag here
    # from the unit that held it, in the same transaction, rather than refusing: an office
    # reassigning a kind of case (劳动争议 from the 司法所 to the 人力社保所) means exactly
    # "from now on this unit", and a refusal would make the admin first clear the old unit's
    # flag, leaving the region without a proposed unit in between. Who lost it is audited.
    new_defaults = [leaf for leaf, item in wanted.items() if item.get("default")]
    held = (
        db.session.scalars(
            sa.select(UnitCategory)
            .where(
                UnitCategory.region_code == unit.region_code,
                UnitCategory.category_code.in_(new_defaults),
                UnitCategory.is_default,
                UnitCategory.unit_code != unit.code,
            )
            .with_for_update()
        ).all()
        if new_defaults
        else []
    )
    moved = {h.category_code: h.unit_code for h in held}
    for handled in held:
        handled.is_default = False
    db.session.flush()  # the old flags go before the new ones meet the unique index
    for other in sorted(set(moved.values())):
        record(
            AuditAction.UNIT_CHANGED,
            actor=admin,
            target=other,
            details={
                "default_moved_to": unit.code,
                "categories": sorted(c for c, u in moved.items() if u == other),
            },
        )

    current = {h.category_code: h for h in unit.handles}
    for leaf in set(current) - set(wanted):
        unit.handles.remove(current[leaf])
    db.session.flush()
    for leaf, item in wanted.items():
        handled = current.get(leaf) or UnitCategory(category_code=leaf, region_code=unit.region_code)
        handled.is_default = bool(item.get("default"))
        handled.sign_days, handled.finish_days = item.get("sign_days"), item.get("finish_days")
        if leaf not in current:
            unit.handles.append(handled)
    db.session.flush()
    db.session.expire(unit, ["handles"])  # in the catalogue's order again
    return moved


def unit_regions(admin: User) -> list[Region]:
    """The regions of the admin's city a unit may serve (the city, its districts and
    townships), the city first."""
    require_admin(admin)
    city = user_city_code(admin)
    order = sa.case({"city": 0, "district": 1}, value=Region.level, else_=2)
    return list(
        db.session.scalars(
            sa.select(Region)
            .where(sa.or_(Region.code == city, Region.city_code == city), Region.level.in_(UNIT_LEVELS))
            .order_by(order, Region.code)
        )
    )
