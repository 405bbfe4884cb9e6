"""Helpers for integration tests: places in the demo city and valid request bodies."""

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.territory.models import Region

FENGQIAO = "330681109000"  # 枫桥镇
JIYANG = "330681001000"  # 暨阳街道
CITY = "330681000000"


def grid_in(township_code: str, index: int = 0) -> Region:
    """The index-th grid (by code) of a township of the demo city."""
    return db.session.scalars(
        sa.select(Region)
        .where(Region.level == "grid", Region.township_code == township_code)
        .order_by(Region.code)
        .offset(index)
        .limit(1)
    ).one()


def point_in(region_code: str) -> tuple[float, float]:
    """A point inside a region (PostGIS's point on surface)."""
    row = db.session.execute(
        sa.select(
            sa.func.ST_X(sa.func.ST_PointOnSurface(Region.boundary)),
            sa.func.ST_Y(sa.func.ST_PointOnSurface(Region.boundary)),
        ).where(Region.code == region_code)
    ).one()
    return row[0], row[1]


def case_payload(grid_code: str, **overrides) -> dict:
    """A valid case body located inside `grid_code`."""
    lon, lat = point_in(grid_code)
    body = {
        "kind": "incident",
        "category": "E0102",
        "title": "路边暴露垃圾",
        "description": "桥头有一堆生活垃圾未清运",
        "location": {"lon": lon, "lat": lat, "crs": "wgs84", "accuracy_m": 6.5},
        "address": "枫桥镇桥头",
        "severity": "general",
        "people_involved": 0,
    }
    body.update(overrides)
    return body


def delete_committed_cases(app, ids) -> None:
    """Remove cases a concurrency test had to commit, with everything that points at them.
    The event log refuses DELETE, so its trigger is bypassed for this clean-up only."""
    ids = [i for i in ids if i is not None]
    with app.app_context(), db.engine.begin() as connection:
        run = lambda sql: connection.execute(sa.text(sql), {"ids": ids})  # noqa: E731
        run("DELETE FROM notifications WHERE case_id = ANY(:ids)")
        run("DELETE FROM alerts WHERE id IN (SELECT alert_id FROM alert_cases WHERE case_id = ANY(:ids))")
        run("DELETE FROM alert_cases WHERE case_id = ANY(:ids)")
        connection.execute(sa.text("ALTER TABLE case_events DISABLE TRIGGER case_events_no_change"))
        run("DELETE FROM case_events WHERE case_id = ANY(:ids)")
        connection.execute(sa.text("ALTER TABLE case_events ENABLE TRIGGER case_events_no_change"))
        run("DELETE FROM case_parties WHERE case_id = ANY(:ids)")
        run("DELETE FROM cases WHERE id = ANY(:ids)")
