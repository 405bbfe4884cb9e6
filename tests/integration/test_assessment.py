"""考核 (issue 17) on a small hand-built history: a grid's score through the API matches the
one worked out by hand, its unmeasured item not applicable and the grids with nothing to score
not ranked; a centre's 黄牌 and 红牌 come off its score; schemes are versioned and a period keeps
the version in effect when it began; the spreadsheet holds the API's figures; a grid worker sees
their own score and no ranking."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import sqlalchemy as sa
from openpyxl import load_workbook

from gridcase.assessment.domain import Subject
from gridcase.assessment.models import AssessmentScheme, AssessmentSchemeItem
from gridcase.assessment.scores import ranking
from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.settings import local_tz, utcnow
from gridcase.stats.rollups import refresh_rollups
from gridcase.territory.models import Region
from tests.helpers import CITY, FENGQIAO, SHANGHAI, case_payload, grid_in, sign_in_with_second_factor
from tests.integration.test_supervision import RLSBS
from tests.integration.test_supervision_stats import supervised_twice_and_a_unit_once

NOVEMBER = "2026-11"


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI)


def grid_scheme(city_user, effective_from=date(2026, 11, 1), version=1, resolution_points=40):
    """A scheme for grids the hand-worked score below follows (inserted as a past version)."""
    scheme = AssessmentScheme(
        city_code=CITY,
        subject="grid",
        version=version,
        name=f"网格考核 v{version}",
        effective_from=effective_from,
        created_at=utcnow(),
        created_by_id=city_user.id,
        items=[
            AssessmentSchemeItem(
                position=0,
                indicator="resolution_rate",
                points=Decimal(resolution_points),
                target=Decimal("0.8"),
            ),
            AssessmentSchemeItem(
                position=1, indicator="on_time_rate", points=Decimal(20), target=Decimal("1")
            ),
            AssessmentSchemeItem(
                position=2, indicator="escalation_rate", points=Decimal(20), target=Decimal("0.1")
            ),
            AssessmentSchemeItem(
                position=3,
                indicator="public_safety_survey",
                points=Decimal(60 - resolution_points),
                target=Decimal("0.9"),
            ),
        ],
    )
    db.session.add(scheme)
    db.session.flush()
    return scheme


def november_in_one_grid(people):
    """Four cases of the worker's grid in November: two resolved in time by the community, one
    escalated to the township and open, one accepted and open."""
    worker, mediator = people["worker"], people["mediator"]
    grid = worker.grids[0]
    cases = [
        create_case(worker, case_payload(grid.code, title=f"十一月{n}"), now=at(2 + n)).case for n in range(4)
    ]

    def act(case, action, when, **payload):
        perform_action(mediator, case.id, action, case.version, payload, now=when)

    for case in cases:
        act(case, "accept", at(cases.index(case) + 2, 10))
    act(cases[0], "resolve", at(2, 12), outcome="mediated")
    act(cases[1], "resolve", at(3, 12), outcome="mediated")
    act(cases[2], "escalate", at(4, 12), reason="需镇街协调")
    refresh_rollups(full=True)
    return grid


def test_a_grid_scored_by_hand_through_the_api(api_as, people):
    grid_scheme(people["city"])
    grid = november_in_one_grid(people)
    body = (
        api_as(people["mediator"])
        .get("/api/v1/assessment/rankings", query_string={"subject": "grid", "period": NOVEMBER})
        .json
    )
    assert body["region"]["code"] == grid.community_code and body["to_date"] is False
    assert body["scheme"]["version"] == 1 and body["previous_period"] == "2026-10"
    rows = {row["key"]: row for row in body["rows"]}
    mine = rows[grid.code]
    items = {item["indicator"]: item for item in mine["items"]}
    # 化解率 2/4 = 0.5 of 0.8; 按期 2/2; 上交率 1/4 over 0.1: (1 − 0.25)/(1 − 0.1); the survey
    # is not measured, so 80 points are scaled to 100: 50 × 0.625 + 25 × 1 + 25 × 0.8333.
    assert (items["resolution_rate"]["numerator"], items["resolution_rate"]["denominator"]) == (2, 4)
    assert items["resolution_rate"]["earned"] == 31.25 and items["resolution_rate"]["lost"] == 18.75
    assert items["on_time_rate"]["value"] == 1.0 and items["on_time_rate"]["earned"] == 25.0
    assert items["escalation_rate"]["value"] == 0.25 and items["escalation_rate"]["earned"] == 20.83
    assert (
        items["public_safety_survey"]["applicable"] is False
        and items["public_safety_survey"]["earned"] is None
    )
    assert mine["score"] == 77.08 and mine["rank"] == 1
    # October is scored by the built-in example, in effect then: no case, and patrols (巡查覆盖率,
    # 0 of the month's grid-weeks) the only item it could measure — a duty not done scores 0.
    assert body["previous_scheme_version"] == 0
    assert mine["previous_score"] == 0.0 and mine["change"] == 77.08
    # The community's other grids had nothing to score: listed, not ranked, never a zero.
    others = [row for key, row in rows.items() if key != grid.code]
    assert others and all(row["score"] is None and row["rank"] is None for row in others)
    assert body["red_board"] == [grid.code] and body["black_board"] == []


def test_a_period_keeps_the_scheme_in_effect_when_it_began(api_as, people):
    grid_scheme(people["city"])
    grid_scheme(people["city"], effective_from=date(2026, 12, 1), version=2, resolution_points=60)
    grid = november_in_one_grid(people)
    api = api_as(people["mediator"])
    november = api.get(
        "/api/v1/assessment/rankings", query_string={"subject": "grid", "period": NOVEMBER}
    ).json
    assert november["scheme"]["version"] == 1
    assert {row["key"]: row["score"] for row in november["rows"]}[grid.code] == 77.08
    versions = api.get("/api/v1/assessment/schemes", query_string={"subject": "grid"}).json
    assert [v["version"] for v in versions] == [2, 1, 0]  # newest first, the built-in example last


def test_the_city_centre_makes_a_new_version_in_effect_from_a_month_to_come(api_as, people):
    city = api_as(people["city"])
    this_month = utcnow().astimezone(local_tz()).date().replace(day=1)
    items = [
        {"indicator": "sign_on_time_rate", "points": 50, "target": 0.95},
        {"indicator": "finish_on_time_rate", "points": 50, "target": 0.9},
        {"indicator": "red_cards", "points": 5, "cap": 20},
    ]
    made = city.post(
        "/api/v1/assessment/schemes",
        json={
            "subject": "unit",
            "name": "部门考核",
            "effective_from": this_month.isoformat(),
            "items": items,
        },
    )
    assert made.status_code == 201, made.json
    assert made.json["version"] == 1 and made.json["items"][2]["label"] == "红牌"
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    past = city.post(
        "/api/v1/assessment/schemes",
        json={"subject": "unit", "name": "改过去", "effective_from": last_month.isoformat(), "items": items},
    )
    assert past.status_code == 422 and "effective_from" in past.json["errors"]
    short = city.post(
        "/api/v1/assessment/schemes",
        json={
            "subject": "unit",
            "name": "不足百分",
            "effective_from": this_month.isoformat(),
            "items": items[:1],
        },
    )
    assert short.status_code == 422 and "add up to 50" in str(short.json["errors"]["items"])
    township = api_as(people["township"]).post(
        "/api/v1/assessment/schemes",
        json={
            "subject": "unit",
            "name": "镇街自定",
            "effective_from": this_month.isoformat(),
            "items": items,
        },
    )
    assert township.status_code == 403
    stored = db.session.scalars(sa.select(AssessmentScheme.version).where(AssessmentScheme.subject == "unit"))
    assert list(stored) == [1]  # the refused ones saved nothing


def test_yellow_and_red_cards_come_off_a_centre_and_a_unit(people):
    supervised_twice_and_a_unit_once(people)  # 枫桥镇: a yellow and a red card; 人力社保所: a yellow
    now = datetime(2026, 12, 20, 10, tzinfo=SHANGHAI)
    townships = ranking(people["city"], Subject.TOWNSHIP, CITY, "2026-12", now=now)
    fengqiao = next(row for row in townships["rows"] if row["key"] == FENGQIAO)
    items = {item["indicator"]: item for item in fengqiao["items"]}
    # The built-in scheme: 1 point a yellow card, 2 a red one.
    assert (items["yellow_cards"]["value"], items["yellow_cards"]["deducted"]) == (1, 1.0)
    assert (items["red_cards"]["value"], items["red_cards"]["deducted"]) == (1, 2.0)
    assert (
        fengqiao["deducted"] == 3.0 and townships["to_date"] is True and townships["to"] == date(2026, 12, 20)
    )
    assert fengqiao["score"] == max(0.0, round(fengqiao["base"] - 3.0, 2))
    units = ranking(people["city"], Subject.UNIT, FENGQIAO, "2026-12", now=now)
    rlsbs = next(row for row in units["rows"] if row["key"] == RLSBS)
    assert {i["indicator"]: i["deducted"] for i in rlsbs["items"]}["yellow_cards"] == 1.0


def test_the_spreadsheet_holds_the_rankings_figures(api_as, people):
    grid_scheme(people["city"])
    grid = november_in_one_grid(people)
    api = api_as(people["mediator"])
    query = {"subject": "grid", "period": NOVEMBER}
    body = api.get("/api/v1/assessment/rankings", query_string=query).json
    sheet = api.get("/api/v1/assessment/rankings/export", query_string=query)
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(BytesIO(sheet.data), read_only=True)
    ranked = list(workbook["网格考核排名"].iter_rows(values_only=True))
    assert ranked[1][:4] == (1, grid.name, body["rows"][0]["parent"], 77.08)
    assert sum(1 for row in ranked[1:] if row[3] == "不参评") == len(body["rows"]) - 1
    details = [row for row in workbook["得分明细"].iter_rows(values_only=True) if row[0] == grid.name]
    by_label = {row[1]: row for row in details}
    assert by_label["化解率"][3:6] == (50.0, 2, 4) and by_label["化解率"][9] == 31.25
    assert by_label["群众安全感满意率"][12].startswith("不适用")


def test_a_grid_worker_sees_their_own_score_and_no_ranking(api_as, people):
    grid = november_in_one_grid(people)
    worker = api_as(people["worker"])
    mine = worker.get("/api/v1/assessment/my-score", query_string={"period": NOVEMBER})
    assert mine.status_code == 200, mine.json
    items = {item["indicator"]: item for item in mine.json["row"]["items"]}
    # The built-in scheme for workers: the four cases they reported against 8 a month; their
    # grid's 化解率 2/4.
    assert items["reported"]["value"] == 4 and items["reported"]["target"] == 8.0
    assert items["reported"]["earned"] is not None and items["resolution_rate"]["value"] == 0.5
    assert mine.json["region"]["code"] == grid.township_code and mine.json["ranked"] >= 1
    assert worker.get("/api/v1/assessment/rankings", query_string={"subject": "grid"}).status_code == 403
    township = api_as(people["township"]).get(
        "/api/v1/assessment/rankings", query_string={"subject": "township", "region": FENGQIAO}
    )
    assert township.status_code == 422 and "region" in township.json["errors"]
    future = api_as(people["township"]).get(
        "/api/v1/assessment/rankings", query_string={"subject": "community", "period": "2030-01"}
    )
    assert future.status_code == 422
    assert api_as(people["mediator"]).get("/api/v1/assessment/my-score").status_code == 403


def test_drilling_down_from_townships_to_communities(api_as, people):
    november_in_one_grid(people)
    city = api_as(people["city"])
    townships = city.get(
        "/api/v1/assessment/rankings", query_string={"subject": "township", "period": NOVEMBER}
    ).json
    fengqiao = next(row for row in townships["rows"] if row["key"] == FENGQIAO)
    assert fengqiao["drill_region"] == FENGQIAO and fengqiao["score"] is not None
    communities = city.get(
        "/api/v1/assessment/rankings",
        query_string={"subject": "community", "region": fengqiao["drill_region"], "period": NOVEMBER},
    ).json
    names = {row["key"] for row in communities["rows"]}
    inside = db.session.scalars(
        sa.select(Region.code).where(Region.level == "community", Region.township_code == FENGQIAO)
    )
    assert names == set(inside) and grid_in(FENGQIAO).community_code in names


def test_the_city_centre_makes_a_version_on_its_page_and_mistakes_are_said_in_chinese(app, people):
    from tests.integration.test_attachments_and_pages import sign_in

    client = app.test_client()
    sign_in_with_second_factor(client, people["city"])
    page = client.get("/dashboard/assessment/schemes?subject=grid&lang=zh").get_data(as_text=True)
    assert "默认考核方案（示例）" in page and "群众安全感满意率" in page and 'id="new-scheme"' in page
    this_month = utcnow().astimezone(local_tz()).date().strftime("%Y-%m")
    token = client.get("/dashboard/assessment/schemes?subject=grid").get_data(as_text=True)
    csrf = token.split('name="csrf_token" value="')[1].split('"')[0]
    form = {
        "csrf_token": csrf,
        "subject": "grid",
        "name": "网格考核2027",
        "effective_month": this_month,
        "points-resolution_rate": "60",
        "target-resolution_rate": "90",  # percent on the page
        "points-patrol_coverage": "30",
        "target-patrol_coverage": "100",
    }
    short = client.post("/dashboard/assessment/schemes", data=form)
    assert short.status_code == 422
    assert "计分指标分值合计90分，应为100分" in short.get_data(as_text=True)
    assert 'value="网格考核2027"' in short.get_data(as_text=True)  # what was typed stays
    saved = client.post("/dashboard/assessment/schemes", data={**form, "points-patrol_coverage": "40"})
    assert saved.status_code == 302
    stored = db.session.scalars(sa.select(AssessmentScheme).where(AssessmentScheme.subject == "grid")).one()
    assert stored.version == 1 and [(i.indicator, float(i.target)) for i in stored.items] == [
        ("resolution_rate", 0.9),
        ("patrol_coverage", 1.0),
    ]
    # Another centre reads the schemes, without the form.
    reader = app.test_client()
    sign_in(reader, people["township"].username)
    page = reader.get("/dashboard/assessment/schemes?subject=grid&lang=zh").get_data(as_text=True)
    assert "网格考核2027" in page and 'id="new-scheme"' not in page


def test_patrol_coverage_counts_whole_weeks_a_patrol_covered(api_as, people):
    """November 2026 touches the weeks of 26 Oct … 30 Nov; the last is still running on 30 Nov, so
    five weeks are judged. A patrol on Tuesday 27 Oct covers the first of them, one on 10 Nov the
    third: 2 of 5."""
    from gridcase.gridwork.patrols import record_patrol
    from tests.helpers import point_in

    worker = people["worker"]
    grid = worker.grids[0]
    scheme = grid_scheme(people["city"])
    for item in list(scheme.items):
        db.session.delete(item)
    db.session.flush()
    scheme.items = [
        AssessmentSchemeItem(
            position=0, indicator="patrol_coverage", points=Decimal(100), target=Decimal("1")
        )
    ]
    db.session.flush()
    lon, lat = point_in(grid.code)
    for when in (datetime(2026, 10, 27, 9, tzinfo=SHANGHAI), datetime(2026, 11, 10, 9, tzinfo=SHANGHAI)):
        points = [
            {"lon": lon, "lat": lat, "at": when},
            {"lon": lon + 0.0002, "lat": lat, "at": when + timedelta(seconds=30)},
        ]
        body = {"started_at": when, "ended_at": when + timedelta(minutes=5), "points": points, "findings": []}
        record_patrol(worker, {**body, "note": ""}, f"cov-{when:%m%d}", when + timedelta(minutes=6))
    body = (
        api_as(people["mediator"])
        .get("/api/v1/assessment/rankings", query_string={"subject": "grid", "period": NOVEMBER})
        .json
    )
    mine = next(row for row in body["rows"] if row["key"] == grid.code)
    coverage = next(item for item in mine["items"] if item["indicator"] == "patrol_coverage")
    assert (coverage["numerator"], coverage["denominator"]) == (2, 5) and mine["score"] == 40.0
