"""Tables of the grid worker's day: patrols (巡查) with their GPS track, the grids they covered
and what was found along the way; visits (走访) and the 民情日志."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from geoalchemy2 import Geometry, WKBElement

from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.gridwork.domain import VisitKind, VisitTopic

TZ = sa.DateTime(timezone=True)


class PlacedInGrid:
    """The territory columns of a worker's record placed in a grid (gridwork/places.py): the
    same as a case's, so the scope rules of cases select it."""

    city_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(15))
    township_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    community_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)

    @so.declared_attr
    def grid_code(cls) -> so.Mapped[str]:
        return so.mapped_column(sa.ForeignKey("regions.code"), index=True)


class Patrol(PlacedInGrid, db.Model):
    """One patrol (巡查) of a grid worker: when it started and ended, the GPS track sampled on
    the phone (a line whose M value is the seconds since the start), its length on the ground
    and the grids it passed through. Recorded on the phone, sent once when there is signal: the
    phone's key for it makes a second send the same patrol. Placed in the territory like a case
    (the grid where it started), so the same scope rules show it."""

    __tablename__ = "patrols"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    worker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    client_key: so.Mapped[str] = so.mapped_column(sa.String(128))
    started_at: so.Mapped[datetime] = so.mapped_column(TZ)
    ended_at: so.Mapped[datetime] = so.mapped_column(TZ)
    received_at: so.Mapped[datetime] = so.mapped_column(TZ)
    track: so.Mapped[WKBElement | None] = so.mapped_column(Geometry("LINESTRINGM", srid=SRID))
    point_count: so.Mapped[int] = so.mapped_column()
    distance_m: so.Mapped[float] = so.mapped_column(sa.Float)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    worker = so.relationship("User", lazy="joined")
    grids = so.relationship("PatrolGrid", order_by="PatrolGrid.grid_code", cascade="all, delete-orphan")
    findings = so.relationship("PatrolFinding", order_by="PatrolFinding.found_at", back_populates="patrol")

    __table_args__ = (
        sa.UniqueConstraint("worker_id", "client_key", name="uq_patrols_worker_key"),
        sa.CheckConstraint("ended_at >= started_at", name="period"),
        sa.Index("ix_patrols_started_at", "started_at"),
    )


class PatrolGrid(db.Model):
    """A grid a patrol's track passed through (巡查覆盖): what the coverage indicator counts."""

    __tablename__ = "patrol_grids"

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrols.id", ondelete="CASCADE"), primary_key=True
    )
    grid_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"), primary_key=True, index=True)


class PatrolFinding(db.Model):
    """Something found on a patrol (巡查发现): when and where along the way, what. It becomes a
    case in one tap (its place and words carried over); the case it became is kept."""

    __tablename__ = "patrol_findings"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    patrol_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("patrols.id", ondelete="CASCADE"), index=True)
    found_at: so.Mapped[datetime] = so.mapped_column(TZ)
    location: so.Mapped[WKBElement] = so.mapped_column(Geometry("POINT", srid=SRID))
    note: so.Mapped[str] = so.mapped_column(sa.Text)
    category_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("categories.code"))
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"))

    patrol = so.relationship("Patrol", back_populates="findings")


class Visit(PlacedInGrid, db.Model):
    """A visit to a household or a place (走访), or an entry of the worker's 民情日志: when and
    where, what it was about, whom the worker met (residents' names: encrypted like the
    parties of a case, masked when shown, in clear only with a reason that is audited), what they
    saw and what people asked for (诉求), an optional photo (cleaned like a case's photos). A
    concern becomes a case in one tap; the visit keeps the case. Placed in the worker's grid at
    its point, so the scope rules of cases show it."""

    __tablename__ = "visits"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    worker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    client_key: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))  # VisitKind
    topic: so.Mapped[str | None] = so.mapped_column(sa.String(20))  # VisitTopic; none for a diary entry
    visited_at: so.Mapped[datetime] = so.mapped_column(TZ, index=True)
    recorded_at: so.Mapped[datetime] = so.mapped_column(TZ)
    target: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # 户 or 场所: an address, a name
    people_met_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    people_met_masked: so.Mapped[str] = so.mapped_column(sa.String(400), default="")
    content: so.Mapped[str] = so.mapped_column(sa.Text)  # 走访情况 / 日志内容
    concerns: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # 群众诉求、发现的问题
    location: so.Mapped[WKBElement] = so.mapped_column(Geometry("POINT", srid=SRID))
    photo: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    photo_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"))
    anonymised_at: so.Mapped[datetime | None] = so.mapped_column(TZ)  # retention: names erased

    worker = so.relationship("User", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("worker_id", "client_key", name="uq_visits_worker_key"),
        sa.CheckConstraint(f"kind IN {VisitKind.sql_values()}", name="kind"),
        sa.CheckConstraint(f"topic IN {VisitTopic.sql_values()}", name="topic"),
        sa.CheckConstraint("(kind = 'diary') = (topic IS NULL)", name="topic_of_a_visit"),
    )
