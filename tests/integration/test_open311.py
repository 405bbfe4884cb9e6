"""Open311 GeoReport v2: the shapes of the published spec's examples, requests that become public
cases through the intake, what other systems may and may not read, and a real HTTP round trip."""

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.cases.models import Case
from gridcase.cases.operations import perform_action
from gridcase.cases.parties import reveal_informant
from gridcase.channels.clients import create_client, set_client_active
from gridcase.channels.models import Open311Client, Open311Request
from gridcase.demo import DEMO_PASSWORD
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.notifications.models import Notification
from gridcase.open311.spec import SPECIFICATION
from gridcase.people.models import User
from gridcase.settings import cipher, utcnow
from tests.helpers import (
    FENGQIAO,
    case_payload,
    delete_committed_cases,
    grid_in,
    point_in,
    rotated_cipher,
)
from tests.loopback import LiveServer, http

# Field names, in the order of the spec's examples.
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
UPDATE_FIELDS = ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"]
REPORTER = {
    "first_name": "三",
    "last_name": "张",
    "email": "zhangsan@example.com",
    "phone": "13812348000",
    "device_id": "device-8f3a9c",
    "account_id": "wx-account-774411",
}
SECRETS = ["张三", "zhangsan@example.com", "13812348000", "device-8f3a9c", "wx-account-774411"]
SUMMARY = "已安排市政养护队填补塌陷"  # handler's free text: never shown through Open311


@pytest.fixture
def api_key():
    """A client of the demo city's jurisdiction (in the test's transaction)."""
    _, key = create_client("诸暨12345热线平台")
    return key


def post_request(client, key, code="E0401", grid_code=None, fmt="json", **extra):
    lon, lat = point_in(grid_code or grid_in(FENGQIAO).code)
    form = {
        "api_key": key,
        "jurisdiction_id": "zhuji.gov.cn",
        "service_code": code,
        "lat": f"{lat:.7f}",
        "long": f"{lon:.7f}",
        "address_string": "枫桥镇枫溪路与和平路交叉口",
        "description": "路面塌陷约一平方米，深约半米\n请尽快处理",
        "media_url": "https://img.example.cn/r/8817.jpg",
        **REPORTER,
        **extra,
    }
    return client.post(f"/open311/v2/requests.{fmt}", data=form)


def xml(response) -> ET.Element:
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.data)


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def assert_error(response, status: int, words: str, fmt: str = "json") -> None:
    """The spec's error format: a list of {code, description} with the HTTP status."""
    assert response.status_code == status, response.data
    if fmt == "json":
        assert response.headers["Content-Type"].startswith("application/json")
        assert [list(e) for e in response.json] == [["code", "description"]]
        assert response.json[0]["code"] == status
        assert words in response.json[0]["description"], response.json
    else:
        root = xml(response)
        assert root.tag == "errors" and children(root) == ["error"]
        assert children(root[0]) == ["code", "description"]
        assert root.find("error/code").text == str(status)
        assert words in root.find("error/description").text


# --- discovery, services, service definitions --------------------------------------------------


def test_discovery_names_the_georeport_v2_endpoint_and_its_formats(client):
    body = client.get("/open311/v2/discovery.json").json
    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = body["endpoints"]
    assert list(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint["specification"] == SPECIFICATION
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] in ("production", "test")
    assert endpoint["formats"] == ["text/xml", "application/json"]

    root = xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert root.findtext("endpoints/endpoint/specification") == SPECIFICATION


def test_services_are_the_public_leaf_categories(client):
    services = client.get("/open311/v2/services.json").json
    codes = [s["service_code"] for s in services]
    assert all(list(s) == SERVICE_FIELDS for s in services)
    garbage = next(s for s in services if s["service_code"] == "E0102")
    assert (garbage["service_name"], garbage["group"], garbage["type"], garbage["metadata"]) == (
        "暴露垃圾",
        "市容环境",
        "realtime",
        True,
    )
    assert "Exposed garbage" in garbage["keywords"] and "垃圾已清除" in garbage["description"]
    assert "E01" not in codes  # a group (大类) is not a service
    assert "E0403" not in codes  # 燃气管道破裂: not reportable by the public
    assert not any(code.startswith("D") for code in codes)  # disputes are never public services
    assert "E0401" in codes

    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services" and set(children(root)) == {"service"}
    assert [s.findtext("service_code") for s in root] == codes
    first = root[0]
    assert children(first) == SERVICE_FIELDS
    assert first.findtext("metadata") == "true"


