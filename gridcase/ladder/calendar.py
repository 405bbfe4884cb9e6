"""Working-day arithmetic on a holiday calendar. Pure: no database.

A level's time limit is counted in working days of elapsed time: the clock runs only during
working days (local midnight to midnight) and stands still on weekends and public holidays.
A case handed to a level on Monday 10:00 with 3 working days is due Thursday 10:00; one handed
over on Saturday is due at the end of Wednesday (the clock starts on Monday 00:00).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
# No time limit reaches this far; a calendar walk past it means a bug, not a long case.
MAX_CALENDAR_DAYS = 3660


@dataclass(frozen=True)
class WorkCalendar:
    """Weekends off, weekdays on, except where `exceptions` says otherwise for a date."""

    timezone: ZoneInfo
    exceptions: Mapping[date, bool] = field(default_factory=dict)

    def is_working(self, day: date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def _midnight_after(self, moment: datetime) -> datetime:
        local_day = moment.astimezone(self.timezone).date()
        return datetime.combine(local_day + DAY, time(), self.timezone).astimezone(UTC)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The moment when `amount` of working time has passed since `start`."""
        if amount < timedelta(0):
            raise ValueError("amount of working time must not be negative")
        cursor = start.astimezone(UTC)
        remaining = amount
        for _ in range(MAX_CALENDAR_DAYS):
            next_midnight = self._midnight_after(cursor)
            if self.is_working(cursor.astimezone(self.timezone).date()):
                available = next_midnight - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            cursor = next_midnight
        raise ValueError("working-time arithmetic ran past ten years")

    def add_working_days(self, start: datetime, days: float) -> datetime:
        return self.add_working_time(start, days * DAY)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from `start` to `end` (zero if end is not after start)."""
        cursor, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        for _ in range(MAX_CALENDAR_DAYS):
            if cursor >= end:
                return total
            next_midnight = min(self._midnight_after(cursor), end)
            if self.is_working(cursor.astimezone(self.timezone).date()):
                total += next_midnight - cursor
            cursor = next_midnight
        raise ValueError("working-time arithmetic ran past ten years")
