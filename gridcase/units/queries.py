"""Reading units: a city's, and the default one for a category in a region."""

from __future__ import annotations

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.units.models import Unit


def city_units(city_code: str, active_only: bool = True) -> list[Unit]:
    """The units of a city: the city's departments and committees first, then each township's
    stations, by code."""
    query = sa.select(Unit).where(Unit.city_code == city_code)
    if active_only:
        query = query.where(Unit.active)
    return list(db.session.scalars(query.order_by((Unit.level == "city").desc(), Unit.code)))
