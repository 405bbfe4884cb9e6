"""Indicators per unit (条块联动): two wage-arrears disputes of 枫桥镇 dispatched to 人力社保所 (one
returned once, then late; one reworked once) with 司法所 assisting, counted by unit in the API, the
export and the command centre; Open311 names the lead unit; the second return raises an alert."""

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from gridcase.cases.intake import create_case
from gridcase.cases.models import Case
from gridcase.cases.operations import perform_action
from gridcase.channels.clients import create_client
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.stats.models import Alert, alert_cases
from gridcase.stats.queries import stats_query
from gridcase.stats.unit_indicators import unit_indicator_table
from tests.helpers import FENGQIAO, case_payload, grid_in, in_december, point_in

RLSBS, SFS, ZFZD = f"{FENGQIAO}-rlsbs", f"{FENGQIAO}-sfs", f"{FENGQIAO}-zfzd"
PERIOD = "region=" + FENGQIAO + "&from=2026-12-01&to=2026-12-31"


at = in_december


@pytest.fixture
def people(make_user):
    return {
        "worker": make_user("grid_worker", grid_in(FENGQIAO).code),
        "centre": make_user("township_coordinator", FENGQIAO),
        "rlsbs": make_user("unit_handler", None, unit_code=RLSBS),
        "sfs": make_user("unit_handler", None, unit_code=SFS),
        "zfzd": make_user("unit_handler", None, unit_code=ZFZD),
    }


def act(user, case, action, now, **payload):
    version = db.session.scalar(sa.select(Case.version).where(Case.id == case.id))
    return perform_action(user, case.id, action, version, payload, now=now)


def wage_arrears(worker, title="某工地拖欠农民工工资"):
    body = case_payload(
        worker.scope_code, kind="dispute", category="D1001", title=title, severity="significant"
    )
    return create_case(worker, body, now=at(7, 9)).case


@pytest.fixture
def history(people):
    """Case A: 人力社保所 leads (signs in 1 h), 司法所 assists (signs 28 h after, a day late);
    resolved, sent back for rework, resolved again on time, closed, revisited satisfied.
    Case B: 人力社保所 returns it within the signing limit; dispatched again, it signs in 3 h and
    never finishes (due 2026-12-29 10:00)."""
    centre, rlsbs, sfs = people["centre"], people["rlsbs"], people["sfs"]
    a = wage_arrears(people["worker"], "甲工地欠薪")
    act(centre, a, "dispatch", at(7), lead_unit=RLSBS, assist_units=[SFS], requirement="核实")
    act(rlsbs, a, "sign", at(7, 11))
    act(sfs, a, "sign", at(8, 14))
    act(sfs, a, "opinion", at(9), text="建议调解")
    act(rlsbs, a, "resolve", at(9, 11), outcome="mediated", summary="已调解")
    act(centre, a, "verify", at(10), passed=False, note="工人反映未收到工资")
    act(rlsbs, a, "resolve", at(11), outcome="mediated", summary="已支付")
    act(centre, a, "verify", at(14), passed=True, note="电话回访确认")
    act(centre, a, "revisit", at(14, 11), satisfaction="satisfied", note="满意")

    b = wage_arrears(people["worker"], "乙工地欠薪")
    act(centre, b, "dispatch", at(7), lead_unit=RLSBS, requirement="核实")
    act(rlsbs, b, "return", at(7, 15), reason="information_missing", note="未写明用工单位")
    act(centre, b, "dispatch", at(8), lead_unit=RLSBS, requirement="用工单位：某建筑公司")
    act(rlsbs, b, "sign", at(8, 13))
    return {"a": a, "b": b}


def by_unit(user, now) -> dict:
    table = unit_indicator_table(stats_query(user, {"region": FENGQIAO}), now=now)
    return {unit["code"]: unit for unit in table["units"]}


def test_a_late_assignment_counts_against_finishing_on_time(people, history):
    before = by_unit(people["centre"], now=at(21))[RLSBS]
    # Before its limit, case B's open assignment is not yet due: only case A is judged.
    assert (before["counts"]["finish_due"], before["counts"]["finished_on_time"]) == (1, 1)
    assert before["indicators"]["finish_on_time_rate"] == 1.0
    assert sweep(at(29, 11)).assignments_late == [(history["b"].public_number, RLSBS, "finish")]
    after = by_unit(people["centre"], now=at(29, 11))[RLSBS]
    assert (after["counts"]["finish_due"], after["counts"]["finished_on_time"]) == (2, 1)
    assert after["indicators"]["finish_on_time_rate"] == 0.5
    # The sweep's finding counts whatever the clock of the reader: read "before" it.
    assert by_unit(people["centre"], now=at(21))[RLSBS]["indicators"]["finish_on_time_rate"] == 0.5
    # An assisting unit is not judged on finishing.
    assert by_unit(people["centre"], now=at(29, 11))[SFS]["indicators"]["finish_on_time_rate"] is None


