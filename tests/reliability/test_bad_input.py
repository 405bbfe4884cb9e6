"""Bad input, written by hand: broken geometry, points outside the city, oversized bodies and
uploads, wrong content types, malformed UTF-8, and SQL and script injection in every text field
of case intake and of the actions. Each answer is a 4xx in the JSON error shape (never a 500),
and text that is accepted is stored exactly as sent and shown escaped on the pages.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from tests.helpers import FENGQIAO, case_payload, grid_in
from tests.reliability.budget import REPORT
from tests.reliability.signin import page_session

SHAPE = {"code", "status", "message", "errors"}
# SQL, script, template and format-string attacks, each at most 50 characters (the shortest
# limit of a text field: a party's name, a mediator's name).
INJECTIONS = [
    "'; DROP TABLE cases; --",
    "' OR '1'='1' --",
    "1); DELETE FROM users WHERE (1=1",
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "%s%s%s%n %(password)s \\x00 \\' \\\"",
    "‮gnp.exe 网格 𠀋 😀 \u200b",
]


def _error(response, status: int) -> dict:
    """The answer is `status` in the API's one error shape; returns its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == SHAPE and body["code"] == status and body["message"]
    return body


@pytest.fixture
def people(make_user, api_as):
    grid = grid_in(FENGQIAO)
    return {
        "worker": api_as(make_user("grid_worker", grid.code)),
        "mediator": api_as(make_user("community_mediator", grid.community_code)),
        "township": api_as(make_user("township_coordinator", FENGQIAO)),
        "city": api_as(make_user("city_commander", "330681000000")),
    }


@pytest.fixture
def grid_code():
    return grid_in(FENGQIAO).code


tried: dict[str, int] = {}


def _count(kind: str, n: int = 1) -> None:
    """Counts inputs a test has checked (called after its assertions), for the summary."""
    tried[kind] = tried.get(kind, 0) + n


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    if tried:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(tried.items()))
        REPORT.add("inputs tried", f"hand-written: {counts}; each a 4xx in the JSON shape or stored as text")


# --- geometry and places ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        {"lon": "east", "lat": 29.6},
        {"lon": None, "lat": 29.6},
        {"lat": 29.6},
        {"lon": 200.0, "lat": 29.6},
        {"lon": 120.3, "lat": -91},
        {"lon": 120.3, "lat": 29.6, "crs": "epsg:3857"},
        {"lon": 120.3, "lat": 29.6, "accuracy_m": -5},
        {"type": "Point", "coordinates": [120.3, 29.6]},
        [120.3, 29.6],
        "POINT(120.3 29.6)",
        None,
    ],
)
def test_broken_locations_are_refused_field_by_field(people, grid_code, location):
    body = _error(
        people["worker"].post("/api/v1/cases", json=case_payload(grid_code, location=location)), 422
    )
    assert "location" in body["errors"]
    _count("invalid geometry")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_coordinates_are_refused(people, grid_code, literal):
    text = json.dumps(case_payload(grid_code)).replace('"lon": ', f'"lon": {literal}, "x": ', 1)
    response = people["worker"].post("/api/v1/cases", data=text, headers={"Content-Type": "application/json"})
    assert _error(response, 422)["errors"]["location"]
    located = people["worker"].get(f"/api/v1/grids/locate?lon={literal.lower()}&lat=29.6")
    _error(located, 422)
    _count("invalid geometry", 2)


@pytest.mark.parametrize(
    ("lon", "lat", "crs"),
    [(0.0, 0.0, "wgs84"), (116.397, 39.909, "wgs84"), (116.397, 39.909, "bd09"), (-120.3, -29.6, "gcj02")],
)
def test_points_outside_the_city_are_refused_with_the_reason(people, grid_code, lon, lat, crs):
    location = {"lon": lon, "lat": lat, "crs": crs}
    body = _error(
        people["worker"].post("/api/v1/cases", json=case_payload(grid_code, location=location)), 422
    )
    assert body["errors"]["location"] == [
        "The point lies outside every grid of the city; check the location."
    ]
    located = people["worker"].get(f"/api/v1/grids/locate?lon={lon}&lat={lat}&crs={crs}")
    assert _error(located, 404)["message"].startswith("The point lies outside every grid")
    duplicates = people["worker"].get(
        f"/api/v1/cases/duplicates?category=E0102&lon={lon}&lat={lat}&crs={crs}"
    )
    assert (duplicates.status_code, duplicates.json) == (200, [])
    _count("points outside the city", 3)


