"""The units cases are dispatched to, and the categories each handles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.extensions import db
from gridcase.people.roles import UNIT_LEVELS
from gridcase.units.domain import UnitKind
from gridcase.units.lifecycle import OPEN_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus, ReturnReason

# The open statuses as an SQL list, for the partial indexes (which must say their values inline).
OPEN_SQL = AssignmentStatus.sql_values(OPEN_ASSIGNMENT_STATUSES)


class Unit(db.Model):
    """A 职能部门, 站所 or 专业调委会: the region it serves, and its default limits in working days
    for signing for a dispatched case (签收) and for finishing it (办结)."""

    __tablename__ = "units"

    code: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    name_en: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    level: so.Mapped[str] = so.mapped_column(sa.String(16))
    region_code: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    # The city of the region (units are managed and seen within one city).
    city_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    credit_code: so.Mapped[str | None] = so.mapped_column(sa.String(18))  # 统一社会信用代码
    sign_days: so.Mapped[int] = so.mapped_column()
    finish_days: so.Mapped[int] = so.mapped_column()
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    created_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )

    handles: so.Mapped[list[UnitCategory]] = so.relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnitCategory.category_code"
    )

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {tuple(k.value for k in UnitKind)}", name="kind"),
        sa.CheckConstraint(f"level IN {UNIT_LEVELS}", name="level"),
        sa.CheckConstraint("sign_days BETWEEN 1 AND finish_days", name="sign_days"),
        sa.CheckConstraint("finish_days BETWEEN 1 AND 366", name="finish_days"),
    )

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


class UnitCategory(db.Model):
    """A category a unit handles; whether it is the region's default unit for it (the one a
    dispatch proposes); and its own limits for the category where they differ from the unit's."""

    __tablename__ = "unit_categories"

    unit_code: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("units.code", ondelete="CASCADE"), primary_key=True
    )
    category_code: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("categories.code", ondelete="RESTRICT"), primary_key=True
    )
    # The unit's region, repeated so that "one default per region and category" is an index.
    region_code: so.Mapped[str] = so.mapped_column(sa.String(15))
    is_default: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    sign_days: so.Mapped[int | None] = so.mapped_column()
    finish_days: so.Mapped[int | None] = so.mapped_column()

    unit: so.Mapped[Unit] = so.relationship(back_populates="handles")

    __table_args__ = (
        sa.Index(
            "uq_unit_categories_default",
            "region_code",
            "category_code",
            unique=True,
            postgresql_where=sa.text("is_default"),
        ),
        sa.Index("ix_unit_categories_category", "category_code"),
        sa.CheckConstraint("sign_days IS NULL OR sign_days BETWEEN 1 AND 366", name="sign_days"),
        sa.CheckConstraint("finish_days IS NULL OR finish_days BETWEEN 1 AND 366", name="finish_days"),
    )

    def limits(self) -> tuple[int, int]:
        """(signing, finishing) working days for this category at this unit."""
        return (self.sign_days or self.unit.sign_days, self.finish_days or self.unit.finish_days)


class CaseAssignment(db.Model):
    """A case dispatched to a unit, as lead (主办) or assisting (协办) unit, with its own clocks
    (gridcase.units.lifecycle). Every change of it is also an event of the case's log."""

    __tablename__ = "case_assignments"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    unit_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("units.code", ondelete="RESTRICT"))
    role: so.Mapped[str] = so.mapped_column(sa.String(8))
    status: so.Mapped[str] = so.mapped_column(sa.String(12))
    requirement: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Who dispatched it, from which ladder level, when; the clocks run from `started_at` (the
    # dispatch, or the rework that sent it back).
    dispatched_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    dispatched_level: so.Mapped[str] = so.mapped_column(sa.String(16))
    dispatched_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    started_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    sign_days: so.Mapped[int] = so.mapped_column()
    finish_days: so.Mapped[int] = so.mapped_column()
    sign_warn_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    sign_due_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    finish_warn_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    finish_due_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    signed_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    signed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    returned_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    return_reason: so.Mapped[str | None] = so.mapped_column(sa.String(24))
    return_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    done_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    done_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    rework_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # When the sweep found it late (once per clock; it tells the unit's head and the centre).
    sign_overdue_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    finish_overdue_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    unit: so.Mapped[Unit] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint(f"role IN {tuple(r.value for r in AssignmentRole)}", name="role"),
        sa.CheckConstraint(f"status IN {tuple(s.value for s in AssignmentStatus)}", name="status"),
        sa.CheckConstraint(
            f"return_reason IS NULL OR return_reason IN {tuple(r.value for r in ReturnReason)}",
            name="return_reason",
        ),
        sa.CheckConstraint("rework_count >= 0", name="rework_count"),
        # One open lead per case, and one open assignment per case and unit.
        sa.Index(
            "uq_case_assignments_open_lead",
            "case_id",
            unique=True,
            postgresql_where=sa.text(f"role = 'lead' AND status IN {OPEN_SQL}"),
        ),
        sa.Index(
            "uq_case_assignments_open_unit",
            "case_id",
            "unit_code",
            unique=True,
            postgresql_where=sa.text(f"status IN {OPEN_SQL}"),
        ),
        # A unit's queue, the sweep's due assignments, and the by-unit indicators of a period
        # (gridcase.stats.unit_indicators: the assignments dispatched in it).
        sa.Index("ix_case_assignments_unit_status", "unit_code", "status"),
        sa.Index("ix_case_assignments_dispatched_at", "dispatched_at"),
        sa.Index(
            "ix_case_assignments_open_due",
            "finish_due_at",
            postgresql_where=sa.text(f"status IN {OPEN_SQL}"),
        ),
    )