def test_signing_on_time_counts_for_the_unit_and_a_late_signature_against(people, history):
    units = by_unit(people["centre"], now=at(21))
    rlsbs, sfs = units[RLSBS], units[SFS]
    # 人力社保所 signed A and B's second dispatch in time; B's first it returned in time.
    assert (rlsbs["counts"]["sign_due"], rlsbs["counts"]["signed_on_time"]) == (2, 2)
    assert rlsbs["indicators"]["sign_on_time_rate"] == 1.0
    assert rlsbs["indicators"]["median_hours_to_sign"] == 2.0  # 1 h and 3 h
    assert (sfs["counts"]["sign_due"], sfs["counts"]["signed_on_time"]) == (1, 0)
    assert sfs["indicators"]["sign_on_time_rate"] == 0.0
    assert sfs["indicators"]["median_hours_to_sign"] == 28.0


def test_an_unsigned_assignment_past_its_limit_counts_as_late(people):
    case = wage_arrears(people["worker"])
    act(people["centre"], case, "dispatch", at(7), lead_unit=RLSBS, requirement="核实")
    assert by_unit(people["centre"], now=at(8, 9))[RLSBS]["counts"]["sign_due"] == 0
    late = by_unit(people["centre"], now=at(8, 11))[RLSBS]
    assert (late["counts"]["sign_due"], late["indicators"]["sign_on_time_rate"]) == (1, 0.0)


def test_returns_count_in_the_return_rate(people, history):
    units = by_unit(people["centre"], now=at(21))
    assert units[RLSBS]["indicators"]["dispatched"] == 3
    assert units[RLSBS]["counts"]["returned"] == 1
    assert units[RLSBS]["indicators"]["return_rate"] == 0.3333
    assert units[SFS]["indicators"]["return_rate"] == 0.0


def test_rework_counts_in_the_rework_rate_and_satisfaction_goes_to_the_lead_unit(people, history):
    rlsbs = by_unit(people["centre"], now=at(21))[RLSBS]
    assert (rlsbs["counts"]["reworked"], rlsbs["counts"]["lead_done"]) == (1, 1)
    assert rlsbs["indicators"]["rework_rate"] == 1.0
    assert rlsbs["indicators"]["median_hours_to_finish"] == 96.0  # dispatched on the 7th, done the 11th
    assert rlsbs["indicators"]["satisfaction_rate"] == 1.0
    assert by_unit(people["centre"], now=at(21))[SFS]["indicators"]["satisfaction_rate"] is None


def test_the_api_answers_the_units_in_scope(api_as, make_user, people, history):
    sweep(at(29, 11))
    body = api_as(people["centre"]).get(f"/api/v1/stats/units?{PERIOD}")
    assert body.status_code == 200, body.json
    units = {unit["code"]: unit for unit in body.json["units"]}
    assert [unit["code"] for unit in body.json["units"]] == [RLSBS, SFS]  # most dispatches first
    assert units[RLSBS]["name"] == "枫桥镇人力社保所" and units[RLSBS]["kind"] == "station"
    assert units[RLSBS]["indicators"] == {
        "dispatched": 3,
        "sign_on_time_rate": 1.0,
        "finish_on_time_rate": 0.5,
        "return_rate": 0.3333,
        "rework_rate": 1.0,
        "satisfaction_rate": 1.0,
        "median_hours_to_sign": 2.0,
        "median_hours_to_finish": 96.0,
    }
    assert units[SFS]["indicators"]["sign_on_time_rate"] == 0.0
    # The period is on the dispatch time: nothing was dispatched in November.
    november = api_as(people["centre"]).get(
        f"/api/v1/stats/units?region={FENGQIAO}&from=2026-11-01&to=2026-11-30"
    )
    assert november.json["units"] == []
    # Another township's centre does not see 枫桥镇; a unit's people read no statistics.
    other = make_user("township_coordinator", "330681001000")
    assert api_as(other).get(f"/api/v1/stats/units?{PERIOD}").status_code == 404
    assert api_as(other).get("/api/v1/stats/units").json["units"] == []
    assert api_as(people["rlsbs"]).get(f"/api/v1/stats/units?{PERIOD}").status_code == 403
    spec = api_as(people["centre"]).get("/api/v1/openapi.json").json
    assert "/api/v1/stats/units" in spec["paths"]