def test_a_service_definition_offers_the_attributes_the_case_records(client):
    body = client.get("/open311/v2/services/E0102.json").json
    assert list(body) == ["service_code", "attributes"]
    assert body["service_code"] == "E0102"
    people, intensify = body["attributes"]
    assert list(people) == ATTRIBUTE_FIELDS
    assert (people["code"], people["datatype"], people["required"], people["order"]) == (
        "people_involved",
        "number",
        False,
        1,
    )
    assert list(intensify) == [*ATTRIBUTE_FIELDS, "values"]
    assert (intensify["code"], intensify["datatype"]) == ("may_intensify", "singlevaluelist")
    assert [v["key"] for v in intensify["values"]] == ["false", "true"]

    root = xml(client.get("/open311/v2/services/E0102.xml"))
    assert root.tag == "service_definition"
    assert children(root) == ["service_code", "attributes"]
    assert [a.findtext("code") for a in root.findall("attributes/attribute")] == [
        "people_involved",
        "may_intensify",
    ]
    assert [children(v) for v in root.findall("attributes/attribute/values/value")] == [["key", "name"]] * 2


@pytest.mark.parametrize("code", ["E0403", "D02", "E01", "NOPE"])
def test_only_public_services_have_a_definition(client, code):
    assert_error(client.get(f"/open311/v2/services/{code}.json"), 404, f"service_code '{code}' was not found")
    assert_error(client.get(f"/open311/v2/services/{code}.xml"), 404, "was not found", fmt="xml")


def test_jurisdictions_other_than_the_configured_one_are_refused(client, app, monkeypatch):
    assert client.get("/open311/v2/services.json?jurisdiction_id=zhuji.gov.cn").status_code == 200
    assert_error(
        client.get("/open311/v2/services.json?jurisdiction_id=hangzhou.gov.cn"), 404, "hangzhou.gov.cn"
    )
    assert_error(
        client.get("/open311/v2/requests.xml?jurisdiction_id=hangzhou.gov.cn"), 404, "not found", fmt="xml"
    )
    monkeypatch.setitem(
        app.config,
        "GRIDCASE_OPEN311_JURISDICTIONS",
        {"zhuji.gov.cn": "330681000000", "x.gov.cn": "330681000000"},
    )
    assert_error(client.get("/open311/v2/services.json"), 400, "jurisdiction_id was not provided")


def test_an_unknown_resource_answers_in_the_spec_error_format(client):
    assert_error(client.get("/open311/v2/tickets/123.json"), 404, "no Open311 resource")
    assert_error(client.get("/open311/v2/tokens/123.json"), 404, "token '123' was not found")
    assert_error(client.get("/open311/v2/requests.html"), 404, "no Open311 resource", fmt="xml")


# --- POST Service Request ----------------------------------------------------------------------


def test_a_posted_request_becomes_a_public_case_through_the_intake(client, api_key, make_user):
    township = make_user("township_coordinator", FENGQIAO)
    grid = grid_in(FENGQIAO, 2)
    response = post_request(client, api_key, "E0401", grid.code, **{"attribute[people_involved]": "6"})

    assert response.status_code == 201, response.json
    (created,) = response.json
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    assert created["account_id"] is None
    case = db.session.scalar(sa.select(Case).where(Case.public_number == created["service_request_id"]))
    # The same intake as every case: its grid from PostGIS, a public number, the category's level.
    assert (case.source, case.grid_code, case.township_code) == ("public", grid.code, FENGQIAO)
    assert (case.severity, case.level, case.status) == ("significant", "township", "pending")
    assert case.people_involved == 6 and case.may_intensify is False
    assert case.title.startswith("路面塌陷约一平方米")  # its first line, not the category again
    assert case.address == "枫桥镇枫溪路与和平路交叉口"
    assert case.reporter.role == "open311_client"
    assert case.reporter.display_name == "诸暨12345热线平台（系统接入）"
    assert case.events[0].action == "create" and case.events[0].actor_id == case.reporter_id
    assert "枫桥镇" in created["service_notice"] and case.public_number in created["service_notice"]
    notified = db.session.scalars(
        sa.select(Notification.kind).where(
            Notification.user_id == township.id, Notification.case_id == case.id
        )
    ).all()
    assert notified == ["new_case"]


