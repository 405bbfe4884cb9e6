"""Rounds of 矛盾纠纷排查: a township (or district, or the city) calls a round for a period — in
practice monthly, more often before holidays and sensitive dates — and every grid of its region
reports by the due day what disputes it found, or a 零报告 (nothing found: said, not assumed).
The day after the due day the sweep raises an alert for each grid that filed nothing (排查未报),
once per round. With GRIDCASE_MONTHLY_SCREENING_DUE_DAY set, the sweep opens each month's round
for every township by itself.

Source: the 矛盾纠纷排查化解 rules of the 综治 / 平安建设 system (村（社区）每周、乡镇（街道）每半月、
县每月排查; 零报告制度: a unit with nothing to report still reports that it has nothing).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.gridwork.models import ScreeningReport, ScreeningRound
from gridcase.gridwork.places import placed
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.people.scope import covers_region
from gridcase.settings import local_tz, setting
from gridcase.stats.alerts import raise_area_alert
from gridcase.stats.models import AlertKind
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region

CALLING_ROLES = (Role.TOWNSHIP_COORDINATOR, Role.DISTRICT_COORDINATOR, Role.CITY_COMMANDER)


def open_round(user: User, region_code: str, period: str, due_on: date, now: datetime) -> ScreeningRound:
    """A round called for the grids of a township, district or city in the caller's scope.

    Raises:
        Forbidden: not a township, district or city centre.
        NotFound: no such region in the caller's scope.
        Unprocessable: not a township, district or city; no period; a due day already past; a
            round of the same period for the region already.
    """
    if user.role not in CALLING_ROLES:
        raise Forbidden(Message("A township, district or city centre calls a screening round."))
    region = db.session.get(Region, region_code)
    if region is None or not covers_region(user, region):
        raise NotFound(Message("No region %(region_code)s in your scope.", region_code=str(region_code)))
    problems = {}
    if region.level not in (RegionLevel.TOWNSHIP.value, RegionLevel.DISTRICT.value, RegionLevel.CITY.value):
        problems["region"] = [Message("A round covers a township, a district or the city.")]
    if not (period or "").strip():
        problems["period"] = [Message("Name the period, e.g. 2026年12月.")]
    if due_on < now.astimezone(local_tz()).date():
        problems["due_on"] = [Message("The due day has passed already.")]
    duplicate = db.session.scalar(
        sa.select(ScreeningRound.id).where(
            ScreeningRound.region_code == region.code, ScreeningRound.period == (period or "").strip()
        )
    )
    if duplicate:
        problems["period"] = [Message("A round of this period is open for the region already.")]
    if problems:
        raise Unprocessable(Message("The round cannot be opened."), problems)
    round_ = ScreeningRound(
        region_code=region.code,
        city_code=region.city_code or region.code,
        period=period.strip(),
        due_on=due_on,
        opened_by_id=user.id,
        opened_at=now,
    )
    db.session.add(round_)
    db.session.flush()
    return round_


def visible_rounds(user: User) -> sa.ColumnElement[bool]:
    """The rounds a user sees: a grid worker, those over their grids; a centre, those of its
    scope node, of the nodes under it and of the nodes over it."""
    if user.role == Role.GRID_WORKER:
        nodes = [g for g in user.grids]
    elif user.role in HANDLER_ROLES:
        nodes = [user.scope]
    else:
        return sa.false()
    above = {node.ancestor_code(level.value) for node in nodes for level in RegionLevel} - {None}
    conditions = [ScreeningRound.region_code.in_(above | {node.code for node in nodes})]
    if user.role in HANDLER_ROLES:
        column = getattr(Region, ANCESTOR_COLUMNS[RegionLevel(user.scope_level)])
        conditions.append(
            ScreeningRound.region_code.in_(sa.select(Region.code).where(column == user.scope_code))
        )
    return sa.or_(*conditions)


def file_report(user: User, round_id: int, grid_code: str, disputes_found: int, note: str, now: datetime):
    """A grid's report in a round, once: a grid worker of the grid (or a centre over it) files
    the disputes found, with what they are, or 0 for a 零报告. A late report is taken (the
    alert already raised stays with the centre to close).

    Raises:
        NotFound: no such round the user sees, or the grid is not in its region.
        Forbidden: the user neither works in the grid nor is a centre over it.
        Unprocessable: a second report, or disputes found without saying what.
    """
    round_ = db.session.scalar(
        sa.select(ScreeningRound).where(ScreeningRound.id == round_id, visible_rounds(user))
    )
    grid = db.session.get(Region, grid_code)
    if (
        round_ is None
        or grid is None
        or grid.level != RegionLevel.GRID.value
        or not _in_region(grid, round_.region)
    ):
        raise NotFound(
            Message(
                "No grid %(grid_code)s in screening round %(round_id)s of your scope.",
                grid_code=str(grid_code),
                round_id=str(round_id),
            )
        )
    works_there = user.role == Role.GRID_WORKER and grid.code in {g.code for g in user.grids}
    if not (works_there or (user.role in HANDLER_ROLES and covers_region(user, grid))):
        raise Forbidden(Message("A grid worker of the grid, or a centre over it, files its report."))
    if db.session.get(ScreeningReport, (round_.id, grid.code)) is not None:
        raise Unprocessable(Message("The grid has filed its report in this round already."))
    if disputes_found and not (note or "").strip():
        problem = Message("Say what disputes were found.")
        raise Unprocessable(problem, {"note": [problem]})
    report = ScreeningReport(
        round_id=round_.id,
        grid_code=grid.code,
        reported_by_id=user.id,
        reported_at=now,
        disputes_found=disputes_found,
        note=(note or "").strip()[:5000],
    )
    db.session.add(report)
    db.session.flush()
    return report


def round_grids(round_: ScreeningRound) -> list[tuple[Region, ScreeningReport | None]]:
    """Each grid of the round's region with its report (None: nothing filed yet)."""
    column = getattr(Region, ANCESTOR_COLUMNS[RegionLevel(round_.region.level)])
    rows = db.session.execute(
        sa.select(Region, ScreeningReport)
        .outerjoin(
            ScreeningReport,
            sa.and_(ScreeningReport.grid_code == Region.code, ScreeningReport.round_id == round_.id),
        )
        .where(Region.level == RegionLevel.GRID.value, column == round_.region_code)
        .order_by(Region.code)
    ).all()
    return [(grid, report) for grid, report in rows]


