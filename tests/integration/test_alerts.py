"""Risk alerts (DESIGN §5): each rule with its configured threshold, scope, and the
acknowledge (签收) and close (销号) flow through the API."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.people.privacy import _ID_CHECK, _ID_WEIGHTS
from gridcase.stats.alerts import scan_alerts
from gridcase.stats.models import Alert, alert_cases
from gridcase.territory.models import Region
from tests.helpers import CITY, FENGQIAO, JIYANG, SHANGHAI, case_payload, grid_in
from tests.integration.test_attachments_and_pages import csrf_from, sign_in

MONDAY = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)


# A refused request rolls back what it has not committed, the sign-in's token too: commit it.
COMMIT_SIGN_IN = True


def id_number(seventeen: str) -> str:
    """A resident ID number with a valid check digit."""
    total = sum(int(d) * w for d, w in zip(seventeen, _ID_WEIGHTS, strict=True))
    return seventeen + _ID_CHECK[total % 11]


ZHANG = id_number("33068119850505456")  # ends in X
LI = id_number("33068119800101123")


def alerts_of(kind: str) -> list[Alert]:
    return list(db.session.scalars(sa.select(Alert).where(Alert.kind == kind).order_by(Alert.id)))


def linked(alert: Alert) -> set[int]:
    return set(db.session.scalars(sa.select(alert_cases.c.case_id).where(alert_cases.c.alert_id == alert.id)))


def other_community_grid(grid: Region) -> Region:
    return db.session.scalars(
        sa.select(Region)
        .where(
            Region.level == "grid",
            Region.township_code == grid.township_code,
            Region.community_code != grid.community_code,
        )
        .order_by(Region.code)
        .limit(1)
    ).one()


# --- immediate rules: at intake -----------------------------------------------------------------


def test_a_mass_incident_is_raised_at_intake_from_the_threshold(worker):
    grid = grid_in(FENGQIAO).code
    below = create_case(worker, case_payload(grid, people_involved=4)).case
    at_threshold = create_case(worker, case_payload(grid, people_involved=5, title="村口聚集")).case
    [alert] = alerts_of("mass_incident")
    assert linked(alert) == {at_threshold.id} and below.id not in linked(alert)
    assert (alert.severity, alert.status, alert.grid_code) == ("red", "open", grid)
    assert "5人" in alert.title and "村口聚集" in alert.title


def test_the_mass_incident_threshold_is_configuration(app, monkeypatch, worker):
    monkeypatch.setitem(app.config, "GRIDCASE_MASS_INCIDENT_THRESHOLD", 20)
    create_case(worker, case_payload(grid_in(FENGQIAO).code, people_involved=19))
    assert alerts_of("mass_incident") == []
    create_case(worker, case_payload(grid_in(FENGQIAO).code, people_involved=20))
    assert len(alerts_of("mass_incident")) == 1


def test_a_dispute_that_may_intensify_raises_an_alert(worker):
    grid = grid_in(FENGQIAO).code
    calm = create_case(worker, case_payload(grid, kind="dispute", category="D02")).case
    tense = create_case(worker, case_payload(grid, kind="dispute", category="D02", may_intensify=True)).case
    [alert] = alerts_of("may_intensify")
    assert linked(alert) == {tense.id} and calm.id not in linked(alert)
    assert "可能激化" in alert.title


# --- scan rules ---------------------------------------------------------------------------------


def test_a_hotspot_is_three_cases_of_one_category_in_one_grid_within_seven_days(worker):
    grid = grid_in(FENGQIAO).code
    first, second = (
        create_case(worker, case_payload(grid, category="E0105"), now=MONDAY + timedelta(days=d)).case
        for d in (0, 2)
    )
    create_case(
        worker, case_payload(grid, category="E0106"), now=MONDAY + timedelta(days=3)
    )  # other category
    assert scan_alerts(MONDAY + timedelta(days=4)).raised["hotspot"] == 0
    third = create_case(worker, case_payload(grid, category="E0105"), now=MONDAY + timedelta(days=5)).case
    report = scan_alerts(MONDAY + timedelta(days=5, hours=1))
    assert report.raised["hotspot"] == 1
    [alert] = alerts_of("hotspot")
    assert linked(alert) == {first.id, second.id, third.id}
    assert (alert.severity, alert.grid_code, alert.dedup_key) == ("yellow", grid, f"hotspot:{grid}:E0105")
    assert "水域不洁" in alert.title and "3起" in alert.title

    # While open, the alert gains the new cases of its grid and category, and is not raised twice.
    fourth = create_case(worker, case_payload(grid, category="E0105"), now=MONDAY + timedelta(days=6)).case
    report = scan_alerts(MONDAY + timedelta(days=6, hours=1))
    assert report.raised["hotspot"] == 0 and report.linked == 1
    assert linked(alert) == {first.id, second.id, third.id, fourth.id}
    assert len(alerts_of("hotspot")) == 1


def test_cases_spread_over_more_than_seven_days_are_no_hotspot(worker):
    grid = grid_in(FENGQIAO).code
    for day in (0, 4, 8):
        create_case(worker, case_payload(grid, category="E0105"), now=MONDAY + timedelta(days=day))
    assert scan_alerts(MONDAY + timedelta(days=8, hours=1)).raised["hotspot"] == 0


def test_rejected_cases_and_duplicates_are_not_a_hotspot(worker, make_user):
    grid = grid_in(FENGQIAO)
    mediator = make_user("community_mediator", grid.community_code)
    cases = [
        create_case(worker, case_payload(grid.code, category="E0105"), now=MONDAY + timedelta(hours=h)).case
        for h in (0, 1, 2)
    ]
    perform_action(
        mediator, cases[1].id, "reject", 1, {"reason": "非本辖区"}, now=MONDAY + timedelta(hours=3)
    )
    perform_action(
        mediator, cases[2].id, "mark_duplicate", 1, {"original": cases[0].id}, now=MONDAY + timedelta(hours=3)
    )
    assert scan_alerts(MONDAY + timedelta(hours=4)).raised["hotspot"] == 0


def test_hotspot_thresholds_are_configuration(app, monkeypatch, worker):
    monkeypatch.setitem(app.config, "GRIDCASE_HOTSPOT_COUNT", 2)
    monkeypatch.setitem(app.config, "GRIDCASE_HOTSPOT_DAYS", 30)
    grid = grid_in(FENGQIAO).code
    for day in (0, 20):
        create_case(worker, case_payload(grid, category="E0105"), now=MONDAY + timedelta(days=day))
    assert scan_alerts(MONDAY + timedelta(days=21)).raised["hotspot"] == 1
    assert "30日内2起" in alerts_of("hotspot")[0].title


def test_a_closed_hotspot_comes_back_only_with_a_new_case(api_as, make_user, worker):
    grid = grid_in(FENGQIAO).code
    old = {
        create_case(worker, case_payload(grid, category="E0105"), now=MONDAY + timedelta(hours=h)).case.id
        for h in (0, 1, 2)
    }
    scan_alerts(MONDAY + timedelta(hours=3))
    [alert] = alerts_of("hotspot")
    city = api_as(make_user("city_commander", CITY))
    assert (
        city.post(
            f"/api/v1/alerts/{alert.id}/close", json={"note": "已清理河道", "outcome": "defused"}
        ).status_code
        == 200
    )
    assert scan_alerts(MONDAY + timedelta(hours=4)).raised["hotspot"] == 0  # nothing new

    new = create_case(worker, case_payload(grid, category="E0105"), now=MONDAY + timedelta(hours=5)).case
    assert scan_alerts(MONDAY + timedelta(hours=6)).raised["hotspot"] == 1
    closed, reopened = alerts_of("hotspot")
    assert closed.status == "closed" and reopened.status == "open"
    assert linked(reopened) == old | {new.id}


def _dispute(worker, grid: str, people: list[tuple[str, str]], when=None, **extra):
    payload = case_payload(
        grid,
        kind="dispute",
        category="D02",
        parties=[{"name": name, "id_number": number, "role": "applicant"} for name, number in people],
        **extra,
    )
    return create_case(worker, payload, now=when).case


def test_one_person_in_two_open_disputes_is_a_repeat_party(make_user, worker):
    grid = grid_in(FENGQIAO)
    neighbour = other_community_grid(grid)
    worker_b = make_user("grid_worker", neighbour.code)
    first = _dispute(worker, grid.code, [("张三", ZHANG), ("李四", LI)])
    assert scan_alerts().raised["repeat_party"] == 0
    second = _dispute(
        worker_b, neighbour.code, [("张三", ZHANG.lower())]
    )  # the same number with a lower-case x
    _dispute(worker_b, neighbour.code, [("王五", id_number("33068119900303789"))])
    assert scan_alerts().raised["repeat_party"] == 1
    [alert] = alerts_of("repeat_party")
    assert linked(alert) == {first.id, second.id}
    assert alert.title == "当事人张*同时涉及2起未办结矛盾纠纷"
    assert ZHANG not in alert.title and ZHANG not in alert.dedup_key
    # Two communities of one township: the alert sits at the township.
    assert (alert.township_code, alert.community_code, alert.grid_code) == (FENGQIAO, None, None)

    # A third dispute in another township widens it to the city, and it links that case too.
    worker_j = make_user("grid_worker", grid_in(JIYANG).code)
    third = _dispute(worker_j, grid_in(JIYANG).code, [("张三", ZHANG)])
    assert scan_alerts().raised["repeat_party"] == 0
    db.session.refresh(alert)
    assert linked(alert) == {first.id, second.id, third.id}
    assert (alert.city_code, alert.township_code) == (CITY, None)


def test_closed_disputes_do_not_count_towards_a_repeat_party(app, monkeypatch, make_user, worker):
    grid = grid_in(FENGQIAO)
    mediator = make_user("community_mediator", grid.community_code)
    first = _dispute(worker, grid.code, [("张三", ZHANG)])
    perform_action(mediator, first.id, "resolve", 1, {"outcome": "mediated"})
    _dispute(worker, grid.code, [("张三", ZHANG)])
    assert scan_alerts().raised["repeat_party"] == 0
    monkeypatch.setitem(app.config, "GRIDCASE_REPEAT_PARTY_COUNT", 3)
    _dispute(worker, grid.code, [("张三", ZHANG)])
    assert scan_alerts().raised["repeat_party"] == 0  # two open, three needed
    _dispute(worker, grid.code, [("张三", ZHANG)])
    assert scan_alerts().raised["repeat_party"] == 1


def test_the_scan_runs_from_the_command_line(app, worker):
    grid = grid_in(FENGQIAO).code
    for h in (0, 1, 2):
        create_case(worker, case_payload(grid, category="E0105"), now=MONDAY + timedelta(hours=h))
    result = CliRunner().invoke(app.cli, ["gridcase", "scan-alerts", "--at", "2026-03-02T12:00"])
    assert result.exit_code == 0, result.output
    assert "raised 1 hotspot, 0 repeat_party" in result.output


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def two_townships(make_user):
    """A mass-incident alert in 枫桥镇 and one in 暨阳街道."""
    fengqiao, jiyang = grid_in(FENGQIAO), grid_in(JIYANG)
    f = create_case(
        make_user("grid_worker", fengqiao.code), case_payload(fengqiao.code, people_involved=30)
    ).case
    j = create_case(make_user("grid_worker", jiyang.code), case_payload(jiyang.code, people_involved=8)).case
    alert_of = {
        case_id: alert_id
        for alert_id, case_id in db.session.execute(sa.select(alert_cases.c.alert_id, alert_cases.c.case_id))
    }
    db.session.commit()
    return {"fengqiao": (f, alert_of[f.id]), "jiyang": (j, alert_of[j.id])}


@pytest.mark.parametrize(
    ("role", "scope", "sees"),
    [
        ("city_commander", CITY, {"fengqiao", "jiyang"}),
        ("township_coordinator", FENGQIAO, {"fengqiao"}),
        ("township_coordinator", JIYANG, {"jiyang"}),
        ("community_mediator", "fengqiao_community", {"fengqiao"}),
        ("grid_worker", "fengqiao_grid", {"fengqiao"}),
        ("grid_worker", "other_grid", set()),
    ],
)
def test_alerts_are_listed_within_scope(api_as, make_user, two_townships, role, scope, sees):
    scope = {
        "fengqiao_community": grid_in(FENGQIAO).community_code,
        "fengqiao_grid": grid_in(FENGQIAO).code,
        "other_grid": grid_in(FENGQIAO, 1).code,
    }.get(scope, scope)
    viewer = api_as(make_user(role, scope))
    body = viewer.get("/api/v1/alerts").json
    ids = {item["id"] for item in body["items"]}
    assert ids == {two_townships[name][1] for name in sees} and body["total"] == len(sees)
    for name, (_, alert_id) in two_townships.items():
        assert viewer.get(f"/api/v1/alerts/{alert_id}").status_code == (200 if name in sees else 404)


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_roles_without_case_content_read_no_alerts(api_as, make_user, two_townships, role):
    viewer = api_as(make_user(role, CITY))
    assert viewer.get("/api/v1/alerts").status_code == 403
    assert viewer.get(f"/api/v1/alerts/{two_townships['fengqiao'][1]}").status_code == 403


def test_one_alert_shows_the_cases_the_viewer_may_see(api_as, make_user, worker, two_townships):
    grid = grid_in(FENGQIAO)
    first = _dispute(worker, grid.code, [("张三", ZHANG)])
    second = _dispute(worker, grid.code, [("张三", ZHANG)])
    scan_alerts()
    [alert] = alerts_of("repeat_party")
    # A case the community may not see, linked by hand: the answer leaves it out.
    outside = two_townships["jiyang"][0]
    db.session.execute(sa.insert(alert_cases).values(alert_id=alert.id, case_id=outside.id))

    mediator = api_as(make_user("community_mediator", grid.community_code))
    body = mediator.get(f"/api/v1/alerts/{alert.id}").json
    assert [c["id"] for c in body["cases"]] == [first.id, second.id]
    assert body["case_count"] == 3
    assert body["region"] == {"code": grid.code, "name": grid.name, "level": "grid"}
    city = api_as(make_user("city_commander", CITY)).get(f"/api/v1/alerts/{alert.id}").json
    assert {c["id"] for c in city["cases"]} == {first.id, second.id, outside.id}


def test_acknowledge_then_close(api_as, make_user, two_townships):
    _, alert_id = two_townships["fengqiao"]
    coordinator = make_user("township_coordinator", FENGQIAO, display_name="枫桥镇综治中心 陈")
    township = api_as(coordinator)

    body = township.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"note": "已派人到场"}).json
    assert body["status"] == "acknowledged"
    assert body["acknowledged_by"]["display_name"] == "枫桥镇综治中心 陈"
    assert body["acknowledge_note"] == "已派人到场" and body["acknowledged_at"]
    again = township.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={})
    assert again.status_code == 422 and "Only an open alert" in again.json["message"]

    assert township.post(f"/api/v1/alerts/{alert_id}/close", json={}).status_code == 422  # a note is required
    closed = township.post(
        f"/api/v1/alerts/{alert_id}/close", json={"note": "人员已疏散，矛盾已化解", "outcome": "defused"}
    ).json
    assert (closed["status"], closed["close_note"]) == ("closed", "人员已疏散，矛盾已化解")
    assert closed["closed_by"]["id"] == coordinator.id and closed["closed_at"]
    alert = db.session.get(Alert, alert_id)
    assert (alert.closed_by_id, alert.acknowledged_by_id) == (coordinator.id, coordinator.id)

    assert alert_id not in {a["id"] for a in township.get("/api/v1/alerts").json["items"]}
    assert [a["id"] for a in township.get("/api/v1/alerts?status=closed").json["items"]] == [alert_id]
    assert (
        township.post(
            f"/api/v1/alerts/{alert_id}/close", json={"note": "再次", "outcome": "defused"}
        ).status_code
        == 422
    )


def test_only_handlers_in_scope_act_on_alerts(api_as, make_user, two_townships):
    _, alert_id = two_townships["fengqiao"]
    worker = api_as(make_user("grid_worker", grid_in(FENGQIAO).code))
    assert worker.get(f"/api/v1/alerts/{alert_id}").status_code == 200
    assert worker.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}).status_code == 403
    other = api_as(make_user("township_coordinator", JIYANG))
    assert (
        other.post(f"/api/v1/alerts/{alert_id}/close", json={"note": "x", "outcome": "defused"}).status_code
        == 404
    )
    assert db.session.get(Alert, alert_id).status == "open"


def test_filters_and_pages(api_as, make_user, two_townships, worker):
    # A top-level overdue case (督办) from the sweep, beside the two mass incidents.
    overdue = create_case(
        worker, case_payload(grid_in(FENGQIAO).code, severity="major"), now=MONDAY - timedelta(days=60)
    ).case
    sweep(MONDAY)
    city = api_as(make_user("city_commander", CITY))
    kinds = city.get("/api/v1/alerts?kind=top_overdue").json
    assert [a["kind"] for a in kinds["items"]] == ["top_overdue"] and kinds["total"] == 1
    assert city.get(f"/api/v1/alerts/{kinds['items'][0]['id']}").json["cases"][0]["id"] == overdue.id
    both = city.get("/api/v1/alerts?kind=mass_incident&kind=top_overdue").json
    assert both["total"] == 3
    first = city.get("/api/v1/alerts?page_size=2").json
    second = city.get("/api/v1/alerts?page_size=2&page=2").json
    total = first["total"]
    assert total == 4  # + the major case's own red alert
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert {a["id"] for a in first["items"]}.isdisjoint({a["id"] for a in second["items"]})
    assert city.get("/api/v1/alerts?status=bogus").status_code == 422


def test_an_alert_is_assessed_then_closed_with_an_outcome(api_as, make_user, two_townships):
    _, alert_id = two_townships["fengqiao"]
    coordinator = make_user("township_coordinator", FENGQIAO, display_name="枫桥镇综治中心 陈")
    township = api_as(coordinator)
    assessment = {"assessment": "30人聚集，情绪激动", "risk_grade": "high", "responsible": "枫桥镇派出所"}
    past = township.post(
        f"/api/v1/alerts/{alert_id}/assess", json={**assessment, "response_due": "2020-01-01"}
    )
    assert past.status_code == 422 and "response_due" in past.json["errors"]
    body = township.post(
        f"/api/v1/alerts/{alert_id}/assess", json={**assessment, "response_due": "2099-12-31"}
    ).json
    assert body["status"] == "acknowledged"  # assessing an open alert acknowledges it
    assert (body["risk_grade"], body["responsible"], body["response_due"]) == (
        "high",
        "枫桥镇派出所",
        "2099-12-31",
    )
    assert body["assessed_by"]["display_name"] == "枫桥镇综治中心 陈"
    no_outcome = township.post(f"/api/v1/alerts/{alert_id}/close", json={"note": "已疏散"})
    assert no_outcome.status_code == 422 and "outcome" in no_outcome.json["errors"]
    closed = township.post(
        f"/api/v1/alerts/{alert_id}/close", json={"note": "已疏散", "outcome": "controlled"}
    ).json
    assert (closed["status"], closed["close_outcome"]) == ("closed", "controlled")
    late = township.post(
        f"/api/v1/alerts/{alert_id}/assess", json={**assessment, "response_due": "2099-12-31"}
    )
    assert late.status_code == 422  # a closed alert is not assessed


def test_alerts_follow_the_drilled_down_area(api_as, make_user, two_townships):
    city = api_as(make_user("city_commander", CITY))
    listed = {a["id"] for a in city.get(f"/api/v1/alerts?region={FENGQIAO}").json["items"]}
    assert listed == {two_townships["fengqiao"][1]}
    township = api_as(make_user("township_coordinator", FENGQIAO))
    assert township.get(f"/api/v1/alerts?region={JIYANG}").status_code == 404  # not theirs


def test_the_alert_page_links_its_cases_and_keeps_a_refused_form(app, make_user, two_townships):
    case, alert_id = two_townships["fengqiao"]
    coordinator = make_user("township_coordinator", FENGQIAO)
    client = app.test_client()
    sign_in(client, coordinator.username)
    page = client.get(f"/dashboard/alerts/{alert_id}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'href="/desk/cases/{case.public_number}"' in html
    form = {
        "csrf_token": csrf_from(page.data),
        "action": "assess",
        "assessment": "聚集",
        "risk_grade": "high",
    }
    refused = client.post(
        f"/dashboard/alerts/{alert_id}", data={**form, "responsible": "", "response_due": ""}
    )
    assert refused.status_code == 422
    assert ">聚集</textarea>" in refused.get_data(as_text=True)  # what was typed stays
    done = client.post(
        f"/dashboard/alerts/{alert_id}", data={**form, "responsible": "派出所", "response_due": "2099-12-31"}
    )
    assert done.status_code == 302
    close = {"csrf_token": form["csrf_token"], "action": "close", "outcome": "defused", "note": "已化解"}
    assert client.post(f"/dashboard/alerts/{alert_id}", data=close).status_code == 302
    alert = db.session.get(Alert, alert_id)
    assert (alert.status, alert.risk_grade, alert.close_outcome) == ("closed", "high", "defused")
    outsider = app.test_client()
    sign_in(outsider, make_user("township_coordinator", JIYANG).username)
    assert outsider.get(f"/dashboard/alerts/{alert_id}").status_code == 404
