"""Scope: which cases a user may see, as SQL conditions (DESIGN §1).

A user sees a case when the case's grid lies inside their scope node, and always sees the cases
they reported. Admins and auditors read no case content. A case outside scope must answer 404
(never 403), so callers filter with these conditions and treat "no row" as "not found".
"""

from __future__ import annotations

import sqlalchemy as sa

from gridcase.cases.models import Case
from gridcase.people.models import User, grid_assignments
from gridcase.people.roles import CASE_READER_ROLES, Role
from gridcase.territory.models import ANCESTOR_COLUMNS, RegionLevel


def case_territory_column(level: str) -> sa.ColumnElement:
    """The column of `cases` that holds the code of a case's node at `level`."""
    return getattr(Case, ANCESTOR_COLUMNS[RegionLevel(level)])


def visible_cases(user: User) -> sa.ColumnElement[bool]:
    """Condition on `cases` selecting what `user` may see."""
    role = Role(user.role)
    if role not in CASE_READER_ROLES:
        return sa.false()
    own = Case.reporter_id == user.id
    if role is Role.GRID_WORKER:
        my_grids = sa.select(grid_assignments.c.grid_code).where(grid_assignments.c.user_id == user.id)
        return sa.or_(Case.grid_code.in_(my_grids), own)
    return sa.or_(case_territory_column(user.scope_level) == user.scope_code, own)


def covers_region(user: User, region) -> bool:
    """Whether `region` (a territory node) lies inside the user's scope node."""
    if user.scope_code == region.code:
        return True
    return region.ancestor_code(user.scope_level) == user.scope_code


def user_city_code(user: User) -> str:
    """The city a user belongs to: their scope node's city (or the node itself)."""
    return user.scope.city_code or user.scope.code
