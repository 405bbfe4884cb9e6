"""督办 counted for assessment (督办考核, DESIGN §5): for each target the city's 督办单 on a node's
cases were addressed to in a period — a centre (the level handling the case, named by its node:
枫桥镇, 城东社区 …) or a unit — how many it received, how many red cards, how many it answered
and how many of those in time, how many replies the centre accepted and how many it had to
supervise again.

Counted live from `supervisions` in one statement, over the 督办单 issued in the period (local
days). A reply is judged when it came, or when its deadline has passed without one: an open
督办单 past due counts as late now, as an open assignment does for a unit.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.settings import utcnow
from gridcase.stats.indicators import rate
from gridcase.stats.queries import StatsQuery

# The counts of each target, over its 督办单 `s` (SQL conditions), in the order shown.
SUPERVISION_COUNTS = {
    "supervised": "TRUE",  # 督办数
    "yellow": "s.grade = 'yellow'",  # 黄牌数
    "red": "s.grade = 'red'",  # 红牌数
    "reply_due": "s.replied_at IS NOT NULL OR s.reply_due_at <= :now",  # replies that could be judged
    "replied_on_time": "s.replied_at <= s.reply_due_at",  # 按期回复
    "accepted": "s.status = 'accepted'",  # 回复认可
    "again": "s.status = 'again'",  # 再次督办
}
# rate: (numerator, denominator)
SUPERVISION_RATES = {
    "reply_on_time_rate": ("replied_on_time", "reply_due"),  # 按期回复率
    "acceptance_rate": ("accepted", "evaluated"),  # 回复认可率
}
# The node holding the case at each target level (the centre the 督办单 was addressed to).
_TARGET_NODE = (
    "CASE s.target_level WHEN 'community' THEN c.community_code WHEN 'township' THEN c.township_code "
    "WHEN 'district' THEN c.district_code WHEN 'city' THEN c.city_code END"
)


def supervision_table(query: StatsQuery, now: datetime | None = None) -> dict:
    """The 督办 of the node's cases issued in the period, one row per target, most first."""
    conditions, params = query.case_conditions("s.issued_at")
    params["now"] = now or utcnow()
    counts = ", ".join(f"count(*) FILTER (WHERE {sql}) AS {name}" for name, sql in SUPERVISION_COUNTS.items())
    sql = f"""
        WITH s AS (
            SELECT s.*, {_TARGET_NODE} AS target_node
            FROM supervisions s JOIN cases c ON c.id = s.case_id
            WHERE {" AND ".join(conditions)}
        )
        SELECT s.target_unit_code AS unit_code, s.target_level AS level, s.target_node AS node_code,
               coalesce(u.name, r.name) AS name, {counts}
        FROM s
        LEFT JOIN units u ON u.code = s.target_unit_code
        LEFT JOIN regions r ON r.code = s.target_node AND s.target_unit_code IS NULL
        GROUP BY s.target_unit_code, s.target_level, s.target_node, u.name, r.name
        ORDER BY supervised DESC, red DESC, name
    """
    targets = []
    for row in db.session.execute(sa.text(sql), params).mappings():
        figures = {name: int(row[name]) for name in SUPERVISION_COUNTS}
        figures["evaluated"] = figures["accepted"] + figures["again"]
        targets.append(
            {
                "unit_code": row["unit_code"],
                "level": row["level"],
                "node_code": row["node_code"],
                "name": row["name"],
                "counts": figures,
                "indicators": {
                    key: rate(figures[n], figures[d]) for key, (n, d) in SUPERVISION_RATES.items()
                },
            }
        )
    return {**query.header(), "targets": targets}
