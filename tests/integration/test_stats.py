"""The indicators of DESIGN §5, computed by hand on a small city history and compared number by
number with GET /api/v1/stats: the node, every child node and every week.

The history (March 2026, local time; E0105 水域不洁 and E0501 无照经营游商 are incidents, D02 邻里纠纷
a dispute; gA and gB are grids of two communities of 枫桥镇, gJ a grid of 暨阳街道):

| case | grid | created      | what happens                                                        |
|------|------|--------------|---------------------------------------------------------------------|
| c1   | gA   | Mon 2 09:00  | accepted +1 h, resolved +3 h at community, verified, revisit 满意      |
| c2   | gA   | Tue 3 09:00  | dispute; accepted +2 h, escalated to township, resolved, revisit 不满意 |
|      |      |              | (reopened), resolved again at township +78 h                         |
| c3   | gB   | Wed 4 10:00  | rejected (不予受理): not accepted                                       |
| c4   | gB   | Thu 5 08:00  | resolved on the spot (就地化解) by the grid worker: 0 h                 |
| c5   | gJ   | Fri 6 09:00  | significant: starts at township; accepted +0.5 h; still open, overdue |
| c6   | gA   | Mon 9 09:00  | closed as a duplicate of c1: not accepted                            |
| c7   | gA   | Tue 10 09:00 | never accepted; overdue                                              |
| c8   | gJ   | Wed 11 14:00 | accepted +1 h, resolved +140 h (late), revisit 基本满意                 |
| c9   | gB   | Thu 12 09:00 | major: starts at city; accepted +10 min, handed down, resolved at     |
|      |      |              | township +24 h                                                       |
| c10  | gA   | Mon 16 09:00 | dispute; accepted +0.5 h, escalated twice to the city, handed down to |
|      |      |              | the community, resolved there +51 h                                  |
| c11  | gB   | Fri 20 10:00 | accepted +1 h; still open, overdue                                   |
| c12  | gA   | Mon 23 09:00 | after the period                                                     |
"""

import json
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gridcase.cases.intake import create_case
from gridcase.cases.models import Case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.jobs import build_scheduler
from gridcase.settings import utcnow
from gridcase.stats.histogram import (
    MEDIAN_RELATIVE_PRECISION,
    WIRE_HEADER_BYTES,
    bucket_of,
    bucket_sql,
    dense_histograms,
)
from gridcase.stats.indicators import COUNTS
from gridcase.stats.models import StatsRollup, StatsWatermark
from gridcase.stats.rollups import GRAINS, WATERMARK, refresh_rollups
from gridcase.territory.models import Region
from tests.helpers import CITY, FENGQIAO, JIYANG, SHANGHAI, case_payload, grid_in

PERIOD = "from=2026-03-02&to=2026-03-22"


# A refused request rolls back what it has not committed, the sign-in's token too: commit it.
COMMIT_SIGN_IN = True


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class City:
    gA: Region
    gB: Region
    gJ: Region
    users: dict
    cases: dict


def _act(user, case, action, when, **payload):
    perform_action(user, case.id, action, case.version, payload, now=when)


