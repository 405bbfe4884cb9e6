"""Reading risk alerts within a user's scope: lists, one alert, and the cases it links."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.cases.models import Case
from gridcase.cases.queries import visible_cases
from gridcase.errors import Forbidden, NotFound
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import CASE_READER_ROLES, Role
from gridcase.people.scope import covers_region, in_scope, territory_column
from gridcase.stats.models import Alert, AlertStatus, alert_cases
from gridcase.territory.models import Region

OPEN_ALERT_STATUSES = (AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)
# The node an alert concerns: its narrowest territory code.
ALERT_NODE = sa.func.coalesce(
    Alert.grid_code, Alert.community_code, Alert.township_code, Alert.district_code, Alert.city_code
)


def alerts_in_scope(user: User) -> sa.ColumnElement[bool]:
    """Condition on `alerts`: the alert's node lies inside the user's scope node (for a grid
    worker: the alert is about one of their grids)."""
    if user.role not in CASE_READER_ROLES:
        return sa.false()
    return in_scope(user, Alert)


def _check_reader(user: User) -> None:
    if Role(user.role) not in CASE_READER_ROLES:
        raise Forbidden("Your role does not read risk alerts.")


@dataclass
class AlertPage:
    items: list[tuple[Alert, Region | None, int]]  # the alert, its node, how many cases it links
    total: int
    page: int
    page_size: int


def _case_count():
    return (
        sa.select(sa.func.count())
        .select_from(alert_cases)
        .where(alert_cases.c.alert_id == Alert.id)
        .scalar_subquery()
    )


def list_alerts(viewer: User, filters: dict, page: int = 1, page_size: int = 20) -> AlertPage:
    """Alerts in the viewer's scope (default: open and acknowledged), red before yellow, newest first.

    Raises:
        Forbidden: the role reads no alerts (admin, auditor).
    """
    _check_reader(viewer)
    conditions = [alerts_in_scope(viewer), Alert.status.in_(filters.get("status") or OPEN_ALERT_STATUSES)]
    if filters.get("kind"):
        conditions.append(Alert.kind.in_(filters["kind"]))
    if filters.get("region"):  # the drilled-down area of the command centre
        region = db.session.get(Region, filters["region"])
        if region is None or not covers_region(viewer, region):
            raise NotFound(Message("No territory node has the code %(code)s.", code=str(filters["region"])))
        conditions.append(territory_column(Alert, region.level) == region.code)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Alert).where(*conditions))
    rows = db.session.execute(
        sa.select(Alert, Region, _case_count())
        .outerjoin(Region, Region.code == ALERT_NODE)
        .where(*conditions)
        .options(so.joinedload(Alert.acknowledged_by), so.joinedload(Alert.closed_by))
        .order_by((Alert.severity == "red").desc(), Alert.opened_at.desc(), Alert.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return AlertPage(items=[tuple(row) for row in rows], total=total, page=page, page_size=page_size)


def find_alert(viewer: User, alert_id: int) -> tuple[Alert, Region | None, int]:
    """One alert in the viewer's scope, with its node and how many cases it links.

    Raises:
        Forbidden: the role reads no alerts.
        NotFound: no such alert, or outside the viewer's scope (the answer is the same).
    """
    _check_reader(viewer)
    row = db.session.execute(
        sa.select(Alert, Region, _case_count())
        .outerjoin(Region, Region.code == ALERT_NODE)
        .where(Alert.id == alert_id, alerts_in_scope(viewer))
    ).first()
    if row is None:
        raise NotFound(Message("No alert %(alert_id)s in your scope.", alert_id=str(alert_id)))
    return tuple(row)


def alert_cases_visible(viewer: User, alert: Alert) -> list[Case]:
    """The cases an alert links that the viewer may see, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .join(alert_cases, alert_cases.c.case_id == Case.id)
            .where(alert_cases.c.alert_id == alert.id, visible_cases(viewer))
            .order_by(Case.created_at, Case.id)
        )
    )
