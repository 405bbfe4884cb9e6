"""The working-day calendar in the database, and a case's clock at its current level."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gridcase.errors import ImportRejected
from gridcase.extensions import db
from gridcase.ladder.calendar import WorkCalendar
from gridcase.ladder.limits import level_clock, time_limit_days
from gridcase.ladder.models import CalendarDay
from gridcase.reference import kept
from gridcase.settings import local_tz, setting


def load_calendar() -> WorkCalendar:
    """The working-day calendar: weekdays work, weekends off, with the stored exceptions (kept
    in the process until they change: gridcase.reference)."""
    return WorkCalendar(timezone=local_tz(), exceptions=kept("calendar exceptions", _read_exceptions))


def _read_exceptions() -> Mapping[date, bool]:
    rows = db.session.execute(sa.select(CalendarDay.day, CalendarDay.working))
    return MappingProxyType({day: working for day, working in rows})  # (shared: read-only)


def import_calendar(document: dict) -> int:
    """Replace one year's exceptions with those of `document` (see geodata/calendar/).

    Raises:
        ImportRejected: the document is malformed; nothing is written.
    """
    problems = []
    year = document.get("year")
    if not isinstance(year, int):
        problems.append("year must be a number such as 2026")
    rows = []
    for index, entry in enumerate(document.get("days") or [], start=1):
        try:
            day = date.fromisoformat(entry["date"])
        except (KeyError, TypeError, ValueError):
            problems.append(f"day #{index}: date must be YYYY-MM-DD")
            continue
        if day.year != year:
            problems.append(f"{day}: not in {year}")
        if not isinstance(entry.get("working"), bool):
            problems.append(f"{day}: working must be true or false")
        rows.append(
            {"day": day, "working": entry.get("working"), "name": entry.get("name", "")[:64], "year": year}
        )
    if problems:
        raise ImportRejected("The calendar was not imported.", problems)
    db.session.execute(sa.delete(CalendarDay).where(CalendarDay.year == year))
    if rows:
        db.session.execute(insert(CalendarDay), rows)
    return len(rows)


def import_calendar_file(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        return import_calendar(json.load(handle))


def clock_for_level(
    level: str,
    started_at: datetime,
    category_limits: dict | None,
    extension_days: int = 0,
    calendar: WorkCalendar | None = None,
) -> tuple[datetime, datetime]:
    """(warn_at, due_at) of a case whose clock at `level` started at `started_at`."""
    limit = time_limit_days(level, category_limits, setting("GRIDCASE_TIME_LIMITS"))
    return level_clock(
        started_at,
        limit,
        extension_days,
        calendar or load_calendar(),
        float(setting("GRIDCASE_WARNING_FRACTION")),
    )