@pytest.fixture
def history(make_user) -> City:
    gA = grid_in(FENGQIAO)
    gB = db.session.scalars(
        sa.select(Region)
        .where(
            Region.level == "grid",
            Region.township_code == FENGQIAO,
            Region.community_code != gA.community_code,
        )
        .order_by(Region.code)
        .limit(1)
    ).one()
    gJ = grid_in(JIYANG)
    u = {
        "wA": make_user("grid_worker", gA.code),
        "wB": make_user("grid_worker", gB.code),
        "wJ": make_user("grid_worker", gJ.code),
        "mA": make_user("community_mediator", gA.community_code),
        "mB": make_user("community_mediator", gB.community_code),
        "mJ": make_user("community_mediator", gJ.community_code),
        "tF": make_user("township_coordinator", FENGQIAO),
        "tJ": make_user("township_coordinator", JIYANG),
        "city": make_user("city_commander", CITY),
    }

    def new(worker, grid, when, category="E0105", kind="incident", **extra):
        payload = case_payload(grid.code, category=category, kind=kind, **extra)
        return create_case(u[worker], payload, now=when).case

    c = {}
    c[1] = new("wA", gA, at(2, 9))
    _act(u["mA"], c[1], "accept", at(2, 10))
    _act(u["mA"], c[1], "resolve", at(2, 12), outcome="mediated")
    _act(u["tF"], c[1], "verify", at(3, 9), passed=True)
    _act(u["tF"], c[1], "revisit", at(4, 9), satisfaction="satisfied")  # not by its handler

    c[2] = new("wA", gA, at(3, 9), category="D02", kind="dispute")
    _act(u["mA"], c[2], "accept", at(3, 11))
    _act(u["mA"], c[2], "escalate", at(4, 9), reason="双方分歧大")
    _act(u["tF"], c[2], "resolve", at(5, 9), outcome="agreement_signed")
    _act(u["city"], c[2], "revisit", at(6, 9), satisfaction="dissatisfied")
    _act(u["tF"], c[2], "resolve", at(6, 15), outcome="mediated")

    c[3] = new("wB", gB, at(4, 10), category="E0501")
    _act(u["mB"], c[3], "reject", at(4, 11), reason="不属于受理范围")

    c[4] = new("wB", gB, at(5, 8), category="E0501", resolved_on_spot={"outcome": "explained"})

    c[5] = new("wJ", gJ, at(6, 9), severity="significant")
    _act(u["tJ"], c[5], "accept", at(6, 9, 30))

    c[6] = new("wA", gA, at(9, 9))
    _act(u["mA"], c[6], "mark_duplicate", at(9, 10), original=c[1].id)

    c[7] = new("wA", gA, at(10, 9))

    c[8] = new("wJ", gJ, at(11, 14))
    _act(u["mJ"], c[8], "accept", at(11, 15))
    _act(u["mJ"], c[8], "resolve", at(17, 10), outcome="mediated")
    _act(u["tJ"], c[8], "revisit", at(18, 9), satisfaction="basically_satisfied")

    c[9] = new("wB", gB, at(12, 9), severity="major")
    _act(u["city"], c[9], "accept", at(12, 9, 10))
    _act(u["city"], c[9], "hand_down", at(12, 10), instruction="请镇街办理", to_level="township")
    _act(u["tF"], c[9], "resolve", at(13, 9), outcome="referred_to_department")

    c[10] = new("wA", gA, at(16, 9), category="D02", kind="dispute")
    _act(u["mA"], c[10], "accept", at(16, 9, 30))
    _act(u["mA"], c[10], "escalate", at(16, 10), reason="涉及多方")
    _act(u["tF"], c[10], "escalate", at(17, 9), reason="需市级协调")
    _act(u["city"], c[10], "hand_down", at(18, 9), instruction="回村化解", to_level="community")
    _act(u["mA"], c[10], "resolve", at(18, 12), outcome="mediated")

    c[11] = new("wB", gB, at(20, 10), category="E0501")
    _act(u["mB"], c[11], "accept", at(20, 11))

    c[12] = new("wA", gA, at(23, 9))
    refresh_rollups(full=True)
    db.session.commit()
    return City(gA, gB, gJ, u, c)


NOTHING = {
    "accepted": 0,
    "resolved": 0,
    "resolution_rate": None,
    "local_resolution_rate": None,
    "township_containment_rate": None,
    "on_time_rate": None,
    "escalation_rate": None,
    "reopen_rate": None,
    "satisfaction_rate": None,
    "revisited": 0,
    "agreement_performance_rate": None,
    "agreements_checked": 0,
    "median_hours_to_accept": None,
    "median_hours_to_resolve": None,
    "overdue_open": 0,
}


def check(figures: dict, expected: dict, accept_hours: list[float], resolve_hours: list[float]) -> None:
    """Every indicator equals the hand count; the medians are within the documented precision
    of the exact median of the hours listed by hand."""
    medians = {"median_hours_to_accept": accept_hours, "median_hours_to_resolve": resolve_hours}
    for key, hours in medians.items():
        if hours:
            assert figures[key] == pytest.approx(statistics.median(hours), rel=MEDIAN_RELATIVE_PRECISION), key
        else:
            assert figures[key] is None, key
    assert {k: v for k, v in figures.items() if k not in medians} == expected


