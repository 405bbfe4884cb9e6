"""Tables of the grid worker's day: patrols (巡查) with their GPS track, the grids they covered
and what was found along the way; visits (走访) and the 民情日志; the people and hazards under
watch with their follow-ups; the rounds of 矛盾纠纷排查 and each grid's report; the houses,
residents and places of the grid (人房事物)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from geoalchemy2 import Geometry, WKBElement

from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.gridwork.domain import (
    HouseKind,
    PlaceKind,
    Residence,
    VisitKind,
    VisitTopic,
    WatchCategory,
    WatchKind,
)

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


class WatchItem(PlacedInGrid, db.Model):
    """A person (重点人员, 关爱对象) or a hazard (风险隐患) of a grid kept under watch: its category
    and grade, who answers for the follow-ups (包联责任人: a grid worker of the grid) and their
    rhythm in days (e.g. 30: a monthly visit), the day the next one is due. A person's name, ID
    number and phone are encrypted like a case's parties and shown masked."""

    __tablename__ = "watch_items"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))  # WatchKind
    category: so.Mapped[str] = so.mapped_column(sa.String(24))  # WatchCategory
    grade: so.Mapped[str] = so.mapped_column(sa.String(8))  # RiskGrade: high, medium, low
    title: so.Mapped[str] = so.mapped_column(sa.String(200))  # a hazard's name; a person's masked name
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    name_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    id_number_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    phone_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    id_number_masked: so.Mapped[str] = so.mapped_column(sa.String(24), default="")
    phone_masked: so.Mapped[str] = so.mapped_column(sa.String(16), default="")
    location: so.Mapped[WKBElement] = so.mapped_column(Geometry("POINT", srid=SRID))
    responsible_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    rhythm_days: so.Mapped[int] = so.mapped_column()
    next_due: so.Mapped[date] = so.mapped_column(sa.Date)
    last_followed_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    overdue_alerted_for: so.Mapped[date | None] = so.mapped_column(sa.Date)  # the due day alerted
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(TZ)  # 解除管控 / 隐患消除
    close_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    responsible = so.relationship("User", foreign_keys=[responsible_id], lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {WatchKind.sql_values()}", name="kind"),
        sa.CheckConstraint(f"category IN {WatchCategory.sql_values()}", name="category"),
        sa.CheckConstraint("grade IN ('high', 'medium', 'low')", name="grade"),
        sa.CheckConstraint("rhythm_days BETWEEN 1 AND 366", name="rhythm"),
        sa.Index("ix_watch_items_due", "next_due", postgresql_where=sa.text("closed_at IS NULL")),
    )


class WatchFollowUp(db.Model):
    """One follow-up of a watched person or hazard (走访、回访、巡查复核): when, by whom, what."""

    __tablename__ = "watch_follow_ups"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    item_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("watch_items.id", ondelete="CASCADE"), index=True
    )
    followed_at: so.Mapped[datetime] = so.mapped_column(TZ)
    by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    note: so.Mapped[str] = so.mapped_column(sa.Text)


class ScreeningRound(db.Model):
    """A round of 矛盾纠纷排查 called by a township or the city for a period (e.g. 2026年12月):
    every grid of its region reports what it found, or a 零报告, by the due day."""

    __tablename__ = "screening_rounds"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    region_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"), index=True)
    city_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    period: so.Mapped[str] = so.mapped_column(sa.String(40))
    due_on: so.Mapped[date] = so.mapped_column(sa.Date)
    opened_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))  # None: the monthly one
    opened_at: so.Mapped[datetime] = so.mapped_column(TZ)
    missing_checked_at: so.Mapped[datetime | None] = so.mapped_column(TZ)  # the sweep's alerts raised

    region = so.relationship("Region", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("region_code", "period", name="uq_screening_rounds_region_period"),)


class ScreeningReport(db.Model):
    """A grid's report in a screening round: the disputes found (and what), or a 零报告."""

    __tablename__ = "screening_reports"

    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("screening_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    grid_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"), primary_key=True)
    reported_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    reported_at: so.Mapped[datetime] = so.mapped_column(TZ)
    disputes_found: so.Mapped[int] = so.mapped_column()
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    __table_args__ = (sa.CheckConstraint("disputes_found >= 0", name="disputes_found"),)

    @property
    def zero_report(self) -> bool:
        return self.disputes_found == 0


class House(PlacedInGrid, db.Model):
    """A house or building of a grid (房): its number in the grid's register (e.g. 3组21号, a
    building's 3幢), address, kind and place (a point; its outline when known)."""

    __tablename__ = "houses"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    ref: so.Mapped[str] = so.mapped_column(sa.String(40))  # 房屋编号, unique in its grid
    address: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))  # HouseKind
    location: so.Mapped[WKBElement | None] = so.mapped_column(Geometry("POINT", srid=SRID))
    outline: so.Mapped[WKBElement | None] = so.mapped_column(Geometry("POLYGON", srid=SRID))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(TZ)

    residents = so.relationship("Resident", back_populates="house", order_by="Resident.id")

    __table_args__ = (
        sa.UniqueConstraint("grid_code", "ref", name="uq_houses_grid_ref"),
        sa.CheckConstraint(f"kind IN {HouseKind.sql_values()}", name="kind"),
    )


class Resident(db.Model):
    """A person living in a house of the grid (人): name, ID number and phone encrypted like a
    case's parties (the ID number's keyed hash finds them again), shown masked; their place in
    the household, whether registered here or living here from elsewhere, and tags as data."""

    __tablename__ = "residents"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    house_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("houses.id", ondelete="CASCADE"), index=True)
    grid_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"), index=True)
    name_encrypted: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    id_number_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    id_number_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    phone_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    name_masked: so.Mapped[str] = so.mapped_column(sa.String(60))
    id_number_masked: so.Mapped[str] = so.mapped_column(sa.String(24), default="")
    phone_masked: so.Mapped[str] = so.mapped_column(sa.String(16), default="")
    relation: so.Mapped[str] = so.mapped_column(sa.String(20), default="")  # 与户主关系: 户主、配偶、子女 …
    residence: so.Mapped[str] = so.mapped_column(sa.String(12))  # Residence
    tags: so.Mapped[list[str]] = so.mapped_column(sa.ARRAY(sa.String(24)), default=list)
    updated_at: so.Mapped[datetime] = so.mapped_column(TZ)

    house = so.relationship("House", back_populates="residents")

    __table_args__ = (
        sa.CheckConstraint(f"residence IN {Residence.sql_values()}", name="residence"),
        sa.UniqueConstraint("grid_code", "id_number_hash", name="uq_residents_grid_id_number"),
    )


class Place(PlacedInGrid, db.Model):
    """A unit or place of the grid (事、物: 商铺, 九小场所, 学校, 出租房 …): its name, kind,
    address, place, and the person in charge (name and phone encrypted, shown masked)."""

    __tablename__ = "places"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))  # PlaceKind
    address: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    location: so.Mapped[WKBElement | None] = so.mapped_column(Geometry("POINT", srid=SRID))
    contact_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    contact_phone_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    contact_masked: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    contact_phone_masked: so.Mapped[str] = so.mapped_column(sa.String(16), default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(TZ)

    __table_args__ = (
        sa.UniqueConstraint("grid_code", "name", name="uq_places_grid_name"),
        sa.CheckConstraint(f"kind IN {PlaceKind.sql_values()}", name="kind"),
    )
