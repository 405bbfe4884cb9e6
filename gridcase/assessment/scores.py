"""Rankings (考核排名): every subject of a kind in an area scored for a month or a quarter under
the scheme in effect, ranked, with the period before, and a 红黑榜 of the first and the last.

A period not over yet is scored to date — its first days up to today against the same first
days of the period before (上期同期), as the monthly report compares — and says so; count
targets (per month) are scaled to the days counted. A period that has not begun is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from gridcase.assessment.domain import Period, Subject, for_period, rank, score
from gridcase.assessment.figures import subjects_with_figures
from gridcase.assessment.schemes import scheme_in_effect
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.settings import local_tz, utcnow
from gridcase.stats.queries import stats_region
from gridcase.territory.levels import RegionLevel
from gridcase.territory.models import Region

BOARD_SIZE = 3  # 红黑榜: the first three and the last three, as the monthly 通报 names them
# The lowest territory level whose subjects a ranking over an area of each level may list.
_TERRITORY_SUBJECT_LEVEL = {
    Subject.TOWNSHIP: "township",
    Subject.COMMUNITY: "community",
    Subject.GRID: "grid",
}


@dataclass(frozen=True)
class Span:
    """The days a period is scored over: the whole period, or its first days up to today."""

    period: Period
    first: date
    last: date
    to_date: bool

    @property
    def months(self) -> float:
        """How many months of count targets the span carries."""
        whole = 1 if self.period.month else 3
        days = (self.period.last - self.period.first).days + 1
        return whole * ((self.last - self.first).days + 1) / days


def spans(period: Period, today: date) -> tuple[Span, Span]:
    """The span of the period and of the period before (its same first days when to date).

    Raises:
        Unprocessable: the period has not begun.
    """
    if period.first > today:
        raise Unprocessable(
            Message("That period has not begun."),
            {"period": [Message("%(period)s starts after today.", period=str(period))]},
        )
    if period.last < today:
        return Span(period, period.first, period.last, False), Span(
            period.previous, period.previous.first, period.previous.last, False
        )
    before = period.previous
    elapsed = today - period.first
    return (
        Span(period, period.first, today, True),
        Span(before, before.first, min(before.last, before.first + elapsed), True),
    )


def parse_period(text: str | None, today: date) -> Period:
    """The period asked for, this month by default.

    Raises:
        Unprocessable: not a month (2026-11) nor a quarter (2026-Q4).
    """
    if not text:
        return Period.month_of(today)
    try:
        return Period.parse(text)
    except ValueError:
        raise Unprocessable(
            Message("A period is a month like 2026-11 or a quarter like 2026-Q4."),
            {"period": [Message("Not a period: %(text)s", text=text)]},
        ) from None


def ranking_region(viewer: User, subject: Subject, region_code: str | None) -> Region:
    """The area a handler ranks subjects in (default: their scope).

    Raises:
        Forbidden: not a handler (a grid worker sees their own score only).
        NotFound: the area is not in the viewer's scope.
        Unprocessable: the subjects are not below the area (townships of a township).
    """
    if viewer.role not in HANDLER_ROLES:
        raise Forbidden(Message("Rankings are for the centres; a grid worker sees their own score."))
    region = stats_region(viewer, region_code)
    level = _TERRITORY_SUBJECT_LEVEL.get(subject)
    levels = [member.value for member in RegionLevel]  # from the top down
    if level and levels.index(level) <= levels.index(region.level):
        raise Unprocessable(
            Message("%(subject)s are ranked within an area above them.", subject=subject.label),
            {
                "region": [
                    Message("%(subject)s do not lie below %(area)s.", subject=subject.label, area=region.name)
                ]
            },
        )
    return region


def ranking(
    viewer: User,
    subject: Subject,
    region_code: str | None,
    period_text: str | None,
    now: datetime | None = None,
) -> dict:
    """Every subject of the kind in the area, ranked, with its score explained and the change
    against the period before."""
    now = now or utcnow()
    today = now.astimezone(local_tz()).date()
    region = ranking_region(viewer, subject, region_code)
    period = parse_period(period_text, today)
    return _ranking(subject, region, period, today, now)


def _ranking(subject: Subject, region: Region, period: Period, today: date, now: datetime) -> dict:
    city = region.city_code or region.code
    this, before = spans(period, today)
    scheme = scheme_in_effect(city, subject, period.first)
    scheme_before = scheme_in_effect(city, subject, before.period.first)
    previous = {
        subject_.key: score(for_period(scheme_before.items, before.months), subject_.figures)
        for subject_ in subjects_with_figures(subject, region, before.first, before.last, now)
    }
    rows = []
    for assessed in subjects_with_figures(subject, region, this.first, this.last, now):
        card = score(for_period(scheme.items, this.months), assessed.figures)
        earlier = previous.get(assessed.key)
        earned_before = {item.indicator: item.earned for item in earlier.items} if earlier else {}
        items = []
        for item in card.items:
            entry = item.as_dict()
            before_earned = earned_before.get(item.indicator)
            entry["earned_change"] = (
                None
                if item.earned is None or before_earned is None
                else round(item.earned - before_earned, 2)
            )
            items.append(entry)
        rows.append(
            {
                "key": assessed.key,
                "name": assessed.name,
                "parent": assessed.parent_name,
                "drill_region": assessed.drill_region,
                "score": card.score,
                "base": card.base,
                "deducted": card.deducted,
                "previous_score": earlier.score if earlier else None,
                "change": (
                    None
                    if card.score is None or earlier is None or earlier.score is None
                    else round(card.score - earlier.score, 2)
                ),
                "items": items,
            }
        )
    _place(rows, "score", "rank")
    _place(rows, "previous_score", "previous_rank")
    for row in rows:
        row["rank_change"] = (
            None
            if row["rank"] is None or row["previous_rank"] is None
            else row["previous_rank"] - row["rank"]
        )
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["key"]))
    scored = [row for row in rows if row["rank"] is not None]
    top = scored[:BOARD_SIZE]
    bottom = [row for row in reversed(scored[-BOARD_SIZE:]) if row not in top]
    return {
        "subject": subject.value,
        "subject_label": subject.label,
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "period": str(period),
        "period_label": period.label,
        "from": this.first,
        "to": this.last,
        "to_date": this.to_date,
        "previous_period": str(before.period),
        "previous_from": before.first,
        "previous_to": before.last,
        "scheme": scheme.as_dict(),
        "previous_scheme_version": scheme_before.version,
        "rows": rows,
        "red_board": [row["key"] for row in top],
        "black_board": [row["key"] for row in bottom],
    }


def _place(rows: list[dict], field: str, into: str) -> None:
    for row, place in zip(rows, rank([row[field] for row in rows]), strict=True):
        row[into] = place


def my_score(viewer: User, period_text: str | None, now: datetime | None = None) -> dict:
    """A grid worker's own score, with their place among the workers of their township.

    Raises:
        Forbidden: not a grid worker.
        NotFound: a worker with no grid.
    """
    if viewer.role != Role.GRID_WORKER:
        raise Forbidden(Message("Only a grid worker has a worker's score."))
    if not viewer.grids:
        raise NotFound(Message("You have no grid to be assessed in."))
    now = now or utcnow()
    today = now.astimezone(local_tz()).date()
    period = parse_period(period_text, today)
    # Workers are ranked among their township's (their first grid's when they serve two).
    region = db.session.get(Region, viewer.grids[0].township_code)
    table = _ranking(Subject.GRID_WORKER, region, period, today, now)
    mine = next(row for row in table["rows"] if row["key"] == str(viewer.id))
    return {
        **{
            key: table[key]
            for key in ("period", "period_label", "from", "to", "to_date", "previous_period", "scheme")
        },
        "region": table["region"],
        "ranked": sum(1 for row in table["rows"] if row["rank"] is not None),
        "row": mine,
    }