# --- sizes --------------------------------------------------------------------------------------


def test_an_oversized_body_is_413_in_the_json_shape(app, people, grid_code):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = case_payload(grid_code, description="长" * (limit // 3 + 10))  # 3 bytes a character
    response = people["worker"].post("/api/v1/cases", json=body)
    assert _error(response, 413)["status"] == "Request Entity Too Large"
    # Within the limit but past the field's own limit: a clear 422 for that field.
    response = people["worker"].post("/api/v1/cases", json=case_payload(grid_code, description="长" * 5001))
    assert "description" in _error(response, 422)["errors"]
    _count("oversized bodies and uploads", 2)


def test_oversized_empty_and_fake_uploads_are_refused(app, people, grid_code):
    case = people["worker"].post("/api/v1/cases", json=case_payload(grid_code)).json
    path = f"/api/v1/cases/{case['id']}/attachments"

    def upload(data: bytes, name: str = "photo.jpg", field: str = "file"):
        return people["worker"].post(
            path, data={field: (io.BytesIO(data), name)}, content_type="multipart/form-data"
        )

    assert _error(upload(b"\xff\xd8" + b"0" * app.config["MAX_CONTENT_LENGTH"]), 413)
    too_big = app.config["GRIDCASE_MAX_PHOTO_BYTES"] + 1
    assert "file" in _error(upload(b"\xff\xd8\xff\xe0" + b"0" * too_big), 422)["errors"]
    assert "file" in _error(upload(b""), 422)["errors"]
    assert "file" in _error(upload(b"<?php system($_GET['c']); ?>", name="shell.php.jpg"), 422)["errors"]
    assert "file" in _error(upload(b"GIF89a" + b"\x00" * 100, name="anim.gif"), 422)["errors"]
    assert "file" in _error(upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), 422)["errors"]  # truncated
    _error(upload(b"\xff\xd8", field="photo"), 422)
    _count("oversized bodies and uploads", 7)


HUGE = "99999999999999999999"  # past PostgreSQL's bigint


def test_numbers_past_bigint_are_refused_not_crashed_on(people, grid_code):
    """Pages and ids no database row can have: a 422 naming the field, or a 404."""
    worker, city = people["worker"], people["city"]
    for path in (f"/api/v1/cases?page={HUGE}", f"/api/v1/alerts?page={HUGE}"):
        assert "page" in _error(city.get(path), 422)["errors"]
    for path in (f"/api/v1/cases/{HUGE}", f"/api/v1/alerts/{HUGE}", f"/api/v1/attachments/{HUGE}"):
        _error(city.get(path), 404)
    _error(city.post(f"/api/v1/notifications/{HUGE}/read"), 404)
    case = worker.post("/api/v1/cases", json=case_payload(grid_code)).json
    for payload in (
        {"action": "assign", "assignee_id": int(HUGE)},
        {"action": "mark_duplicate", "original": HUGE},
    ):
        response = people["mediator"].post(
            f"/api/v1/cases/{case['id']}/actions", json={**payload, "version": case["version"]}
        )
        # Both name the field: the case acted on exists; only the number given is wrong (an
        # unknown original is a field to correct, said the same whether absent or out of scope).
        assert (
            "original" in _error(response, 422)["errors"] or "assignee_id" in _error(response, 422)["errors"]
        )
    _count("numbers past bigint", 9)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_edges_of_the_calendar_are_refused(people, day):
    """A period ending on 9999-12-31 has no next day, one starting on 0001-01-01 no week before."""
    township = people["township"]
    for path in ("/api/v1/cases", "/api/v1/cases/export", "/api/v1/stats", "/api/v1/stats/export"):
        for field in ("from", "to"):
            assert field in _error(township.get(path, query_string={field: day}), 422)["errors"]
    _count("dates at the calendar's edges", 8)


# --- content types and encodings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", "JSON"),
        ("application/x-www-form-urlencoded", "kind=incident&title=x"),
        ("application/xml", "<case><title>x</title></case>"),
        ("multipart/form-data; boundary=zzz", "--zzz--"),
        (None, ""),
        ("application/json", ""),
        ("application/json", "{"),
        ("application/json", "[1, 2, 3]"),
        ("application/json", '"a string"'),
        ("application/json", "null"),
    ],
)
def test_wrong_content_types_and_bodies_are_4xx_in_the_json_shape(people, grid_code, content_type, data):
    if data == "JSON":
        data = json.dumps(case_payload(grid_code))
    headers = {"Content-Type": content_type} if content_type else {}
    response = people["worker"].post("/api/v1/cases", data=data, headers=headers)
    assert 400 <= response.status_code < 500
    _error(response, response.status_code)
    _count("wrong content types")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": "\xff\xfe broken"}',
        b'{"title": "\xc3\x28"}',
        b'{"title": "\xed\xa0\x80"}',  # an encoded surrogate
        b'{"title": "\xe7\xbd\x91\xe6"}',  # a character cut in half
        b"\xef\xbb\xbf{}",  # a byte order mark
        '{"title": "网格"}'.encode("gbk"),
    ],
)
def test_malformed_utf8_is_400_in_the_json_shape(people, raw):
    response = people["worker"].post("/api/v1/cases", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    _error(response, response.status_code)
    _count("malformed UTF-8")


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "nul\x00inside"])
def test_text_postgresql_cannot_store_is_refused_wherever_it_is(people, grid_code, text):
    """Lone surrogates and NUL: valid JSON escapes ("\\ud800", "\\u0000"), yet no text column can
    hold them. (A URL cannot carry a lone surrogate at all; it can carry %00.)"""
    worker = people["worker"]
    answers = [
        worker.post("/api/v1/cases", data=json.dumps(body), headers={"Content-Type": "application/json"})
        for body in (
            case_payload(grid_code, title=text),
            case_payload(grid_code, kind="dispute", category="D02", parties=[{"name": text}]),
            case_payload(grid_code, address=text, location={"lon": 120.3, "lat": 29.6, "crs": text}),
        )
    ]
    if "\x00" in text:
        answers += [
            worker.get("/api/v1/cases", query_string={"q": text}),
            worker.get(
                "/api/v1/cases/duplicates", query_string={"category": text, "lon": 120.3, "lat": 29.6}
            ),
            worker.get("/api/v1/regions/nul%00inside"),
            worker.get("/api/v1/cases/1%00"),
            worker.get("/api/v1/cases?level=community&level=a%00b"),  # in a repeated parameter
        ]
    for response in answers:
        assert _error(response, 400)["message"].startswith("Text in the request must be valid Unicode")
    _count("malformed UTF-8", len(answers))


