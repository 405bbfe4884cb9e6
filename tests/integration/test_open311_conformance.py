"""Open311 as GeoReport v2 says (issue 18): each deviation of the conformance review
(../shared/reviews/open311-2026-12-04.md, D1–D16) answered — by a test here, or, where the
product keeps its answer, by a sentence in docs/design.md §4 (D3, D13's POST, D15) — and the
city centre's triage of requests that cannot be placed in a grid."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.cases.models import Case, CaseEvent
from gridcase.cases.operations import perform_action
from gridcase.channels.clients import create_client
from gridcase.channels.models import Open311Request
from gridcase.extensions import db
from gridcase.settings import local_tz, utcnow
from tests.helpers import CITY, FENGQIAO, grid_in, point_in, sign_in_with_second_factor
from tests.integration.test_open311 import REPORTER, SECRETS, assert_error, post_request, xml

ADDRESS = "枫桥镇枫溪路88号东侧人行道"


@pytest.fixture
def api_key():
    _, key = create_client("诸暨12345热线平台")
    return key


def only_address(client, key, fmt="json", **extra):
    return post_request(client, key, fmt=fmt, lat="", long="", address_string=ADDRESS, **extra)


# --- D1, D2, D12, D16: errors, the root, caching, text -------------------------------------------


def test_d1_a_method_not_allowed_answers_in_the_spec_format_asked(client):
    assert_error(client.put("/open311/v2/requests.xml"), 405, "not allowed", fmt="xml")
    assert_error(client.delete("/open311/v2/requests.json"), 405, "not allowed", fmt="json")
    assert_error(client.delete("/open311/v2/requests/1.xml"), 405, "not allowed", fmt="xml")


def test_d2_the_root_serves_discovery(client):
    root = xml(client.get("/open311/v2/"))
    assert root.tag == "discovery" and root.findtext("endpoints/endpoint/specification")
    as_json = client.get("/open311/v2/", headers={"Accept": "application/json"})
    assert as_json.headers["Content-Type"].startswith("application/json") and as_json.json["endpoints"]


def test_d11_discovery_names_the_configured_address_whatever_the_host_header(client, app):
    answer = client.get("/open311/v2/discovery.json", headers={"Host": "evil.example"}).json
    assert answer["endpoints"][0]["url"] == app.config["GRIDCASE_PUBLIC_URL"].rstrip("/") + "/open311/v2"


def test_d12_xml_and_json_answers_are_never_cached(client, api_key):
    post_request(client, api_key)
    for fmt in ("xml", "json"):
        assert client.get(f"/open311/v2/requests.{fmt}").headers["Cache-Control"] == "no-store"
        assert client.get(f"/open311/v2/services.{fmt}").headers["Cache-Control"] == "no-store"


def test_d16_control_characters_are_dropped_in_both_formats(client, api_key):
    posted = post_request(client, api_key, description="井盖\x01缺失\x1f")
    number = posted.json[0]["service_request_id"]
    as_json = client.get(f"/open311/v2/requests/{number}.json")
    assert as_json.json[0]["description"] == "井盖缺失" and "\\u0001" not in as_json.get_data(as_text=True)
    assert xml(client.get(f"/open311/v2/requests/{number}.xml")).findtext("request/description") == "井盖缺失"


# --- D4: an address alone, triage ------------------------------------------------------------------


def test_d4_an_address_alone_is_kept_for_triage_with_a_token_never_refused(
    client, api_key, make_user, api_as
):
    posted = only_address(client, api_key, **REPORTER)
    assert posted.status_code == 201, posted.json
    answer = posted.json[0]
    assert set(answer) == {"token", "service_notice", "account_id"} and "市级中心" in answer["service_notice"]
    token = answer["token"]
    assert client.get(f"/open311/v2/tokens/{token}.json").json == [
        {"service_request_id": None, "token": token}
    ]

    city = api_as(make_user("city_commander", CITY))
    waiting = city.get("/api/v1/triage").json
    mine = next(w for w in waiting if w["address_string"] == ADDRESS)
    assert mine["lon"] is None and mine["reporter_name"] == "张*" and "13812348000" not in str(waiting)
    # Only the city centre places requests.
    township = api_as(make_user("township_coordinator", FENGQIAO))
    assert township.get("/api/v1/triage").status_code == 403
    lon, lat = point_in(grid_in(FENGQIAO).code)
    outside = city.post(f"/api/v1/triage/{mine['id']}/place", json={"lon": 121.47, "lat": 31.23})
    assert outside.status_code == 422 and "outside every grid" in outside.json["message"]
    placed = city.post(f"/api/v1/triage/{mine['id']}/place", json={"lon": lon, "lat": lat})
    assert placed.status_code == 201, placed.json
    number = placed.json["public_number"]
    twice = city.post(f"/api/v1/triage/{mine['id']}/place", json={"lon": lon, "lat": lat})
    assert twice.status_code == 409

    # The case now lives in the grid holding the point and the ladder has started there.
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    grid = grid_in(FENGQIAO)
    assert (case.grid_code, case.community_code, case.township_code) == (
        grid.code,
        grid.community_code,
        FENGQIAO,
    )
    assert case.level in ("community", "township") and case.due_at > utcnow() and case.address == ADDRESS
    assert case.informant is not None  # the sender, as the case's 反映人 (encrypted)
    assert client.get(f"/open311/v2/tokens/{token}.json").json == [
        {"service_request_id": number, "token": token}
    ]
    shown = client.get(f"/open311/v2/requests/{number}.json").json[0]
    received = db.session.scalar(
        sa.select(Open311Request.created_at).where(Open311Request.case_id == case.id)
    )
    assert shown["requested_datetime"] == received.astimezone(local_tz()).isoformat(timespec="seconds")
    assert not any(secret in str(shown) for secret in SECRETS)
    assert mine["id"] not in [w["id"] for w in city.get("/api/v1/triage").json]


def test_d4_once_placed_the_case_climbs_the_ladder(client, api_key, make_user, api_as):
    from gridcase.ladder.sweep import sweep

    token = only_address(client, api_key).json[0]["token"]
    city = api_as(make_user("city_commander", CITY))
    waiting_id = next(w["id"] for w in city.get("/api/v1/triage").json if w["address_string"] == ADDRESS)
    lon, lat = point_in(grid_in(FENGQIAO).code)
    number = city.post(f"/api/v1/triage/{waiting_id}/place", json={"lon": lon, "lat": lat}).json[
        "public_number"
    ]
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    start_level = case.level
    sweep(case.due_at + timedelta(minutes=1))
    db.session.refresh(case)
    assert case.level != start_level and case.escalation_count == 1
    assert client.get(f"/open311/v2/tokens/{token}.json").json[0]["service_request_id"] == number


def test_d4_a_point_outside_every_grid_and_an_address_id_alone_wait_for_triage(
    client, api_key, make_user, api_as
):
    outside = post_request(client, api_key, lat="31.2304", long="121.4737", address_string="上海某处")
    assert outside.status_code == 201 and "token" in outside.json[0]
    by_id = post_request(client, api_key, lat="", long="", address_id="ZJ-ADDR-00042")
    assert by_id.status_code == 201 and "token" in by_id.json[0]
    city = api_as(make_user("city_commander", CITY))
    waiting = {w["address_id"] or w["address_string"]: w for w in city.get("/api/v1/triage").json}
    assert (waiting["上海某处"]["lon"], waiting["上海某处"]["lat"]) == (121.4737, 31.2304)
    dismissed = city.post(
        f"/api/v1/triage/{waiting['ZJ-ADDR-00042']['id']}/dismiss", json={"reason": "测试数据"}
    )
    assert dismissed.status_code == 204
    left = [w["address_id"] for w in city.get("/api/v1/triage").json]
    assert "ZJ-ADDR-00042" not in left
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.address == "上海某处")) == 0
    )


def test_d4_an_address_id_sent_with_a_point_is_kept_and_returned(client, api_key):
    number = post_request(client, api_key, address_id="ZJ-ADDR-7").json[0]["service_request_id"]
    assert client.get(f"/open311/v2/requests/{number}.json").json[0]["address_id"] == "ZJ-ADDR-7"


def test_d4_a_retried_address_only_request_keeps_one_token(client, api_key):
    form_headers = {"Idempotency-Key": "addr-retry"}
    lon_lat = {"lat": "", "long": "", "address_string": ADDRESS}
    one = client.post("/open311/v2/requests.json", data=_form(api_key, **lon_lat), headers=form_headers)
    two = client.post("/open311/v2/requests.json", data=_form(api_key, **lon_lat), headers=form_headers)
    assert one.json[0]["token"] == two.json[0]["token"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Open311Request)
            .where(Open311Request.idempotency_key == "addr-retry")
        )
        == 1
    )


def _form(key, **extra):
    return {
        "api_key": key,
        "jurisdiction_id": "zhuji.gov.cn",
        "service_code": "E0401",
        "description": "路面塌陷",
        **extra,
    }


# --- D5, D6, D7, D14: the list's arguments -------------------------------------------------------


def test_d5_a_date_alone_and_an_unencoded_plus_offset_are_read(client, api_key):
    number = post_request(client, api_key).json[0]["service_request_id"]
    today = utcnow().astimezone(local_tz()).date()
    day = client.get(f"/open311/v2/requests.json?start_date={today - timedelta(days=1)}")
    assert day.status_code == 200 and number in [r["service_request_id"] for r in day.json]
    # "+08:00" typed straight into a URL arrives as a space.
    spaced = client.get(f"/open311/v2/requests.json?start_date={today - timedelta(days=1)}T00:00:00 08:00")
    assert spaced.status_code == 200 and number in [r["service_request_id"] for r in spaced.json]


def test_d6_repeated_keys_are_a_comma_list(client, api_key):
    for code in ("E0401", "E0102"):
        post_request(client, api_key, code=code)
    repeated = client.get("/open311/v2/requests.json?service_code=E0401&service_code=E0102").json
    comma = client.get("/open311/v2/requests.json?service_code=E0401,E0102").json
    assert {r["service_code"] for r in repeated} == {"E0401", "E0102"} and repeated == comma
    both = client.get("/open311/v2/requests.json?status=open&status=closed").json
    assert len(both) == len(client.get("/open311/v2/requests.json?status=open,closed").json) >= 2


def test_d7_a_start_alone_runs_to_now(client, api_key):
    number = post_request(client, api_key).json[0]["service_request_id"]
    long_ago = (utcnow() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = client.get(f"/open311/v2/requests.json?start_date={long_ago}").json
    assert number in [r["service_request_id"] for r in found]
    end_only = (utcnow() - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert number not in [
        r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?end_date={end_only}").json
    ]


def test_d14_updated_after_and_before_filter_by_last_change(client, api_key, make_user):
    number = post_request(client, api_key).json[0]["service_request_id"]
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    mark = (case.updated_at + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert number not in [
        r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?updated_after={mark}").json
    ]
    perform_action(
        make_user("township_coordinator", FENGQIAO),
        case.id,
        "accept",
        case.version,
        {},
        now=case.updated_at + timedelta(minutes=5),
    )
    after = client.get(f"/open311/v2/requests.json?updated_after={mark}").json
    assert number in [r["service_request_id"] for r in after]
    assert number not in [
        r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?updated_before={mark}").json
    ]


# --- D8, D9, D10 ---------------------------------------------------------------------------------


def test_d8_attributes_the_service_does_not_define_are_kept_as_a_note_for_the_handlers(client, api_key):
    posted = post_request(
        client, api_key, **{"attribute[fixmystreet_id]": "88123", "attribute[people_involved]": "3"}
    )
    assert posted.status_code == 201, posted.json
    number = posted.json[0]["service_request_id"]
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    assert case.people_involved == 3 and "fixmystreet_id" not in case.description
    kept = db.session.scalar(sa.select(Open311Request).where(Open311Request.case_id == case.id))
    assert kept.extra_attributes == {"fixmystreet_id": ["88123"]}
    notes = db.session.scalars(
        sa.select(CaseEvent.payload).where(CaseEvent.case_id == case.id, CaseEvent.action == "note")
    ).all()
    assert any("fixmystreet_id=88123" in note["text"] for note in notes)  # on the handlers' timeline
    assert "88123" not in client.get(f"/open311/v2/requests/{number}.json").get_data(as_text=True)


def test_d9_rejected_and_duplicate_requests_say_so_apart_from_fixed_ones(client, api_key, make_user):
    township = make_user("township_coordinator", FENGQIAO)
    numbers = [post_request(client, api_key).json[0]["service_request_id"] for _ in range(3)]
    cases = [db.session.scalar(sa.select(Case).where(Case.public_number == n)) for n in numbers]
    now = utcnow()
    perform_action(township, cases[0].id, "reject", cases[0].version, {"reason": "不属于受理范围"}, now=now)
    perform_action(
        township, cases[1].id, "mark_duplicate", cases[1].version, {"original": cases[2].id}, now=now
    )
    notes = {
        r["service_request_id"]: r
        for r in client.get(f"/open311/v2/requests.json?service_request_id={','.join(numbers)}").json
    }
    assert (notes[numbers[0]]["status"], notes[numbers[0]]["status_notes"]) == ("closed", "不予受理。")
    assert notes[numbers[1]]["status"] == "closed" and "重复件" in notes[numbers[1]]["status_notes"]
    until = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    feed = {
        u["service_request_id"]: u["description"]
        for u in client.get(f"/open311/v2/servicerequestupdates.json?end_date={until}").json
    }
    assert feed[numbers[0]] == "不予受理。" and "重复件" in feed[numbers[1]]


def test_d10_a_request_has_the_same_service_notice_on_get_as_on_post(client, api_key):
    posted = post_request(client, api_key).json[0]
    shown = client.get(f"/open311/v2/requests/{posted['service_request_id']}.xml")
    assert xml(shown).findtext("request/service_notice") == posted["service_notice"]
    root = xml(client.get(f"/open311/v2/requests/{posted['service_request_id']}.xml"))
    assert ET.tostring(root).count(b"service_notice") == 2  # one element, opened and closed


def test_the_city_centre_places_a_request_on_its_page(app, client, api_key, make_user):
    token = only_address(client, api_key).json[0]["token"]
    commander = make_user("city_commander", CITY)
    desk = app.test_client()
    sign_in_with_second_factor(desk, commander)
    page = desk.get("/desk/triage?lang=zh").get_data(as_text=True)
    assert "待定位工单" in page and ADDRESS in page
    row = db.session.scalar(sa.select(Open311Request).where(Open311Request.token == token))
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    outside = desk.post(
        f"/desk/triage/{row.id}/place", data={"csrf_token": csrf, "lon": "121.47", "lat": "31.23"}
    )
    assert outside.status_code == 422 and "该位置不在本市任何网格内" in outside.get_data(as_text=True)
    lon, lat = point_in(grid_in(FENGQIAO).code)
    placed = desk.post(
        f"/desk/triage/{row.id}/place", data={"csrf_token": csrf, "lon": str(lon), "lat": str(lat)}
    )
    assert placed.status_code == 302
    db.session.refresh(row)
    assert row.case_id is not None and row.placed_by_id == commander.id
    township = app.test_client()
    from tests.integration.test_attachments_and_pages import sign_in

    sign_in(township, make_user("township_coordinator", FENGQIAO).username)
    refused = township.get("/desk/triage")
    assert refused.status_code == 302 and refused.headers["Location"] == "/desk/"  # sent to their own desk


def test_public_page_reports_are_not_published_through_open311(client, api_key):
    from tests.integration.test_public_pages import number_and_code, report

    number, _ = number_and_code(report(client))
    listed = client.get("/open311/v2/requests.json").json
    assert number not in [r["service_request_id"] for r in listed]
    assert client.get(f"/open311/v2/requests/{number}.json").status_code == 404


def test_a_request_set_aside_loses_its_sender_and_words_after_the_retention_period(
    client, api_key, make_user, api_as, app
):
    from gridcase.people.retention import anonymise_closed_parties

    only_address(client, api_key, **REPORTER)
    city = api_as(make_user("city_commander", CITY))
    waiting_id = next(w["id"] for w in city.get("/api/v1/triage").json if w["address_string"] == ADDRESS)
    assert city.post(f"/api/v1/triage/{waiting_id}/dismiss", json={"reason": "测试"}).status_code == 204
    row = db.session.get(Open311Request, waiting_id)
    later = row.dismissed_at + timedelta(days=app.config["GRIDCASE_PARTY_RETENTION_DAYS"] + 1)
    anonymise_closed_parties(now=later)
    db.session.refresh(row)
    assert row.phone_encrypted is None and row.first_name_encrypted is None and row.email_encrypted is None
    assert row.description is None and row.address_string is None and row.case_fields == {}