def test_the_city_node_matches_the_hand_count(api_as, history):
    body = api_as(history.users["city"]).get(f"/api/v1/stats?{PERIOD}").json
    assert body["region"] == {"code": CITY, "name": "诸暨市", "level": "city"}
    assert (body["from"], body["to"]) == ("2026-03-02", "2026-03-22")
    check(
        body["indicators"],
        {
            "accepted": 9,  # 11 created in the period, less c3 (rejected) and c6 (duplicate)
            "resolved": 6,  # c1 c2 c4 c8 c9 c10
            "resolution_rate": 0.6667,
            "local_resolution_rate": 0.4286,  # c1 c4 c8 / 7 started at community
            "township_containment_rate": 0.625,  # c1 c2 c4 c8 c10 / 8 started at or below township
            "on_time_rate": 0.8333,  # all but c8
            "escalation_rate": 0.2222,  # c2 c10
            "reopen_rate": 0.1667,  # c2
            "satisfaction_rate": 0.6667,  # c1 满意, c8 基本满意 / + c2 不满意
            "revisited": 3,
            "agreement_performance_rate": None,
            "agreements_checked": 0,
            "overdue_open": 3,  # c5 c7 c11
        },
        accept_hours=[1, 2, 0, 0.5, 1, 1 / 6, 0.5, 1],
        resolve_hours=[3, 78, 0, 140, 24, 51],
    )


def test_each_township_has_its_row(api_as, history):
    body = api_as(history.users["city"]).get(f"/api/v1/stats?{PERIOD}").json
    rows = {row["code"]: row for row in body["children"]}
    assert len(rows) == 23 and all(row["level"] == "township" for row in rows.values())  # all of 诸暨
    check(
        rows[FENGQIAO]["indicators"],
        {
            "accepted": 7,
            "resolved": 5,
            "resolution_rate": 0.7143,
            "local_resolution_rate": 0.3333,  # c1 c4 / c1 c2 c4 c7 c10 c11
            "township_containment_rate": 0.6667,  # c1 c2 c4 c10 / the same six
            "on_time_rate": 1.0,
            "escalation_rate": 0.2857,
            "reopen_rate": 0.2,
            "satisfaction_rate": 0.5,
            "revisited": 2,
            "agreement_performance_rate": None,
            "agreements_checked": 0,
            "overdue_open": 2,
        },
        accept_hours=[1, 2, 0, 1 / 6, 0.5, 1],
        resolve_hours=[3, 78, 0, 24, 51],
    )
    check(
        rows[JIYANG]["indicators"],
        {
            "accepted": 2,
            "resolved": 1,
            "resolution_rate": 0.5,
            "local_resolution_rate": 1.0,
            "township_containment_rate": 0.5,
            "on_time_rate": 0.0,
            "escalation_rate": 0.0,
            "reopen_rate": 0.0,
            "satisfaction_rate": 1.0,
            "revisited": 1,
            "agreement_performance_rate": None,
            "agreements_checked": 0,
            "overdue_open": 1,
        },
        accept_hours=[0.5, 1],
        resolve_hours=[140],
    )
    for code in set(rows) - {FENGQIAO, JIYANG}:
        assert rows[code]["indicators"] == NOTHING


def test_the_weekly_series_matches_the_hand_count(api_as, history):
    body = api_as(history.users["city"]).get(f"/api/v1/stats?{PERIOD}").json
    weeks = {week["week_start"]: week["indicators"] for week in body["series"]}
    assert list(weeks) == ["2026-03-02", "2026-03-09", "2026-03-16"]
    check(
        weeks["2026-03-02"],
        {
            "accepted": 4,  # c1 c2 c4 c5
            "resolved": 3,
            "resolution_rate": 0.75,
            "local_resolution_rate": 0.6667,
            "township_containment_rate": 0.75,
            "on_time_rate": 1.0,
            "escalation_rate": 0.25,
            "reopen_rate": 0.3333,
            "satisfaction_rate": 0.5,
            "revisited": 2,
            "agreement_performance_rate": None,
            "agreements_checked": 0,
            "overdue_open": 1,
        },
        accept_hours=[1, 2, 0, 0.5],
        resolve_hours=[3, 78, 0],
    )
    check(
        weeks["2026-03-09"],
        {
            "accepted": 3,  # c7 c8 c9
            "resolved": 2,
            "resolution_rate": 0.6667,
            "local_resolution_rate": 0.5,
            "township_containment_rate": 0.5,
            "on_time_rate": 0.5,
            "escalation_rate": 0.0,
            "reopen_rate": 0.0,
            "satisfaction_rate": 1.0,
            "revisited": 1,
            "agreement_performance_rate": None,
            "agreements_checked": 0,
            "overdue_open": 1,
        },
        accept_hours=[1, 1 / 6],
        resolve_hours=[140, 24],
    )
    check(
        weeks["2026-03-16"],
        {
            "accepted": 2,  # c10 c11
            "resolved": 1,
            "resolution_rate": 0.5,
            "local_resolution_rate": 0.0,  # c10 climbed to the city before coming back
            "township_containment_rate": 0.5,
            "on_time_rate": 1.0,
            "escalation_rate": 0.5,
            "reopen_rate": 0.0,
            "satisfaction_rate": None,
            "revisited": 0,
            "agreement_performance_rate": None,
            "agreements_checked": 0,
            "overdue_open": 1,
        },
        accept_hours=[0.5, 1],
        resolve_hours=[51],
    )