# --- injection ----------------------------------------------------------------------------------


def test_injection_in_every_intake_field_is_stored_as_text(app, people, grid_code):
    worker = people["worker"]
    for number, text in enumerate(INJECTIONS):
        # A header carries printable ASCII only (anything else is a 422 of its own).
        key = text if text.isascii() and text.isprintable() else f"injection-{number}"
        body = case_payload(
            grid_code,
            kind="dispute",
            category="D02",
            title=text,
            description=text * 3,
            address=text,
            parties=[{"name": text, "role": "applicant"}],
        )
        created = worker.post("/api/v1/cases", json=body, headers={"Idempotency-Key": key})
        assert created.status_code == 201, created.get_data(as_text=True)
        case = worker.get(f"/api/v1/cases/{created.json['id']}").json
        assert (case["title"], case["description"], case["address"]) == (text, text * 3, text)
        assert case["parties"][0]["name"].startswith(text[0])  # masked: the first character shows
        replay = worker.post("/api/v1/cases", json=body, headers={"Idempotency-Key": key})
        assert (replay.status_code, replay.json["id"]) == (200, case["id"])

        # Fields with rules refuse it with the field's name; searches find only literal matches.
        for field, value in (("category", text), ("source", text), ("severity", text), ("kind", text)):
            assert field in _error(worker.post("/api/v1/cases", json={**body, field: value}), 422)["errors"]
        for party_field in ("id_number", "phone"):
            bad_party = {**body, "parties": [{"name": "张三", party_field: text}]}
            assert "parties" in _error(worker.post("/api/v1/cases", json=bad_party), 422)["errors"]
        found = worker.get("/api/v1/cases", query_string={"q": text}).json
        assert [c["id"] for c in found["items"]] == [case["id"]]
        _count("injection attempts", 10)
    wildcard = worker.get("/api/v1/cases", query_string={"q": "%"}).json
    assert {c["title"] for c in wildcard["items"]} == {t for t in INJECTIONS if "%" in t}
    assert db.session.scalar(sa.text("SELECT count(*) FROM users")) > 0  # nothing was dropped


