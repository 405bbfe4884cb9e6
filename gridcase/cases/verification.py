"""Verification that reaches the verifier (核查, DESIGN §2 "Verification"): a resolved case waits
for its verification on a clock of its own; the rule GRIDCASE_VERIFIERS names who verifies a
resolution by the level it was resolved at; the named verifiers are told, and find the case in
their "to verify" (待核查) view. Who may verify is gridcase.cases.lifecycle.verifies; this module
reads the records for it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gridcase.cases.lifecycle import GRID_WORKER
from gridcase.cases.models import Case
from gridcase.extensions import db
from gridcase.ladder.clock import load_calendar
from gridcase.notifications.inbox import Kind, notify_level, notify_user
from gridcase.people.models import User, grid_assignments
from gridcase.people.roles import HANDLER_ROLE_OF_LEVEL, UNIT_ROLES, Role
from gridcase.people.scope import territory_column
from gridcase.settings import ladder, setting


def verifier_of(case: Case) -> str | None:
    """Who the rule names to verify the case's resolution, by the level it was resolved at
    (GRID_WORKER or a level); None while it is not resolved."""
    if case.resolved_level is None:
        return None
    return setting("GRIDCASE_VERIFIERS").get(case.resolved_level)


def await_verification(case: Case, resolver: User, now: datetime, by_unit: bool = False) -> None:
    """The case is resolved by `resolver` now: its verification is due GRIDCASE_VERIFY_DAYS
    working days on, and the verifiers the rule names are told (a lead unit's work: the centre
    was told by the unit's step)."""
    case.resolved_by_id = resolver.id
    case.verify_due_at = load_calendar().add_working_days(now, int(setting("GRIDCASE_VERIFY_DAYS")))
    case.verify_overdue_at = None
    if by_unit:
        return
    tell_verifiers(
        case, resolver, Kind.TO_VERIFY, f"{case.public_number} 已化解，待您核查：{case.title}", now
    )


def tell_verifiers(case: Case, resolver: User, kind: Kind, message: str, now: datetime) -> None:
    """Tell the verifiers the rule names for the case's resolution by `resolver` (never the
    resolver): a grid worker's own 就地化解, their community; a lead unit's work, the centre
    handling the case."""
    verifier = verifier_of(case)
    if resolver.role in UNIT_ROLES:
        notify_level(case, case.level, kind, message, now)
    elif verifier == GRID_WORKER and resolver.role == Role.GRID_WORKER:
        notify_level(case, case.resolved_level, kind, message, now)
    elif verifier == GRID_WORKER:
        workers = db.session.scalars(
            sa.select(User.id)
            .join(grid_assignments, grid_assignments.c.user_id == User.id)
            .where(grid_assignments.c.grid_code == case.grid_code, User.active, User.id != resolver.id)
        )
        for worker_id in workers:
            notify_user(worker_id, case, kind, message, now)
    elif verifier in ladder():
        notify_level(case, verifier, kind, message, now, except_user_id=resolver.id)


def clear_verification(case: Case) -> None:
    """The case is handled again (reopened, or sent back by its verifier)."""
    case.resolved_by_id = case.verify_due_at = case.verify_overdue_at = None


def awaiting_verification_by(viewer: User) -> sa.ColumnElement[bool]:
    """Condition on `cases`: resolved cases whose verification the rule gives to `viewer` (their
    待核查 view), never ones they resolved. Scope is the caller's (gridcase.cases.queries)."""
    # 'resolved' written inline and the resolver named, as the partial index of the cases
    # awaiting verification says it (a bound status would hide it from a generic plan).
    resolved = sa.and_(
        Case.status == sa.literal_column("'resolved'"),
        Case.resolved_by_id.is_not(None),
        Case.resolved_by_id != viewer.id,
    )
    by_unit = Case.resolved_by_id.in_(sa.select(User.id).where(User.role.in_([r.value for r in UNIT_ROLES])))
    rule = setting("GRIDCASE_VERIFIERS")
    if viewer.role == Role.GRID_WORKER:
        levels = [level for level, verifier in rule.items() if verifier == GRID_WORKER]
        mine = sa.select(grid_assignments.c.grid_code).where(grid_assignments.c.user_id == viewer.id)
        return sa.and_(resolved, Case.resolved_level.in_(levels), Case.grid_code.in_(mine), sa.not_(by_unit))
    level = _handled_level(viewer)
    if level is None:
        return sa.false()
    levels = [resolved_at for resolved_at, verifier in rule.items() if verifier == level]
    in_scope = territory_column(Case, level) == viewer.scope_code
    named = sa.and_(Case.resolved_level.in_(levels), sa.not_(by_unit))
    units_work = sa.and_(by_unit, Case.level == level)
    mine = [named, units_work]
    if rule.get(level) == GRID_WORKER:  # a grid worker's own resolution: their level verifies it
        by_worker = Case.resolved_by_id.in_(sa.select(User.id).where(User.role == Role.GRID_WORKER.value))
        mine.append(sa.and_(Case.resolved_level == level, by_worker))
    return sa.and_(resolved, in_scope, sa.or_(*mine))


def _handled_level(viewer: User) -> str | None:
    """The ladder level a handler works at (the city commander at the top)."""
    if viewer.role == Role.CITY_COMMANDER:
        return ladder()[-1]
    level = next((lv for lv, role in HANDLER_ROLE_OF_LEVEL.items() if role == viewer.role), None)
    return level if level in ladder() else None
