"""Scope (DESIGN §1): what lies inside a user's territory, as SQL conditions and as checks.

A user's scope is one territory node; a grid worker's is their grids. Cases, risk alerts and
rollups each carry the codes of their node's ancestors (gridcase.territory.levels
.ANCESTOR_COLUMNS), so "inside my scope" is one indexed equality on the same column wherever it
is asked. Who may read which kind of record is decided beside the record (cases: they also see
the cases they reported, gridcase.cases.queries.visible_cases). A record outside scope must
answer 404, never 403, so callers filter with these conditions and treat "no row" as "not
found".
"""

from __future__ import annotations

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.people.models import User, grid_assignments
from gridcase.people.roles import GIVEN_CASES_ROLES, Role
from gridcase.reference import kept
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel


def territory_column(model, level: str) -> sa.ColumnElement:
    """The column of `model` (cases, alerts …) that holds the code of its node at `level`."""
    return getattr(model, ANCESTOR_COLUMNS[RegionLevel(level)])


def _my_grids(user: User):
    return sa.select(grid_assignments.c.grid_code).where(grid_assignments.c.user_id == user.id)


def in_scope(user: User, model) -> sa.ColumnElement[bool]:
    """Condition on `model`'s rows: their node lies inside the user's scope node (for a grid
    worker: in one of their grids). A unit's people and invited mediators cover no territory:
    they reach cases only through their unit's assignments or their invitations
    (gridcase.cases.queries.visible_cases)."""
    if user.role in GIVEN_CASES_ROLES:
        return sa.false()
    if user.role == Role.GRID_WORKER:
        return model.grid_code.in_(_my_grids(user))
    return territory_column(model, user.scope_level) == user.scope_code


def covers(user: User, record) -> bool:
    """The Python form of `in_scope` for one record already loaded (a case, an alert)."""
    if user.role in GIVEN_CASES_ROLES:
        return False
    if user.role == Role.GRID_WORKER:
        return record.grid_code in assigned_grids(user.id)
    return getattr(record, ANCESTOR_COLUMNS[RegionLevel(user.scope_level)]) == user.scope_code


def assigned_grids(user_id: int) -> frozenset[str]:
    """The codes of a grid worker's grids, kept in the process until grids are assigned anew
    (gridcase.reference): every case answer to a grid worker asks."""
    return kept(
        f"grids of user {user_id}", lambda: frozenset(db.session.scalars(_GRIDS, {"user_id": user_id}))
    )


_GRIDS = sa.select(grid_assignments.c.grid_code).where(grid_assignments.c.user_id == sa.bindparam("user_id"))


def covers_region(user: User, region) -> bool:
    """Whether `region` (a territory node) lies inside the user's scope node."""
    if user.scope_code == region.code:
        return True
    return region.ancestor_code(user.scope_level) == user.scope_code


def user_city_code(user: User) -> str:
    """The city a user belongs to: their scope node's city (or the node itself)."""
    return user.scope.city_code or user.scope.code
