"""Watch lists and screening rounds (issue 16, Done means): a 重点人员's follow-up comes due,
shows on the worker's list and, left past its day, raises an alert once; a follow-up moves the
next day on. A 矛盾纠纷排查 round where one grid files a 零报告 and another files nothing raises
exactly one missing-report alert, for the grid that filed nothing."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from gridcase.audit.models import AuditEntry
from gridcase.extensions import db
from gridcase.gridwork.models import WatchItem
from gridcase.gridwork.watch import due_follow_ups
from gridcase.ladder.sweep import sweep
from gridcase.settings import utcnow
from gridcase.stats.models import Alert
from gridcase.territory.models import Region
from tests.helpers import FENGQIAO, SHANGHAI, point_in
from tests.integration.test_attachments_and_pages import csrf_from, sign_in

PERSON = {"name": "赵德明", "id_number": "11010519491231002X", "phone": "13500001111"}


def watched_person(worker, **overrides):
    lon, lat = point_in(worker.grids[0].code)
    body = {
        "kind": "person",
        "category": "community_correction",
        "grade": "high",
        "person": PERSON,
        "lon": lon,
        "lat": lat,
        "rhythm_days": 30,
        "first_due": (utcnow() + timedelta(days=3)).date().isoformat(),
    }
    return {**body, **overrides}


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def alerts(kind: str) -> list[Alert]:
    return list(db.session.scalars(sa.select(Alert).where(Alert.kind == kind)))


def test_a_follow_up_comes_due_alerts_once_when_late_and_moves_on_when_done(api_as, worker, people):
    api = api_as(worker)
    answer = api.post("/api/v1/watch-items", json=watched_person(worker))
    assert answer.status_code == 201, answer.json
    item = answer.json
    assert (
        item["title"] == "赵**" and item["id_number"].startswith("110105") and "1949" not in item["id_number"]
    )
    stored = db.session.get(WatchItem, item["id"])
    assert "赵德明".encode() not in bytes(stored.name_encrypted)
    due = date.fromisoformat(item["next_due"])
    assert [i.id for i in due_follow_ups(worker, utcnow().astimezone(SHANGHAI).date())] == [item["id"]]
    assert [i["id"] for i in api.get("/api/v1/watch-items?due=true").json] == [item["id"]]
    assert sweep(at(due, 23)).follow_ups_overdue == 0  # the due day itself is in time
    assert sweep(at(due + timedelta(days=1))).follow_ups_overdue == 1
    assert sweep(at(due + timedelta(days=2))).follow_ups_overdue == 0  # once per due day
    (alert,) = alerts("follow_up_overdue")
    assert alert.severity == "red" and alert.grid_code == worker.grids[0].code and "赵德明" not in alert.title
    assert (
        api_as(people["mediator"]).get(f"/api/v1/alerts/{alert.id}").status_code == 200
    )  # the centre sees it
    done = api.post(f"/api/v1/watch-items/{item['id']}/follow-ups", json={"note": "按时报到，情绪稳定"})
    assert done.status_code == 201 and done.json["last_followed_at"]
    assert date.fromisoformat(done.json["next_due"]) == utcnow().astimezone(SHANGHAI).date() + timedelta(
        days=30
    )
    assert api.post(f"/api/v1/watch-items/{item['id']}/follow-ups", json={"note": " "}).status_code == 422


def test_the_person_is_revealed_for_an_audited_reason_and_a_centre_closes_the_record(api_as, worker, people):
    item = api_as(worker).post("/api/v1/watch-items", json=watched_person(worker)).json
    url = f"/api/v1/watch-items/{item['id']}/person/reveal"
    assert api_as(people["mediator"]).post(url, json={"reason": "x"}).status_code == 422
    shown = api_as(people["mediator"]).post(url, json={"reason": "月度走访前核对联系方式"})
    assert shown.status_code == 200 and shown.json == PERSON
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.target == f"watched person {item['id']}")
        )
        == 1
    )
    close = f"/api/v1/watch-items/{item['id']}/close"
    assert (
        api_as(worker).post(close, json={"reason": "矫正期满"}).status_code == 422
    )  # a worker closes nothing
    assert api_as(people["mediator"]).post(close, json={"reason": "矫正期满，解除"}).status_code == 200
    assert api_as(worker).get("/api/v1/watch-items").json == []


def test_what_a_watch_record_refuses(api_as, worker, people, make_user):
    api = api_as(worker)
    wrong = api.post("/api/v1/watch-items", json=watched_person(worker, kind="hazard"))
    assert wrong.status_code == 422 and "category" in wrong.json["errors"]
    nameless = api.post("/api/v1/watch-items", json=watched_person(worker, person={"name": ""}))
    assert "person" in nameless.json["errors"]
    bad_id = api.post(
        "/api/v1/watch-items", json=watched_person(worker, person={**PERSON, "id_number": "123"})
    )
    assert "person" in bad_id.json["errors"]
    far = watched_person(worker, lon=121.5, lat=31.2)
    assert api.post("/api/v1/watch-items", json=far).status_code == 422
    hazard = watched_person(worker, kind="hazard", category="gas", person=None, title="")
    assert "title" in api.post("/api/v1/watch-items", json=hazard).json["errors"]
    # a centre names a grid worker of the grid; a mediator is not one
    by_centre = watched_person(worker, responsible_id=people["mediator"].id)
    assert (
        "responsible_id"
        in api_as(people["mediator"]).post("/api/v1/watch-items", json=by_centre).json["errors"]
    )
    ok = api_as(people["mediator"]).post(
        "/api/v1/watch-items",
        json={**hazard, "title": "液化气瓶露天存放", "responsible_id": worker.id, "grade": "medium"},
    )
    assert ok.status_code == 201 and ok.json["responsible"] == worker.display_name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WatchItem)) == 1


def grids_of(township: str, count: int) -> list[Region]:
    return list(
        db.session.scalars(
            sa.select(Region)
            .where(Region.level == "grid", Region.township_code == township)
            .order_by(Region.code)
        )
    )[:count]


def test_a_round_with_a_zero_report_and_a_silent_grid_raises_one_missing_report_alert(
    api_as, people, make_user
):
    township = people["township"]
    grids = grids_of(FENGQIAO, 500)
    due = utcnow().astimezone(SHANGHAI).date() + timedelta(days=2)
    opened = api_as(township).post(
        "/api/v1/screening-rounds",
        json={"region": FENGQIAO, "period": "2026年12月", "due_on": due.isoformat()},
    )
    assert opened.status_code == 201, opened.json
    round_id = opened.json["id"]
    again = api_as(township).post(
        "/api/v1/screening-rounds",
        json={"region": FENGQIAO, "period": "2026年12月", "due_on": due.isoformat()},
    )
    assert again.status_code == 422 and "period" in again.json["errors"]
    # every grid but one files: a 零报告 from the first, disputes from the rest; the last is silent
    silent = grids[-1]
    first_worker = make_user("grid_worker", grids[0].code)
    url = f"/api/v1/screening-rounds/{round_id}/reports"
    zero = api_as(first_worker).post(url, json={"grid_code": grids[0].code, "disputes_found": 0})
    assert zero.status_code == 201
    assert (
        api_as(first_worker).post(url, json={"grid_code": grids[0].code, "disputes_found": 0}).status_code
        == 422
    )
    not_mine = api_as(first_worker).post(url, json={"grid_code": grids[1].code, "disputes_found": 0})
    assert not_mine.status_code == 403
    vague = api_as(township).post(url, json={"grid_code": grids[1].code, "disputes_found": 2})
    assert vague.status_code == 422 and "note" in vague.json["errors"]
    for grid in grids[1:-1]:
        answer = api_as(township).post(
            url, json={"grid_code": grid.code, "disputes_found": 1, "note": "邻里噪音"}
        )
        assert answer.status_code == 201
    detail = api_as(township).get(f"/api/v1/screening-rounds/{round_id}").json
    reported = {g["grid_code"]: g for g in detail["grids"]}
    assert reported[grids[0].code]["zero_report"] is True and reported[silent.code]["reported"] is False
    assert sweep(at(due, 23)).screening_missing == 0  # in time until the due day ends
    assert sweep(at(due + timedelta(days=1))).screening_missing == 1
    assert sweep(at(due + timedelta(days=2))).screening_missing == 0  # once per round
    (alert,) = alerts("screening_missing")
    assert alert.grid_code == silent.code and "2026年12月" in alert.title and "零报告" in alert.title
    assert [r["id"] for r in api_as(first_worker).get("/api/v1/screening-rounds").json] == [round_id]


def test_who_calls_a_round(api_as, people, worker):
    due = (utcnow() + timedelta(days=5)).date().isoformat()
    body = {"region": FENGQIAO, "period": "2026年第50周", "due_on": due}
    assert api_as(worker).post("/api/v1/screening-rounds", json=body).status_code == 403
    assert api_as(people["mediator"]).post("/api/v1/screening-rounds", json=body).status_code == 403
    past = api_as(people["township"]).post("/api/v1/screening-rounds", json={**body, "due_on": "2020-01-01"})
    assert past.status_code == 422 and "due_on" in past.json["errors"]
    grid = api_as(people["township"]).post(
        "/api/v1/screening-rounds", json={**body, "region": worker.grids[0].code}
    )
    assert grid.status_code == 422 and "region" in grid.json["errors"]


def test_the_workers_phone_lists_due_follow_ups_and_screening_to_report(app, api_as, worker, people):
    item = api_as(worker).post("/api/v1/watch-items", json=watched_person(worker)).json
    due = (utcnow() + timedelta(days=4)).date().isoformat()
    round_id = (
        api_as(people["township"])
        .post("/api/v1/screening-rounds", json={"region": FENGQIAO, "period": "2026年12月", "due_on": due})
        .json["id"]
    )
    client = app.test_client()
    sign_in(client, worker.username)
    home = client.get("/m/?lang=zh")
    html = home.get_data(as_text=True)
    assert "待回访" in html and "赵**" in html and "赵德明" not in html
    assert "2026年12月" in html and worker.grids[0].name in html
    token = csrf_from(home.data)
    bad = client.post(
        f"/m/screening/{round_id}/report",
        data={"csrf_token": token, "grid_code": worker.grids[0].code, "disputes_found": "some"},
    )
    assert bad.status_code == 302
    assert "请填写排查出的矛盾纠纷数" in client.get("/m/?lang=zh").get_data(as_text=True)
    zero = client.post(
        f"/m/screening/{round_id}/report",
        data={"csrf_token": token, "grid_code": worker.grids[0].code, "disputes_found": "0"},
    )
    assert zero.status_code == 302
    detail = api_as(people["township"]).get(f"/api/v1/screening-rounds/{round_id}").json
    mine = next(g for g in detail["grids"] if g["grid_code"] == worker.grids[0].code)
    assert mine["zero_report"] is True
    done = client.post(f"/m/watch/{item['id']}/follow-up", data={"csrf_token": token, "note": "按时报到"})
    assert done.status_code == 302
    html = client.get("/m/?lang=zh").get_data(as_text=True)
    assert "赵**" not in html and "2026年12月" not in html  # nothing left to do


def test_the_months_rounds_open_by_themselves_when_configured(app, api_as, worker, monkeypatch):
    assert sweep(at(date(2026, 12, 1))).screening_rounds_opened == 0  # off by default
    monkeypatch.setitem(app.config, "GRIDCASE_MONTHLY_SCREENING_DUE_DAY", 30)
    townships = db.session.scalar(
        sa.select(sa.func.count()).select_from(Region).where(Region.level == "township")
    )
    assert sweep(at(date(2026, 12, 1))).screening_rounds_opened == townships
    assert sweep(at(date(2026, 12, 2))).screening_rounds_opened == 0  # once a month
    (mine,) = api_as(worker).get("/api/v1/screening-rounds").json
    assert (mine["period"], mine["due_on"], mine["region_code"]) == ("2026年12月", "2026-12-30", FENGQIAO)
    february = sweep(at(date(2027, 2, 1)))
    assert february.screening_rounds_opened == townships
    rounds = api_as(worker).get("/api/v1/screening-rounds").json
    assert rounds[0]["period"] == "2027年2月" and rounds[0]["due_on"] == "2027-02-28"  # the month's last day


def test_the_township_calls_a_round_at_its_desk_and_sees_each_grid(app, people, worker, api_as):
    client = app.test_client()
    sign_in(client, people["township"].username)
    page = client.get("/desk/screening?lang=zh")
    assert page.status_code == 200 and "组织排查" in page.get_data(as_text=True)
    token = csrf_from(page.data)
    refused = client.post(
        "/desk/screening", data={"csrf_token": token, "region": FENGQIAO, "period": "", "due_on": "x"}
    )
    assert refused.status_code == 422 and "请填写日期" in refused.get_data(as_text=True)
    due = (utcnow().astimezone(SHANGHAI).date() + timedelta(days=3)).isoformat()
    called = client.post(
        "/desk/screening",
        data={"csrf_token": token, "region": FENGQIAO, "period": "2026年12月", "due_on": due},
    )
    assert called.status_code == 302
    (round_,) = api_as(worker).get("/api/v1/screening-rounds").json
    url = f"/api/v1/screening-rounds/{round_['id']}/reports"
    assert (
        api_as(worker).post(url, json={"grid_code": worker.grids[0].code, "disputes_found": 0}).status_code
        == 201
    )
    html = client.get("/desk/screening?lang=zh").get_data(as_text=True)
    assert "2026年12月" in html and "已上报1个网格" in html and "零报告1个" in html and "未上报" in html
    mediator = app.test_client()
    sign_in(mediator, people["mediator"].username)
    seen = mediator.get("/desk/screening?lang=zh").get_data(as_text=True)
    assert "2026年12月" in seen and "发起排查" not in seen  # a community sees it, calls none


def test_the_centres_watch_list_shows_late_ones_and_closes_with_a_reason(app, api_as, worker, people):
    item = (
        api_as(worker)
        .post(
            "/api/v1/watch-items",
            json=watched_person(worker, first_due=(utcnow() - timedelta(days=2)).date().isoformat()),
        )
        .json
    )
    client = app.test_client()
    sign_in(client, people["mediator"].username)
    page = client.get("/desk/watch?lang=zh")
    html = page.get_data(as_text=True)
    assert "赵**" in html and "社区矫正对象" in html and "超时" in html and "赵德明" not in html
    url = f"/desk/watch/{item['id']}/close"
    refused = client.post(url, data={"csrf_token": csrf_from(page.data), "reason": ""})
    assert refused.status_code == 422 and "请说明销号原因" in refused.get_data(as_text=True)
    assert (
        client.post(url, data={"csrf_token": csrf_from(page.data), "reason": "矫正期满"}).status_code == 302
    )
    assert "赵**" not in client.get("/desk/watch?lang=zh").get_data(as_text=True)