def test_the_overdue_count_of_a_week_follows_local_midnight(api_as, make_user):
    # Sunday 23:30 and Monday 00:30 in Shanghai (both Sunday in UTC): two weeks apart locally.
    grid = grid_in(FENGQIAO)
    worker = make_user("grid_worker", grid.code)
    for when in (datetime(2026, 3, 8, 23, 30, tzinfo=SHANGHAI), datetime(2026, 3, 9, 0, 30, tzinfo=SHANGHAI)):
        create_case(worker, case_payload(grid.code), now=when)  # open, long past due
    refresh_rollups(full=True)
    city = api_as(make_user("city_commander", CITY))
    body = city.get("/api/v1/stats?from=2026-03-02&to=2026-03-15").json
    assert {w["week_start"]: w["indicators"]["overdue_open"] for w in body["series"]} == {
        "2026-03-02": 1,
        "2026-03-09": 1,
    }
    assert body["indicators"]["overdue_open"] == 2
    # By category (E0102), by its group (E01) and by another category.
    for category, overdue in (("E0102", 2), ("E01", 2), ("D02", 0)):
        asked = city.get(f"/api/v1/stats?from=2026-03-02&to=2026-03-15&category={category}").json
        assert asked["indicators"]["overdue_open"] == overdue, category


def test_a_period_that_cuts_weeks_counts_whole_days(api_as, history):
    """Tuesday 3 to Thursday 19 March: c1 (Monday 2) and c11 (Friday 20) fall outside."""
    body = api_as(history.users["city"]).get("/api/v1/stats?from=2026-03-03&to=2026-03-19").json
    figures = body["indicators"]
    assert (figures["accepted"], figures["resolved"], figures["overdue_open"]) == (7, 5, 2)
    assert figures["local_resolution_rate"] == 0.4  # c4 c8 / c2 c4 c7 c8 c10
    assert [(w["week_start"], w["indicators"]["accepted"]) for w in body["series"]] == [
        ("2026-03-02", 3),
        ("2026-03-09", 3),
        ("2026-03-16", 1),
    ]
    one_day = api_as(history.users["city"]).get("/api/v1/stats?from=2026-03-05&to=2026-03-05").json
    assert one_day["indicators"]["accepted"] == 1  # c4
    assert one_day["indicators"]["median_hours_to_resolve"] == pytest.approx(0, abs=1 / 60)


def test_without_a_period_every_case_counts(api_as, history):
    body = api_as(history.users["city"]).get("/api/v1/stats").json
    assert body["indicators"]["accepted"] == 10  # c12 as well
    assert body["series"][0]["week_start"] == "2026-03-02"


def test_kind_and_category_filters(api_as, history):
    city = api_as(history.users["city"])
    disputes = city.get(f"/api/v1/stats?{PERIOD}&kind=dispute").json["indicators"]
    assert (disputes["accepted"], disputes["resolved"], disputes["escalation_rate"]) == (2, 2, 1.0)
    assert (disputes["reopen_rate"], disputes["local_resolution_rate"]) == (0.5, 0.0)
    # A group code (E05 街面秩序) counts its categories: c4 and c11 (c3 was rejected).
    street = city.get(f"/api/v1/stats?{PERIOD}&category=E05").json
    assert street["category"] == "E05"
    assert (street["indicators"]["accepted"], street["indicators"]["resolved"]) == (2, 1)
    assert street["indicators"]["overdue_open"] == 1
    rows = {row["code"]: row["indicators"]["accepted"] for row in street["children"]}
    assert rows[FENGQIAO] == 2 and rows[JIYANG] == 0
    water = city.get(f"/api/v1/stats?{PERIOD}&category=E0105&kind=incident").json["indicators"]
    assert water["accepted"] == 5  # c1 c5 c7 c8 c9
    assert city.get(f"/api/v1/stats?{PERIOD}&category=E0105&kind=dispute").json["indicators"]["accepted"] == 0