def test_the_reporters_details_are_stored_encrypted_and_masked(client, api_key):
    number = post_request(client, api_key).json[0]["service_request_id"]
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    stored = db.session.scalar(sa.select(Open311Request).where(Open311Request.case_id == case.id))
    box = cipher()
    assert box.decrypt(stored.email_encrypted, "open311_email") == "zhangsan@example.com"
    assert box.decrypt(stored.phone_encrypted, "open311_phone") == "13812348000"
    assert box.decrypt(stored.account_id_encrypted, "open311_account_id") == "wx-account-774411"
    assert (stored.name_masked, stored.email_masked, stored.phone_masked) == (
        "张*",
        "z*******@example.com",
        "138****8000",
    )
    assert stored.media_url == "https://img.example.cn/r/8817.jpg"
    raw = db.session.execute(
        sa.text("SELECT row_to_json(r)::text FROM open311_requests r WHERE case_id = :id"), {"id": case.id}
    ).scalar()
    assert not any(secret in raw for secret in SECRETS)


def test_key_rotation_re_encrypts_the_reporters_details(app, client, api_key):
    from gridcase.people.retention import rotate_keys

    number = post_request(client, api_key).json[0]["service_request_id"]
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    with rotated_cipher(app) as rotated:
        assert rotate_keys()["open311_requests"] >= 1  # keyed by case_id, not id
        stored = db.session.scalar(sa.select(Open311Request).where(Open311Request.case_id == case.id))
        db.session.refresh(stored)
        assert rotated.key_id(stored.phone_encrypted) == 2
        assert rotated.decrypt(stored.phone_encrypted, "open311_phone") == "13812348000"


def test_no_endpoint_returns_the_reporters_details(client, api_key, api_as, make_user):
    township = make_user("township_coordinator", FENGQIAO)
    posted = post_request(client, api_key)
    number = posted.json[0]["service_request_id"]
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    perform_action(township, case.id, "accept", case.version, {})
    answers = [
        posted,
        post_request(client, api_key, fmt="xml"),
        client.get("/open311/v2/requests.json"),
        client.get("/open311/v2/requests.xml"),
        client.get(f"/open311/v2/requests/{number}.json"),
        client.get("/open311/v2/servicerequestupdates.json"),
        api_as(township).get(f"/api/v1/cases/{case.id}"),
        api_as(township).get("/api/v1/cases?source=public"),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201)
        text = answer.data.decode()
        assert not any(secret in text for secret in SECRETS), (answer.request.path, text)


def test_a_retry_with_the_same_idempotency_key_gives_the_same_request(client, api_key):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    form = {"api_key": api_key, "service_code": "E0102", "description": "垃圾"}
    lon, lat = point_in(grid_in(FENGQIAO).code)
    form.update(lat=str(lat), long=str(lon))
    first = client.post("/open311/v2/requests.json", data=form, headers=key).json[0]
    second = client.post("/open311/v2/requests.json", data=form, headers=key).json[0]
    assert first["service_request_id"] == second["service_request_id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Open311Request)) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_api_key_is_required_and_checked(client, api_key, fmt):
    assert_error(post_request(client, ""), 403, "api_key was not provided")
    assert_error(post_request(client, "not-a-key", fmt=fmt), 403, "Invalid api_key", fmt=fmt)
    set_client_active("诸暨12345热线平台", False)
    assert_error(post_request(client, api_key, fmt=fmt), 403, "Invalid api_key", fmt=fmt)


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        (
            {"lat": "", "long": "", "address_string": ""},
            400,
            "lat/long, address_string, or address_id were not provided",
        ),
        ({"long": ""}, 400, "lat and long must both be sent"),
        ({"lat": "north"}, 400, "lat must be a WGS84 decimal degree"),
        ({"service_code": ""}, 400, "service_code was not provided"),
        ({"service_code": "E0403"}, 404, "service_code 'E0403' was not found"),
        ({"jurisdiction_id": "hangzhou.gov.cn"}, 404, "jurisdiction_id 'hangzhou.gov.cn' was not found"),
        ({"attribute[people_involved]": "many"}, 400, "attribute[people_involved] must be a whole number"),
        ({"description": "长" * 4001}, 400, "description is limited to 4000 characters"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url must be an http or https URL"),
    ],
)
def test_a_request_the_spec_or_the_city_refuses_gets_the_spec_error(client, api_key, change, status, words):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    assert_error(post_request(client, api_key, **change), status, words)
    assert_error(post_request(client, api_key, fmt="xml", **change), status, words, fmt="xml")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == before


# --- GET Service Requests, one request, the updates feed -----------------------------------------