def open_monthly_rounds(now: datetime) -> list[int]:
    """With GRIDCASE_MONTHLY_SCREENING_DUE_DAY set, the month's round ("2026年12月") for every
    township of the installation that has none yet, due on that day of the month (the month's
    last day when shorter); opened by nobody (the system). Returns the new rounds' ids."""
    due_day = int(setting("GRIDCASE_MONTHLY_SCREENING_DUE_DAY"))
    if not due_day:
        return []
    today = now.astimezone(local_tz()).date()
    period = f"{today.year}年{today.month}月"
    last = calendar.monthrange(today.year, today.month)[1]
    due_on = today.replace(day=min(due_day, last))
    townships = db.session.scalars(
        sa.select(Region)
        .where(
            Region.level == RegionLevel.TOWNSHIP.value,
            ~sa.exists().where(ScreeningRound.region_code == Region.code, ScreeningRound.period == period),
        )
        .order_by(Region.code)
    ).all()
    opened = []
    for township in townships:
        statement = (
            insert(ScreeningRound)
            .values(
                region_code=township.code,
                city_code=township.city_code or township.code,
                period=period,
                due_on=due_on,
                opened_by_id=None,
                opened_at=now,
            )
            .on_conflict_do_nothing(constraint="uq_screening_rounds_region_period")
            .returning(ScreeningRound.id)
        )
        round_id = db.session.scalar(statement)
        if round_id is not None:
            opened.append(round_id)
    return opened


def reports_owed(worker: User) -> list[tuple[ScreeningRound, Region]]:
    """(round, grid) for each of the worker's grids that has filed nothing in a round over it,
    the earliest due first — one query, for the phone's home page."""
    mine = [g.code for g in worker.grids]
    over = sa.or_(
        Region.code == ScreeningRound.region_code,
        *(
            getattr(Region, column) == ScreeningRound.region_code
            for level, column in ANCESTOR_COLUMNS.items()
            if level is not RegionLevel.GRID
        ),
    )
    filed = sa.exists().where(
        ScreeningReport.round_id == ScreeningRound.id, ScreeningReport.grid_code == Region.code
    )
    rows = db.session.execute(
        sa.select(ScreeningRound, Region)
        .join(Region, sa.and_(Region.code.in_(mine), over))
        .where(~filed)
        .order_by(ScreeningRound.due_on, ScreeningRound.id, Region.code)
    ).all()
    return [(round_, grid) for round_, grid in rows]


def alert_missing_reports(now: datetime) -> list[tuple[int, str]]:
    """Rounds whose due day has passed and not yet checked: an alert for each grid that filed
    nothing, and the round marked checked (once). Returns (round id, grid code) alerted."""
    today = now.astimezone(local_tz()).date()
    rounds = db.session.scalars(
        sa.select(ScreeningRound)
        .where(ScreeningRound.due_on < today, ScreeningRound.missing_checked_at.is_(None))
        .order_by(ScreeningRound.id)
        .with_for_update(skip_locked=True, of=ScreeningRound)
    ).all()
    alerted = []
    for round_ in rounds:
        for grid, report in round_grids(round_):
            if report is not None:
                continue
            title = f"{grid.name} 未按期上报{round_.period}矛盾纠纷排查情况（含零报告）"
            key = f"screening_missing:{round_.id}:{grid.code}"
            raise_area_alert(AlertKind.SCREENING_MISSING, title, placed(grid), key, now)
            alerted.append((round_.id, grid.code))
        round_.missing_checked_at = now
    return alerted


def _in_region(grid: Region, region: Region) -> bool:
    return grid.code == region.code or grid.ancestor_code(region.level) == region.code