def test_township_community_and_grid_nodes(api_as, history):
    township = api_as(history.users["tF"])
    body = township.get(f"/api/v1/stats?{PERIOD}").json  # default: the caller's own node
    assert body["region"]["code"] == FENGQIAO
    assert body["indicators"]["accepted"] == 7
    rows = {row["code"]: row["indicators"] for row in body["children"]}
    assert all(row["level"] == "community" for row in body["children"])
    assert (rows[history.gA.community_code]["accepted"], rows[history.gA.community_code]["resolved"]) == (
        4,
        3,
    )
    assert (rows[history.gB.community_code]["accepted"], rows[history.gB.community_code]["overdue_open"]) == (
        3,
        1,
    )
    assert sum(row["accepted"] for row in rows.values()) == 7

    community = api_as(history.users["mA"]).get(f"/api/v1/stats?{PERIOD}").json
    grids = {row["code"]: row["indicators"] for row in community["children"]}
    assert all(row["level"] == "grid" for row in community["children"])
    assert grids[history.gA.code]["accepted"] == 4 and sum(g["accepted"] for g in grids.values()) == 4

    grid = api_as(history.users["wA"]).get(f"/api/v1/stats?{PERIOD}").json
    assert grid["region"]["code"] == history.gA.code and grid["children"] == []
    check(
        grid["indicators"],
        {
            "accepted": 4,  # c1 c2 c7 c10
            "resolved": 3,
            "resolution_rate": 0.75,
            "local_resolution_rate": 0.25,  # c1
            "township_containment_rate": 0.75,  # c1 c2 c10
            "on_time_rate": 1.0,
            "escalation_rate": 0.5,
            "reopen_rate": 0.3333,
            "satisfaction_rate": 0.5,
            "revisited": 2,
            "agreement_performance_rate": None,
            "agreements_checked": 0,
            "overdue_open": 1,
        },
        accept_hours=[1, 2, 0.5],
        resolve_hours=[3, 78, 51],
    )
    assert [w["indicators"]["accepted"] for w in grid["series"]] == [2, 1, 1]


@pytest.mark.parametrize(
    ("who", "region", "status"),
    [
        ("tJ", FENGQIAO, 404),  # another township
        ("tJ", JIYANG, 200),
        ("mA", "gB_community", 404),
        ("mA", "gA", 200),
        ("wA", "gA_community", 404),  # a grid worker sees their grid only
        ("wA", "gB", 404),
        ("city", "999999999999", 404),  # no such node: the same answer as out of scope
        ("city", FENGQIAO, 200),
    ],
)
def test_a_region_outside_scope_is_not_found(api_as, history, who, region, status):
    region = {
        "gA": history.gA.code,
        "gB": history.gB.code,
        "gA_community": history.gA.community_code,
        "gB_community": history.gB.community_code,
    }.get(region, region)
    response = api_as(history.users[who]).get(f"/api/v1/stats?region={region}")
    assert response.status_code == status
    if status == 404:
        assert response.json["message"] == f"No territory node {region} in your scope."


def test_a_grid_worker_sees_each_of_their_grids(api_as, make_user, history):
    worker = make_user("grid_worker", history.gB.code, grid_codes=[history.gA.code])
    body = api_as(worker).get(f"/api/v1/stats?region={history.gA.code}&{PERIOD}").json
    assert body["indicators"]["accepted"] == 4


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_roles_without_case_content_read_no_stats(api_as, make_user, role):
    response = api_as(make_user(role, CITY)).get("/api/v1/stats")
    assert response.status_code == 403


def test_bad_filters_are_refused(api_as, history):
    city = api_as(history.users["city"])
    assert city.get("/api/v1/stats?category=NOPE").status_code == 422
    backwards = city.get("/api/v1/stats?from=2026-03-10&to=2026-03-01")
    assert backwards.status_code == 422 and "to" in backwards.json["errors"]


