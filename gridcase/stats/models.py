"""Risk alerts (风险预警) and the cases each one links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.extensions import db

TZ = sa.DateTime(timezone=True)


class AlertKind(StrEnum):
    MAJOR_CASE = "major_case"  # a major or critical case was logged (immediate red alert)
    TOP_OVERDUE = "top_overdue"  # overdue at the top of the ladder: 督办
    MASS_INCIDENT = "mass_incident"  # people involved at or above the threshold
    HOTSPOT = "hotspot"  # several cases of one category in one grid within days
    REPEAT_PARTY = "repeat_party"  # one person in several open disputes
    MAY_INTENSIFY = "may_intensify"  # 可能激化


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


alert_cases = sa.Table(
    "alert_cases",
    db.metadata,
    sa.Column("alert_id", sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("case_id", sa.ForeignKey("cases.id"), primary_key=True, index=True),
)


class Alert(db.Model):
    __tablename__ = "alerts"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    severity: so.Mapped[str] = so.mapped_column(sa.String(8), default="red")  # red | yellow
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    # The territory the alert concerns (the narrowest node that holds all its cases).
    city_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(15))
    township_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    community_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    grid_code: so.Mapped[str | None] = so.mapped_column(sa.String(15))
    # One open alert per situation: the rule's key (e.g. "top_overdue:42"); closed ones may repeat.
    dedup_key: so.Mapped[str] = so.mapped_column(sa.String(120))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=AlertStatus.OPEN.value, index=True)
    opened_at: so.Mapped[datetime] = so.mapped_column(TZ)
    acknowledged_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    acknowledged_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    closed_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    closed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    __table_args__ = (
        sa.Index(
            "uq_alerts_open_dedup_key",
            "dedup_key",
            unique=True,
            postgresql_where=sa.text("status <> 'closed'"),
        ),
        sa.CheckConstraint("severity IN ('red', 'yellow')", name="severity"),
        sa.CheckConstraint("status IN ('open', 'acknowledged', 'closed')", name="status"),
    )
