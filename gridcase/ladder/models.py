"""The working-day calendar as data: only the exceptions to "Monday–Friday work"."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.extensions import db


class CalendarDay(db.Model):
    """A public holiday on a weekday (working=False) or a 调休 working weekend (working=True)."""

    __tablename__ = "calendar_days"

    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    working: so.Mapped[bool] = so.mapped_column()
    name: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    year: so.Mapped[int] = so.mapped_column(index=True)
