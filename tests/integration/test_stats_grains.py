"""The rollups' coarse grains (issue 20: stats flat with history): the city's own rows, and months
and years of every level, hold exactly what a direct count of the cases gives; and the indicator
table read from them (whole years, months, weeks, days at the ends, the series from the node's own
rows) is the table read from daily rows alone, number for number.

The history straddles a year's end and month ends, in grids of two townships, both kinds."""

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.models import Category
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.settings import local_tz, utcnow
from gridcase.stats import queries
from gridcase.stats.indicators import COUNTS
from gridcase.stats.models import StatsRollup
from gridcase.stats.rollups import ALL, GRAINS, _case_source, _params, refresh_rollups
from tests.helpers import CITY, FENGQIAO, JIYANG, SHANGHAI, case_payload, grid_in

COMMIT_SIGN_IN = True

LEVEL_CODE = {
    "grid": "region_code",
    "community": "community_code",
    "township": "township_code",
    "district": "district_code",
    "city": "city_code",
}


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def history(make_user):
    grids = [grid_in(FENGQIAO), grid_in(FENGQIAO, 3), grid_in(JIYANG)]
    workers = [make_user("grid_worker", grid.code) for grid in grids]
    mediators = [make_user("community_mediator", grid.community_code) for grid in grids]
    days = [
        at(2025, 12, 1),
        at(2025, 12, 29, 23),
        at(2025, 12, 31, 22),  # 31 December local time, 1 January nowhere yet
        at(2026, 1, 1, 0),
        at(2026, 1, 31, 12),
        at(2026, 2, 1, 8),
        at(2026, 2, 2),
        at(2026, 3, 31, 23),
    ]
    for index, when in enumerate(days):
        for g, grid in enumerate(grids):
            dispute = (index + g) % 3 == 0
            payload = case_payload(
                grid.code,
                category="D02" if dispute else ("E0105", "E0501")[index % 2],
                kind="dispute" if dispute else "incident",
            )
            case = create_case(workers[g], payload, now=when).case
            if (index + g) % 4 == 3:
                continue  # never accepted
            accepted = when.replace(hour=when.hour) if index % 2 else when.replace(minute=30)
            perform_action(mediators[g], case.id, "accept", case.version, {}, now=accepted)
            if (index + g) % 3 != 1:
                resolved = datetime(when.year, when.month, when.day, 23, 59, tzinfo=SHANGHAI)
                perform_action(
                    mediators[g], case.id, "resolve", case.version, {"outcome": "mediated"}, now=resolved
                )
    refresh_rollups(full=True)
    db.session.commit()
    return grids


def _histogram(buckets, counts) -> dict:
    merged: dict[int, int] = defaultdict(int)
    for bucket, count in zip(buckets, counts, strict=True):
        merged[bucket] += count
    return dict(merged)


