"""Time limits per ladder level, due times and warning lights. Pure: no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from flask_babel import lazy_gettext as _l

from gridcase.cases.domain import OPEN_STATUSES, Status
from gridcase.ladder.calendar import WorkCalendar
from gridcase.vocabulary import LabelledEnum


class Light(LabelledEnum):
    GREEN = "green", _l("On time")  # 绿灯: within time
    YELLOW = "yellow", _l("Due soon")  # 黄灯: 80 % of the level's time has passed
    RED = "red", _l("Overdue")  # 红灯: overdue


def time_limit_days(
    level: str, category_limits: Mapping[str, int] | None, defaults: Mapping[str, int]
) -> int:
    """Working days a level has for a case of a category: the category's override, else the
    configured default for the level."""
    if category_limits and category_limits.get(level):
        return int(category_limits[level])
    try:
        return int(defaults[level])
    except KeyError:
        raise ValueError(f"no time limit is configured for level {level!r}") from None


def level_clock(
    started_at: datetime,
    limit_days: int,
    extension_days: int,
    calendar: WorkCalendar,
    warning_fraction: float,
) -> tuple[datetime, datetime]:
    """(warn_at, due_at) of a level whose clock started at `started_at`.

    An approved extension (延期) lengthens the level's time; the yellow light then comes at the
    same fraction of the longer time.
    """
    total = limit_days + extension_days
    due_at = calendar.add_working_days(started_at, total)
    warn_at = calendar.add_working_days(started_at, total * warning_fraction)
    return warn_at, due_at


def light(now: datetime, status: str, warn_at: datetime, due_at: datetime) -> Light | None:
    """The warning light of a case now; None once it is no longer open (resolved, closed …)."""
    if Status(status) not in OPEN_STATUSES:
        return None
    if now >= due_at:
        return Light.RED
    if now >= warn_at:
        return Light.YELLOW
    return Light.GREEN


def level_above(ladder: Sequence[str], level: str) -> str | None:
    """The next level up the ladder, or None at the top (矛盾不上交: nothing above the city)."""
    index = ladder.index(level)
    return ladder[index + 1] if index + 1 < len(ladder) else None


def level_rank(ladder: Sequence[str], level: str) -> int:
    return ladder.index(level)
