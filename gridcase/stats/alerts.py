"""Raising risk alerts. Rules that need a scan of many cases run in the scheduler (issue: stats);
the immediate ones are raised where the event happens (intake, the sweep)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gridcase.cases.models import Case
from gridcase.extensions import db
from gridcase.stats.models import Alert, AlertKind, alert_cases


def raise_case_alert(
    case: Case, kind: AlertKind, title: str, at: datetime, severity: str = "red"
) -> int | None:
    """Open an alert about one case unless the same one is already open; returns its id."""
    key = f"{kind.value}:{case.id}"
    alert_id = db.session.scalar(
        insert(Alert)
        .values(
            kind=kind.value,
            severity=severity,
            title=title[:300],
            city_code=case.city_code,
            district_code=case.district_code,
            township_code=case.township_code,
            community_code=case.community_code,
            grid_code=case.grid_code,
            dedup_key=key,
            status="open",
            opened_at=at,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"], index_where=sa.text("status <> 'closed'"))
        .returning(Alert.id)
    )
    if alert_id is not None:
        db.session.execute(sa.insert(alert_cases).values(alert_id=alert_id, case_id=case.id))
    return alert_id