def _start(period: str, day: date) -> date:
    """The first day of the day, week (from Monday), month or year holding `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    return day


def test_every_grain_holds_a_direct_count_of_the_cases(history):
    cases = db.session.execute(sa.text(_case_source("cases c")), _params()).mappings().all()
    group_of = dict(db.session.execute(sa.select(Category.code, Category.parent_code)).all())
    expected: dict = {}
    for grain in GRAINS:
        for case in cases:
            code = case[LEVEL_CODE[grain.level]]
            category = {
                "category": case["category_code"],
                "group": group_of[case["category_code"]],  # (None: a category in no group)
            }.get(grain.detail, ALL)
            if code is None or category is None:
                continue
            key = (
                grain.name,
                code,
                _start(grain.period, case["period_start"]),
                category,
                ALL if grain.detail == "all" else case["kind"],
            )
            counts, accept, resolve = expected.setdefault(
                key, (defaultdict(int), defaultdict(int), defaultdict(int))
            )
            for name in COUNTS:
                counts[name] += case[name]
            for bucket, n in zip(case["accept_buckets"], case["accept_counts"], strict=True):
                accept[bucket] += n
            for bucket, n in zip(case["resolve_buckets"], case["resolve_counts"], strict=True):
                resolve[bucket] += n
    expected = {key: (dict(c), dict(a), dict(r)) for key, (c, a, r) in expected.items()}
    stored = {
        (row.grain, row.region_code, row.period_start, row.category_code, row.kind): (
            {name: getattr(row, name) for name in COUNTS},
            _histogram(row.accept_buckets, row.accept_counts),
            _histogram(row.resolve_buckets, row.resolve_counts),
        )
        for row in db.session.scalars(sa.select(StatsRollup))
    }
    assert stored == expected
    names = {grain for grain, *_ in stored}
    assert {"year:grid:category", "month:township:kind", "year:community:all", "week:city:all"} <= names
    assert {"day:grid:group", "week:township:group", "year:grid:group"} <= names
    # E0105 and E0501 are counted in their groups; D02, in none, has no group rows.
    assert {category for grain, _, _, category, _ in stored if grain.endswith(":group")} == {"E01", "E05"}
    # The city's rows start each year, month and week that holds a case.
    assert ("year:township:all", FENGQIAO, date(2025, 1, 1), ALL, ALL) in stored
    assert ("day:city:all", CITY, date(2025, 12, 31), ALL, ALL) in stored


def _from_days_only(monkeypatch):
    """Make the indicator table read daily rows only (the reference it must equal)."""

    def days_only(first, last, weeks=True):
        return [("day", first, last)]

    monkeypatch.setattr(queries, "cover_period", days_only)
    monkeypatch.setattr(queries, "cover_weeks", days_only)


@pytest.mark.parametrize(
    "query",
    [
        "",  # all time: whole years
        "from=2026-01-01&to=2026-12-31",  # a whole year
        "from=2026-01-01&to=2026-01-31",  # a whole month
        "from=2025-12-02&to=2026-03-31",  # days, weeks, a month's end, whole months
        "from=2025-12-30&to=2026-02-01",  # across the year's end, weeks and days
        "from=2025-12-31&to=2025-12-31",  # one day
        "from=2025-12-01&to=2026-02-28&kind=dispute",
        "category=E0105",
        "category=E01",  # a group: its own rows
        "from=2025-12-02&to=2026-03-31&category=E05",
        "from=2025-11-15&to=2026-02-14&category=D02",
    ],
)
@pytest.mark.parametrize("node", ["city", "township", "community", "grid"])
def test_the_coarse_grains_give_the_table_of_the_daily_rows(
    api_as, make_user, history, monkeypatch, query, node
):
    grid = history[0]
    scope = {"city": CITY, "township": FENGQIAO, "community": grid.community_code, "grid": grid.code}
    user = make_user("city_commander", CITY)
    url = f"/api/v1/stats?region={scope[node]}&{query}"
    coarse = api_as(user).get(url)
    assert coarse.status_code == 200, coarse.json
    _from_days_only(monkeypatch)
    daily = api_as(user).get(url)
    assert coarse.json == daily.json
    assert coarse.json["indicators"]["accepted"] > 0


def test_only_a_period_reaching_today_is_read_without_an_end(api_as, make_user, history):
    # No case is created after today, so a period reaching today is read from the rows of its
    # current year and month (gridcase.stats.queries._open_ended); one ending earlier is not.
    user = make_user("city_commander", CITY)
    today = utcnow().astimezone(local_tz()).date()

    def accepted(query: str) -> int:
        answer = api_as(user).get(f"/api/v1/stats?{query}")
        assert answer.status_code == 200, answer.json
        return answer.json["indicators"]["accepted"]

    whole = accepted("from=2026-01-15&to=2026-03-31")  # the history's last day: read exactly
    assert accepted(f"from=2026-01-15&to={today}") == whole
    assert accepted("from=2026-01-15&to=2026-12-31") == whole
    # 2 February and 31 March lie after this one's end: read as an open end, it would hold them.
    assert 0 < accepted("from=2026-01-15&to=2026-02-01") < whole