def test_requests_list_in_the_spec_shape_with_its_filters(client, api_key, worker, make_user):
    from gridcase.cases.intake import create_case

    township = make_user("township_coordinator", FENGQIAO)
    numbers = [post_request(client, api_key, "E0401").json[0]["service_request_id"] for _ in range(3)]
    garbage = post_request(client, api_key, "E0102").json[0]["service_request_id"]
    internal = create_case(worker, case_payload(grid_in(FENGQIAO).code)).case  # a grid worker's own case
    closed = db.session.scalar(sa.select(Case).where(Case.public_number == numbers[0]))
    perform_action(township, closed.id, "accept", 1, {})
    perform_action(
        township, closed.id, "resolve", 2, {"outcome": "referred_to_department", "summary": SUMMARY}
    )

    listed = client.get("/open311/v2/requests.json").json
    assert all(list(r) == REQUEST_FIELDS for r in listed)
    ids = [r["service_request_id"] for r in listed]
    assert ids == [garbage, *reversed(numbers)]  # newest first; only public requests
    assert internal.public_number not in ids
    first = next(r for r in listed if r["service_request_id"] == numbers[1])
    assert (first["status"], first["service_code"], first["service_name"]) == ("open", "E0401", "路面塌陷")
    assert first["agency_responsible"] == "枫桥镇"
    assert first["requested_datetime"].endswith("+08:00") and first["expected_datetime"]
    assert first["media_url"] == "https://img.example.cn/r/8817.jpg"
    assert (first["address_id"], first["zipcode"]) == (None, None)
    lon, lat = point_in(grid_in(FENGQIAO).code)
    assert abs(first["lat"] - lat) < 1e-6 and abs(first["long"] - lon) < 1e-6
    done = next(r for r in listed if r["service_request_id"] == numbers[0])
    assert (done["status"], done["expected_datetime"]) == ("closed", None)
    assert done["status_notes"] == "已化解（移交职能部门处理），等待核查。"
    assert SUMMARY not in client.get("/open311/v2/requests.json").data.decode()

    def ids_of(query):
        return [r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?{query}").json]

    assert ids_of("status=closed") == [numbers[0]]
    assert ids_of("status=open,closed") == ids
    assert ids_of("service_code=E0102") == [garbage]
    assert ids_of("service_code=E0102,E0401&status=open") == [garbage, numbers[2], numbers[1]]
    assert ids_of(f"service_request_id={numbers[0]},{garbage}&status=open") == [garbage, numbers[0]]
    assert ids_of("page_size=2") == ids[:2] and ids_of("page=2&page_size=2") == ids[2:4]
    now = utcnow()
    hour = timedelta(hours=1)
    assert (
        ids_of(
            f"start_date={(now - hour).isoformat()}&end_date={(now + hour).isoformat()}".replace("+", "%2B")
        )
        == ids
    )
    assert ids_of(f"start_date={(now + hour).strftime('%Y-%m-%dT%H:%M:%SZ')}") == []

    assert_error(client.get("/open311/v2/requests.json?status=pending"), 400, "status must be open or closed")
    assert_error(
        client.get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"),
        400,
        "may not span more than 90 days",
    )
    assert_error(client.get("/open311/v2/requests.json?start_date=yesterday"), 400, "W3C datetime")
    assert_error(client.get("/open311/v2/requests.json?page_size=5000"), 400, "page_size must be")

    root = xml(client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests" and set(children(root)) == {"request"}
    assert [children(r) for r in root] == [REQUEST_FIELDS] * len(ids)
    assert root.find("request/address_id").text is None  # empty, as null is in the spec's XML


def test_one_request_by_its_public_number(client, api_key):
    number = post_request(client, api_key).json[0]["service_request_id"]
    (found,) = client.get(f"/open311/v2/requests/{number}.json").json
    assert found["service_request_id"] == number and found["status"] == "open"
    root = xml(client.get(f"/open311/v2/requests/{number}.xml"))
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == number
    assert_error(client.get("/open311/v2/requests/330681-20260101-999999.json"), 404, "was not found")


def test_the_updates_feed_has_one_item_per_status_change(client, api_key, make_user):
    township = make_user("township_coordinator", FENGQIAO)
    city = make_user("city_commander", "330681000000")
    number = post_request(client, api_key).json[0]["service_request_id"]
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    now = utcnow()
    perform_action(township, case.id, "accept", 1, {}, now=now)
    perform_action(township, case.id, "note", 2, {"text": "现场已围挡"}, now=now + timedelta(minutes=1))
    perform_action(
        township,
        case.id,
        "resolve",
        3,
        {"outcome": "other", "summary": SUMMARY},
        now=now + timedelta(minutes=2),
    )
    perform_action(city, case.id, "verify", 4, {"passed": True}, now=now + timedelta(minutes=3))

    until = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # the default period ends now
    feed = [
        u
        for u in client.get(f"/open311/v2/servicerequestupdates.json?end_date={until}").json
        if u["service_request_id"] == number
    ]
    assert all(list(u) == UPDATE_FIELDS for u in feed)
    assert [(u["status"], u["description"]) for u in feed] == [
        ("open", "已受理，正在办理。"),
        ("closed", "已化解（已处理），等待核查。"),
        ("closed", "经核查已办结。"),
    ]  # the note changed no status; free text never appears
    assert len({u["update_id"] for u in feed}) == 3
    later = (now + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = f"start_date={later}&end_date={until}"
    assert [u["status"] for u in client.get(f"/open311/v2/servicerequestupdates.json?{window}").json] == [
        "closed",
        "closed",
    ]  # the resolution and the verification
    root = xml(client.get(f"/open311/v2/servicerequestupdates.xml?end_date={until}"))
    assert root.tag == "service_requests_updates" and set(children(root)) == {"request_update"}
    assert [children(u) for u in root] == [UPDATE_FIELDS] * 3
    assert [u.findtext("status") for u in root] == ["open", "closed", "closed"]
    assert SUMMARY not in client.get(f"/open311/v2/servicerequestupdates.xml?end_date={until}").data.decode()


def test_the_cli_prints_the_key_once_and_stores_only_its_hash(app):
    result = app.test_cli_runner().invoke(args=["gridcase", "create-open311-client", "随手拍小程序"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    client = db.session.scalar(sa.select(Open311Client).where(Open311Client.name == "随手拍小程序"))
    assert client.jurisdiction_id == "zhuji.gov.cn" and client.user.role == "open311_client"
    assert key not in (client.key_hash, client.name) and len(client.key_hash) == 64
    again = app.test_cli_runner().invoke(args=["gridcase", "create-open311-client", "随手拍小程序"])
    assert again.exit_code == 1 and "exists" in again.output


# --- as another city system would: real HTTP, urllib, xml.etree ----------------------------------


@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server.url
    server.stop()


@pytest.fixture
def committed_key(app):
    """An Open311 client committed for real; its cases, itself and its user are removed after."""
    with app.app_context():
        client, key = create_client(f"区县随手拍-{uuid.uuid4().hex[:8]}")
        db.session.commit()
        client_id, user_id = client.id, client.user_id
    yield key
    with app.app_context():
        case_ids = db.session.scalars(sa.select(Case.id).where(Case.reporter_id == user_id)).all()
    delete_committed_cases(app, case_ids)
    with app.app_context():
        db.session.execute(sa.delete(Open311Request).where(Open311Request.client_id == client_id))
        db.session.execute(sa.delete(Open311Client).where(Open311Client.id == client_id))
        db.session.execute(sa.delete(User).where(User.id == user_id))
        db.session.commit()


def _form(app, key, code, grid_index=0):
    with app.app_context():
        lon, lat = point_in(grid_in(FENGQIAO, grid_index).code)
    return {
        "api_key": key,
        "jurisdiction_id": "zhuji.gov.cn",
        "service_code": code,
        "lat": f"{lat:.7f}",
        "long": f"{lon:.7f}",
        "description": "井盖缺失，行人易跌落",
        **REPORTER,
    }


def _township_token(base: str) -> str:
    reply = http(
        "POST", f"{base}/api/v1/auth/token", body={"username": "demo-township", "password": DEMO_PASSWORD}
    )
    return reply.json()["access_token"]


def _queue(base: str, token: str) -> list[dict]:
    reply = http(
        "GET",
        f"{base}/api/v1/cases?level=township&source=public",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status == 200
    return reply.json()["items"]


@pytest.mark.committing
def test_another_city_system_reports_and_follows_a_request_over_http(app, live, committed_key, monkeypatch):
    monkeypatch.setitem(app.config, "GRIDCASE_PUBLIC_URL", live)  # where clients reach this city
    base = f"{live}/open311/v2"
    discovery = ET.fromstring(http("GET", f"{base}/discovery.xml").body)
    assert discovery.findtext("endpoints/endpoint/url") == base
    services = http("GET", f"{base}/services.json").json()
    assert "E0401" in [s["service_code"] for s in services]

    posted = http("POST", f"{base}/requests.json", form=_form(app, committed_key, "E0401"))
    assert posted.status == 201 and posted.headers["Content-Type"].startswith("application/json")
    number = posted.json()[0]["service_request_id"]
    # A point outside every grid of the city is kept for the centre to place: a token, no number.
    kept = http(
        "POST",
        f"{base}/requests.xml",
        form={**_form(app, committed_key, "E0401"), "lat": "31.23", "long": "121.47"},
    )
    assert kept.status == 201
    answer = ET.fromstring(kept.body)
    assert answer.findtext("request/token") and answer.find("request/service_request_id") is None

    single = ET.fromstring(http("GET", f"{base}/requests/{number}.xml").body)
    assert single.findtext("request/status") == "open"
    assert single.findtext("request/agency_responsible") == "枫桥镇"

    # 较大 (significant): straight into the township coordinator's queue, in scope.
    token = _township_token(live)
    queued = next(c for c in _queue(live, token) if c["public_number"] == number)
    assert (queued["level"], queued["source"], queued["status"]) == ("township", "public", "pending")
    auth = {"Authorization": f"Bearer {token}"}
    accepted = http(
        "POST",
        f"{live}/api/v1/cases/{queued['id']}/actions",
        body={"action": "accept", "version": 1},
        headers=auth,
    )
    assert accepted.status == 200, accepted.body
    resolved = http(
        "POST",
        f"{live}/api/v1/cases/{queued['id']}/actions",
        body={"action": "resolve", "version": 2, "outcome": "referred_to_department", "summary": SUMMARY},
        headers=auth,
    )
    assert resolved.status == 200, resolved.body

    updates = [
        u
        for u in http("GET", f"{base}/servicerequestupdates.json").json()
        if u["service_request_id"] == number
    ]
    assert [u["status"] for u in updates] == ["open", "closed"]
    feed = ET.fromstring(http("GET", f"{base}/servicerequestupdates.xml").body)
    mine = [u for u in feed.findall("request_update") if u.findtext("service_request_id") == number]
    assert [u.findtext("status") for u in mine] == ["open", "closed"]
    assert "移交职能部门处理" in mine[1].findtext("description")
    closed = http("GET", f"{base}/requests.json?status=closed").json()
    assert number in [r["service_request_id"] for r in closed]
    for reply in (
        posted,
        http("GET", f"{base}/requests.json"),
        http("GET", f"{base}/servicerequestupdates.xml"),
    ):
        assert not any(secret in reply.body.decode() for secret in SECRETS)
        assert SUMMARY not in reply.body.decode()


@pytest.mark.committing
def test_a_small_matter_reaches_the_township_queue_when_it_escalates(app, live, committed_key):
    base = f"{live}/open311/v2"
    posted = http("POST", f"{base}/requests.xml", form=_form(app, committed_key, "E0102", grid_index=1))
    assert posted.status == 201 and posted.headers["Content-Type"].startswith("text/xml")
    number = ET.fromstring(posted.body).findtext("request/service_request_id")
    token = _township_token(live)
    assert number not in [c["public_number"] for c in _queue(live, token)]  # 一般: the community's first

    with app.app_context():
        report = sweep(utcnow() + timedelta(days=30))  # the community's time runs out
        db.session.commit()
    assert number in [escalated[0] for escalated in report.escalated]
    queued = next(c for c in _queue(live, token) if c["public_number"] == number)
    assert (queued["level"], queued["escalation_count"]) == ("township", 1)
    (request,) = http("GET", f"{base}/requests/{number}.json").json()
    assert (request["status"], request["agency_responsible"]) == ("open", "枫桥镇")


def test_the_handler_can_call_the_reporter_back_after_an_audited_reveal(client, api_key, api_as, make_user):
    """A 12345 caller is the case's person who brought it (反映人): masked on the case, revealed
    to its handler with a reason, never through Open311."""
    township = make_user("township_coordinator", FENGQIAO)
    number = post_request(client, api_key).json[0]["service_request_id"]
    case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
    shown = api_as(township).get(f"/api/v1/cases/{case.id}").json
    assert shown["informant"] == {"name": "张*", "phone": "138****8000", "id_number": None}
    revealed = reveal_informant(township, case.id, "回电核实塌陷位置")
    assert (revealed["name"], revealed["phone"]) == ("张三", "13812348000")