def test_injection_in_every_action_field_is_stored_and_shown_escaped(app, people, grid_code):
    worker, mediator, township, city = (people[k] for k in ("worker", "mediator", "township", "city"))
    text = INJECTIONS[3] + INJECTIONS[0]  # <script>…</script>'; DROP TABLE cases; --
    dispute = worker.post(
        "/api/v1/cases", json=case_payload(grid_code, kind="dispute", category="D02", title=text)
    ).json
    steps = [
        (mediator, "accept", {"note": text}),
        (mediator, "assign", {"assignee_id": mediator.user.id, "note": text}),
        (mediator, "note", {"text": text}),
        (
            mediator,
            "mediate",
            {
                "session": {
                    "held_at": "2026-11-20T10:00:00+08:00",
                    "place": text,
                    "mediators": [INJECTIONS[3]],
                    "participants": text,
                    "summary": text,
                },
                "agreement": {"terms": text, "performance_deadline": str(date.today() + timedelta(days=30))},
            },
        ),
        (mediator, "request_extension", {"days": 2, "reason": text}),
        (township, "decide_extension", {"approved": True, "note": text}),
        (city, "supervise", {"note": text}),
        (mediator, "escalate", {"reason": text}),
        (township, "hand_down", {"instruction": text, "to_level": "community"}),
        (township, "take_over", {"reason": text}),
        (township, "resolve", {"outcome": "mediated", "summary": text}),
        (city, "verify", {"passed": False, "note": text}),
        (township, "resolve", {"outcome": "mediated", "summary": text}),
        (city, "verify", {"passed": True, "note": text}),
        (city, "revisit", {"satisfaction": "satisfied", "note": text}),
        (city, "reopen", {"reason": text}),
    ]
    version = dispute["version"]
    for actor, action, payload in steps:
        response = actor.post(
            f"/api/v1/cases/{dispute['id']}/actions", json={"action": action, "version": version, **payload}
        )
        assert response.status_code == 200, (action, response.get_data(as_text=True))
        version = response.json["version"]
        event = response.json["events"][-1]
        assert event["action"] == action
        assert text in json.dumps(event["payload"], ensure_ascii=False), action
    _count("injection attempts", len(steps))

    # Fields with rules name the field, an unknown original too (it is a field to correct).
    other = worker.post("/api/v1/cases", json=case_payload(grid_code)).json
    for action, payload, status in [
        ("hand_down", {"instruction": "x", "to_level": text}, 422),
        ("mark_duplicate", {"original": text}, 422),
        ("reject", {"reason": text}, 200),
    ]:
        response = mediator.post(
            f"/api/v1/cases/{other['id']}/actions",
            json={"action": action, "version": other["version"], **payload},
        )
        if status != 200:
            _error(response, status)
        else:
            assert response.json["events"][-1]["payload"]["reason"] == text
    _count("injection attempts", 3)

    # Pages show all of it as text: the script never reaches a browser as markup.
    browser = app.test_client()
    page_session(browser, mediator.user.username, "correct-horse-battery")
    html = browser.get(f"/desk/cases/{dispute['id']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html
    assert app.test_client().get(f"/api/v1/cases/{dispute['id']}").status_code == 401
