"""Where a grid worker's own records belong, and who sees them: a record (a patrol, a visit) is
placed in the worker's grid where it happened, with the territory columns a case has, so the
scope rules of cases show it — the worker their own; the community, township, district and city
those in their scope; nobody else."""

from __future__ import annotations

import sqlalchemy as sa

from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.people.scope import in_scope
from gridcase.territory.models import Region


def worker_records(user: User, model) -> sa.ColumnElement[bool]:
    """Condition on `model` (with worker_id and territory columns): what `user` may see."""
    if user.role == Role.GRID_WORKER:
        return model.worker_id == user.id
    if user.role not in HANDLER_ROLES:
        return sa.false()
    return in_scope(user, model)


def worker_grid_at(worker: User, lon: float | None = None, lat: float | None = None) -> Region:
    """The worker's grid containing the point, else the worker's first grid.

    Raises:
        Unprocessable: the worker has no grid.
    """
    mine = {g.code: g for g in worker.grids}
    if not mine:
        raise Unprocessable(Message("You have no grid to work in."))
    if lon is not None and lat is not None:
        point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), SRID)
        code = db.session.scalar(
            sa.select(Region.code)
            .where(Region.code.in_(mine), sa.func.ST_Covers(Region.boundary, point))
            .limit(1)
        )
        if code:
            return mine[code]
    return mine[min(mine)]


def placed(grid: Region) -> dict:
    """The territory columns of a record placed in `grid`."""
    return {
        "grid_code": grid.code,
        "community_code": grid.community_code,
        "township_code": grid.township_code,
        "district_code": grid.district_code,
        "city_code": grid.city_code,
    }


def serialise_sends(worker: User, what: str, client_key: str) -> None:
    """Two sends of one record racing each other (a retry on a flaky line) are taken one after
    the other: the second waits here for the first, then finds it."""
    lock = sa.func.hashtextextended(f"{what}:{worker.id}:{client_key}", 0)
    db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(lock)))


def region_in_scope(user: User) -> sa.ColumnElement[bool]:
    """Condition on regions: those inside the user's scope (a grid worker's: their grids)."""
    if user.role == Role.GRID_WORKER:
        return Region.code.in_([g.code for g in user.grids])
    column = {
        "city": Region.city_code,
        "district": Region.district_code,
        "township": Region.township_code,
        "community": Region.community_code,
    }
    return column.get(user.scope_level, Region.city_code) == user.scope_code
