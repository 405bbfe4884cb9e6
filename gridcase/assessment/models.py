"""Assessment schemes (考核方案): versioned, per city and kind of subject; a version is never
changed once made, so a period's scores always come from the version in effect when it began."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.assessment.domain import INDICATORS, Item, Subject
from gridcase.extensions import db
from gridcase.people.models import User

TZ = sa.DateTime(timezone=True)
SUBJECT_VALUES = tuple(subject.value for subject in Subject)


class AssessmentScheme(db.Model):
    __tablename__ = "assessment_schemes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    city_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"))
    subject: so.Mapped[str] = so.mapped_column(sa.String(16))
    version: so.Mapped[int] = so.mapped_column()
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    # The first day of the month from which periods are scored by this version.
    effective_from: so.Mapped[date] = so.mapped_column(sa.Date)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))

    created_by: so.Mapped[User] = so.relationship(lazy="joined")
    items: so.Mapped[list[AssessmentSchemeItem]] = so.relationship(
        order_by="AssessmentSchemeItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        sa.UniqueConstraint("city_code", "subject", "version", name="uq_assessment_schemes_version"),
        sa.CheckConstraint(f"subject IN {SUBJECT_VALUES}", name="subject"),
        sa.CheckConstraint("extract(day FROM effective_from) = 1", name="effective_from_first_day"),
    )

    def domain_items(self) -> list[Item]:
        return [item.domain_item() for item in self.items]


class AssessmentSchemeItem(db.Model):
    __tablename__ = "assessment_scheme_items"

    scheme_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("assessment_schemes.id", ondelete="CASCADE"), primary_key=True
    )
    position: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator: so.Mapped[str] = so.mapped_column(sa.String(32))
    points: so.Mapped[Decimal] = so.mapped_column(sa.Numeric(6, 2))
    target: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(8, 4))
    cap: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(6, 2))

    __table_args__ = (sa.CheckConstraint(f"indicator IN {tuple(INDICATORS)}", name="indicator"),)

    def domain_item(self) -> Item:
        return Item(
            self.indicator,
            float(self.points),
            None if self.target is None else float(self.target),
            None if self.cap is None else float(self.cap),
        )