def test_the_refresh_recounts_only_what_changed_since_its_watermark(app, api_as, history):
    """The minute job: cases changed since the watermark are recounted, the rest is left alone."""
    city = api_as(history.users["city"])
    c7 = history.cases[7]
    march = db.session.scalar(
        sa.select(sa.func.count()).select_from(StatsRollup).where(StatsRollup.period_start < date(2026, 4, 1))
    )
    now = utcnow()
    today = now.astimezone(SHANGHAI).date().isoformat()
    fresh = create_case(history.users["wA"], case_payload(history.gA.code, category="E0105"), now=now).case
    report = refresh_rollups()
    assert (report.full, report.pairs) == (False, 1)
    assert report.watermark <= now
    assert city.get(f"/api/v1/stats?from={today}&to={today}").json["indicators"]["accepted"] == 1

    perform_action(history.users["mA"], fresh.id, "resolve", fresh.version, {"outcome": "explained"}, now=now)
    refresh_rollups()
    today_figures = city.get(f"/api/v1/stats?from={today}&to={today}").json["indicators"]
    assert (today_figures["resolved"], today_figures["local_resolution_rate"]) == (1, 1.0)
    # March was not touched.
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StatsRollup)
            .where(StatsRollup.period_start < date(2026, 4, 1))
        )
        == march
    )

    # A change dated before the watermark (as `sweep --at` in the past would make) is not
    # seen by the minute job; `refresh-stats --full` counts it.
    perform_action(history.users["mA"], c7.id, "reject", c7.version, {"reason": "误报"}, now=at(10, 10))
    refresh_rollups()
    assert city.get(f"/api/v1/stats?{PERIOD}").json["indicators"]["accepted"] == 9
    output = CliRunner().invoke(app.cli, ["gridcase", "refresh-stats", "--full"]).output
    assert "full refresh" in output, output
    assert city.get(f"/api/v1/stats?{PERIOD}").json["indicators"]["accepted"] == 8
    mark = db.session.get(StatsWatermark, WATERMARK)
    assert mark.value <= utcnow() - timedelta(minutes=1)  # the margin for clocks between hosts


def test_the_refresh_counts_a_case_whose_due_time_passed_since_the_last_one(api_as, history):
    """No change of the case, only the clock: the minute job still recounts its row, so the
    overdue count is exact as of every refresh."""
    city = api_as(history.users["city"])
    fresh = create_case(history.users["wA"], case_payload(history.gA.code), now=utcnow()).case
    db.session.execute(
        sa.update(Case).where(Case.id == fresh.id).values(due_at=sa.func.now() + timedelta(hours=1))
    )
    refresh_rollups()
    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    assert city.get(f"/api/v1/stats?from={today}&to={today}").json["indicators"]["overdue_open"] == 0
    # An hour later, as far as the case and the watermark tell: its due time has passed since
    # the last refresh, and nothing changed it since the last watermark. (The test's transaction
    # holds now() still; moving the case and the watermark back is moving the clock on.)
    past = utcnow() - timedelta(hours=2)
    db.session.execute(
        sa.update(Case)
        .where(Case.id == fresh.id)
        .values(due_at=sa.func.now() - timedelta(minutes=1), updated_at=past)
    )
    mark = db.session.get(StatsWatermark, WATERMARK)
    mark.value, mark.refreshed_at = past + timedelta(minutes=1), utcnow() - timedelta(minutes=2)
    db.session.flush()
    assert refresh_rollups().pairs == 1
    assert city.get(f"/api/v1/stats?from={today}&to={today}").json["indicators"]["overdue_open"] == 1


def _rollup_snapshot() -> dict:
    """Every rollup row, its histograms as {bucket: count} (a concatenated row may repeat a bucket)."""

    def histogram(buckets, counts) -> dict:
        merged: dict[int, int] = {}
        for bucket, count in zip(buckets, counts, strict=True):
            merged[bucket] = merged.get(bucket, 0) + count
        return merged

    return {
        (row.grain, row.region_code, row.period_start, row.category_code, row.kind): (
            row.parent_code,
            tuple(getattr(row, name) for name in COUNTS),
            histogram(row.accept_buckets, row.accept_counts),
            histogram(row.resolve_buckets, row.resolve_counts),
        )
        for row in db.session.scalars(sa.select(StatsRollup))
    }


