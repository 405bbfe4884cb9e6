"""Helpers for integration tests: places in the demo city and valid request bodies."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.territory.models import Region

FENGQIAO = "330681109000"  # 枫桥镇
JIYANG = "330681001000"  # 暨阳街道
CITY = "330681000000"
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the demo city's time zone


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
    """Remove cases a concurrency or browser test had to commit, with every row that points at
    them (found from the foreign keys, so new tables are covered). The event log refuses
    DELETE, so its trigger is bypassed for this clean-up only."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return
    with app.app_context(), db.engine.begin() as connection:
        referencing = connection.execute(
            sa.text(
                """
                SELECT c.conrelid::regclass::text, a.attname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid = 'cases'::regclass AND c.conrelid <> 'cases'::regclass
                """
            )
        ).all()
        connection.execute(
            sa.text(
                "DELETE FROM alerts WHERE id IN (SELECT alert_id FROM alert_cases WHERE case_id = ANY(:ids))"
            ),
            {"ids": ids},
        )
        connection.execute(sa.text("ALTER TABLE case_events DISABLE TRIGGER case_events_no_change"))
        for table, column in referencing:
            connection.execute(sa.text(f'DELETE FROM {table} WHERE "{column}" = ANY(:ids)'), {"ids": ids})
        connection.execute(sa.text("ALTER TABLE case_events ENABLE TRIGGER case_events_no_change"))
        connection.execute(
            sa.text("UPDATE cases SET duplicate_of_id = NULL WHERE duplicate_of_id = ANY(:ids)"), {"ids": ids}
        )
        connection.execute(sa.text("DELETE FROM cases WHERE id = ANY(:ids)"), {"ids": ids})