def test_the_export_has_a_sheet_by_unit(api_as, people, history):
    sweep(at(29, 11))
    response = api_as(people["centre"]).get(f"/api/v1/stats/export?format=xlsx&{PERIOD}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["统计指标", "按单位"]
    header, *rows = list(workbook["按单位"].values)
    assert header[:5] == ("单位代码", "单位名称", "单位类型", "层级", "派遣数（件）")
    sheet = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    rlsbs = sheet[RLSBS]
    assert (rlsbs["单位名称"], rlsbs["单位类型"], rlsbs["层级"]) == ("枫桥镇人力社保所", "站所", "镇街")
    assert rlsbs["派遣数（件）"] == 3
    assert rlsbs["签收及时率（%）"] == 100.0
    assert rlsbs["按期办结率（%）"] == 50.0
    assert rlsbs["退回率（%）"] == 33.33
    assert rlsbs["返工率（%）"] == 100.0
    assert rlsbs["办结时长中位数（小时）"] == 96.0
    assert sheet[SFS]["签收及时率（%）"] == 0.0


def sign_in_page(client, username):
    token = re.search(rb'name="csrf_token" value="([^"]+)"', client.get("/login").data).group(1).decode()
    client.post(
        "/login", data={"username": username, "password": "correct-horse-battery", "csrf_token": token}
    )


def test_the_command_centre_shows_each_unit(app, people, history):
    sweep(at(29, 11))
    client = app.test_client()
    sign_in_page(client, people["centre"].username)
    dashboard = client.get(f"/dashboard/?region={FENGQIAO}").get_data(as_text=True)
    assert "/dashboard/units?" in dashboard
    page = client.get(f"/dashboard/units?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = re.search(rf'<tr data-unit="{RLSBS}">(.*?)</tr>', html, re.S).group(1)
    assert "枫桥镇人力社保所" in row and '<th scope="row">' in row
    assert "50.0% <span" in row and "(1/2)" in row  # 按期办结率 with what it divides
    assert "33.3%" in row and "(1/3)" in row  # 退回率
    assert "按期办结率" in html and "退回率" in html  # the pages speak Chinese first
    assert client.get(f"/dashboard/units?region={FENGQIAO}&from=yesterday").status_code == 422
    unit_client = app.test_client()
    sign_in_page(unit_client, people["rlsbs"].username)
    refused = unit_client.get(f"/dashboard/units?{PERIOD}")  # a unit's people: their own queue
    assert refused.status_code == 302 and "/dashboard" not in refused.headers["Location"]


def test_open311_names_the_lead_unit_once_dispatched(client, people):
    _, key = create_client("诸暨12345热线平台")
    lon, lat = point_in(grid_in(FENGQIAO).code)
    posted = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "jurisdiction_id": "zhuji.gov.cn",
            "service_code": "E0401",
            "lat": f"{lat:.7f}",
            "long": f"{lon:.7f}",
            "description": "路面塌陷",
        },
    )
    number = posted.json[0]["service_request_id"]

    def agency(fmt="json"):
        response = client.get(f"/open311/v2/requests/{number}.{fmt}")
        if fmt == "json":
            return response.json[0]["agency_responsible"]
        return re.search(
            r"<agency_responsible>(.*?)</agency_responsible>", response.get_data(as_text=True)
        ).group(1)

    assert agency() == "枫桥镇"
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    version = case.version
    perform_action(people["centre"], case.id, "dispatch", version, {"lead_unit": ZFZD, "requirement": "修复"})
    assert agency() == agency("xml") == "枫桥镇综合行政执法中队"
    listed = client.get("/open311/v2/requests.json").json
    assert next(r for r in listed if r["service_request_id"] == number)["agency_responsible"] == (
        "枫桥镇综合行政执法中队"
    )
    perform_action(
        people["zfzd"], case.id, "return", case.version, {"reason": "not_our_duty", "note": "属住建"}
    )
    assert agency() == "枫桥镇"  # a returned assignment leads nothing: the centre has it again


def returned_twice_alerts(case) -> list[Alert]:
    return list(
        db.session.scalars(
            sa.select(Alert)
            .join(alert_cases, alert_cases.c.alert_id == Alert.id)
            .where(alert_cases.c.case_id == case.id, Alert.kind == "returned_twice")
        )
    )


def test_the_second_return_raises_exactly_one_alert(api_as, people):
    case = wage_arrears(people["worker"])
    act(people["centre"], case, "dispatch", at(7), lead_unit=RLSBS, requirement="核实")
    act(people["rlsbs"], case, "return", at(7, 11), reason="not_our_duty", note="属劳动监察职责")
    assert returned_twice_alerts(case) == []
    for day in (8, 9):  # the second return, and a third while the alert is open
        act(people["centre"], case, "dispatch", at(day), lead_unit=RLSBS, requirement="核实")
        act(people["rlsbs"], case, "return", at(day, 11), reason="not_our_duty", note="属劳动监察职责")
    (alert,) = returned_twice_alerts(case)
    assert (alert.severity, alert.status, alert.township_code) == ("yellow", "open", FENGQIAO)
    assert alert.opened_at == at(8, 11)
    assert case.public_number in alert.title and "退回2次" in alert.title
    listed = api_as(people["centre"]).get("/api/v1/alerts?kind=returned_twice").json
    assert [(a["id"], a["kind_label"]) for a in listed["items"]] == [
        (alert.id, "多次退回")
    ]  # the default page language


def test_an_assisting_units_return_raises_no_alert(people):
    case = wage_arrears(people["worker"])
    for day in (7, 8):
        act(
            people["centre"],
            case,
            "dispatch",
            at(day),
            lead_unit=RLSBS,
            assist_units=[SFS],
            requirement="核实",
        )
        act(people["sfs"], case, "return", at(day, 11), reason="not_our_duty", note="非本所职责")
    assert returned_twice_alerts(case) == []