def test_the_minute_job_and_a_full_rebuild_agree(history):
    now = utcnow()
    c7, c11 = history.cases[7], history.cases[11]
    perform_action(history.users["mA"], c7.id, "accept", c7.version, {}, now=now)
    perform_action(history.users["mB"], c11.id, "resolve", c11.version, {"outcome": "explained"}, now=now)
    create_case(history.users["wJ"], case_payload(history.gJ.code, category="D02", kind="dispute"), now=now)
    assert refresh_rollups().pairs == 3
    incremental = _rollup_snapshot()
    refresh_rollups(full=True)
    assert _rollup_snapshot() == incremental
    assert {grain for grain, *_ in incremental} == {
        grain.name for grain in GRAINS if "district" not in grain.name
    }


def test_the_sql_buckets_follow_the_python_rule():
    hours = [0, 0.001, 1 / 60, 0.1667, 0.5, 1, 2, 24, 78, 140, 5000, 10**7]
    row = db.session.execute(
        sa.text("SELECT " + ", ".join(bucket_sql(f"CAST(:h{i} AS float8)") for i in range(len(hours)))),
        {f"h{i}": value for i, value in enumerate(hours)},
    ).one()
    assert list(row) == [bucket_of(value) for value in hours]


def test_loading_a_catalogue_that_moves_a_category_to_another_group_says_what_to_refresh(app, tmp_path):
    # The rollups' rows by group were summed under the old group (gridcase.stats.rollups).
    moved = {"code": "E0105", "name": "占道经营", "kind": "incident", "parent": "E02"}
    same = {"code": "E0501", "name": "违法建设", "kind": "incident", "parent": "E05"}
    file = tmp_path / "categories.json"
    file.write_text(json.dumps([same]), encoding="utf-8")
    runner = app.test_cli_runner()
    unmoved = runner.invoke(args=["gridcase", "load-catalogue", str(file)])
    assert unmoved.exit_code == 0 and "Moved" not in unmoved.output, unmoved.output
    file.write_text(json.dumps([moved, same]), encoding="utf-8")
    loaded = runner.invoke(args=["gridcase", "load-catalogue", str(file)])
    assert loaded.exit_code == 0, loaded.output
    assert "Moved to another group: E0105." in loaded.output and "refresh-stats --full" in loaded.output


def test_histograms_are_summed_from_postgresql_binary_arrays():
    # A read sends each group's bucket and count arrays past their headers, end to end
    # (gridcase.stats.queries): a bucket repeated across rows adds up, an empty array adds
    # nothing, and no byte of a header is taken for an element.
    buckets, counts = db.session.execute(
        sa.text(
            f"SELECT string_agg(substr(array_send(b), {WIRE_HEADER_BYTES + 1}), ''::bytea), "
            f"string_agg(substr(array_send(c), {WIRE_HEADER_BYTES + 1}), ''::bytea) "
            "FROM (VALUES (1, ARRAY[3, 161]::smallint[], ARRAY[2, 70000]), "
            "(2, '{}'::smallint[], '{}'::int[]), (3, ARRAY[3]::smallint[], ARRAY[5])) AS v(i, b, c)"
        )
    ).one()
    (histogram,) = dense_histograms([buckets], [counts])
    assert histogram[3] == 7 and histogram[161] == 70000 and histogram.sum() == 70007


def test_the_scheduler_runs_the_refresh_and_the_alert_scan(app):
    jobs = {job.id for job in build_scheduler(app, 60).get_jobs()}
    assert {"stats-refresh", "alert-scan"} <= jobs


def test_stats_answer_from_rollups_not_from_cases(api_as, history):
    """Cases changed after the last refresh show at the next one (the rollups are what is
    read), the overdue count as well."""
    city = api_as(history.users["city"])
    c11 = history.cases[11]
    db.session.execute(sa.update(Case).where(Case.id == c11.id).values(status="closed", updated_at=utcnow()))
    figures = city.get(f"/api/v1/stats?{PERIOD}").json["indicators"]
    assert figures["resolved"] == 6  # not yet refreshed
    assert figures["overdue_open"] == 3  # c5 c7 c11, as at the refresh
    refresh_rollups()
    assert city.get(f"/api/v1/stats?{PERIOD}").json["indicators"]["overdue_open"] == 2
