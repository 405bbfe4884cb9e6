"""Case intake over HTTP: validation, placement, levels, numbers, idempotency, duplicates."""

import re
import threading

import pytest
import sqlalchemy as sa

from gridcase.cases.models import Case, CaseParty, Category
from gridcase.extensions import db
from gridcase.geo import from_wgs84
from tests.helpers import FENGQIAO, JIYANG, case_payload, delete_committed_cases, grid_in, point_in


@pytest.fixture
def api(api_as, worker):
    return api_as(worker)


def test_a_worker_logs_a_case_in_their_grid(api, worker):
    grid = grid_in(FENGQIAO)
    response = api.post("/api/v1/cases", json=case_payload(grid.code))
    assert response.status_code == 201, response.json
    case = response.json
    assert re.fullmatch(r"330681-\d{8}-\d{6}", case["public_number"])
    assert case["grid"]["code"] == grid.code
    assert (case["community_code"], case["township_code"], case["city_code"]) == (
        grid.community_code,
        FENGQIAO,
        "330681000000",
    )
    assert (case["status"], case["level"], case["light"]) == ("pending", "community", "green")
    assert case["reporter"]["id"] == worker.id
    assert case["version"] == 1
    assert [e["action"] for e in case["events"]] == ["create"]
    assert response.headers["Location"].endswith(f"/api/v1/cases/{case['id']}")

    again = api.get(f"/api/v1/cases/{case['public_number']}")
    assert again.status_code == 200
    assert again.json["id"] == case["id"]


@pytest.mark.parametrize(
    ("severity", "level"),
    [("general", "community"), ("significant", "township"), ("major", "city"), ("critical", "city")],
)
def test_the_starting_level_follows_severity(api, severity, level):
    response = api.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code, severity=severity))
    assert response.json["level"] == level


def test_the_category_sets_severity_and_time_limit_when_omitted(api):
    body = case_payload(grid_in(FENGQIAO).code, category="E0401")  # 路面塌陷: significant
    del body["severity"]
    case = api.post("/api/v1/cases", json=body).json
    assert (case["severity"], case["level"]) == ("significant", "township")


def test_gcj02_points_are_stored_in_wgs84(api):
    grid = grid_in(FENGQIAO, 4)
    lon, lat = point_in(grid.code)
    gcj_lon, gcj_lat = from_wgs84(lon, lat, "gcj02")
    body = case_payload(grid.code, location={"lon": gcj_lon, "lat": gcj_lat, "crs": "gcj02"})
    case = api.post("/api/v1/cases", json=body).json
    assert case["grid"]["code"] == grid.code
    assert case["location"]["crs"] == "gcj02"
    assert abs(case["location"]["lon"] - lon) < 1e-5 and abs(case["location"]["lat"] - lat) < 1e-5


def test_public_numbers_count_up_within_a_day(api):
    first = api.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code)).json["public_number"]
    second = api.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code)).json["public_number"]
    assert first[:15] == second[:15]
    assert int(second[-6:]) == int(first[-6:]) + 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"kind": "complaint"}, "kind", "Must be one of"),
        ({"title": ""}, "title", "Length"),
        ({"category": "E99"}, "category", "No category"),
        ({"category": "E01"}, "category", "is a group"),
        ({"category": "D02"}, "kind", "for dispute cases"),
        ({"location": {"lon": 116.397, "lat": 39.909}}, "location", "outside every grid"),
        ({"location": {"lon": 999, "lat": 29}}, "location", "lon"),
        ({"severity": "huge"}, "severity", "Must be one of"),
        ({"people_involved": -3}, "people_involved", "greater than or equal to 0"),
        ({"parties": [{"name": "张三"}]}, "parties", "disputes only"),
        ({"unexpected": 1}, "unexpected", "Unknown field"),
        ({"source": "hotline"}, "source", "You may record"),
    ],
)
def test_bad_input_is_422_field_by_field(api, change, field, words):
    body = {**case_payload(grid_in(FENGQIAO).code), **change}
    response = api.post("/api/v1/cases", json=body)
    assert response.status_code == 422
    assert set(response.json) == {"code", "status", "message", "errors"}
    assert words in str(response.json["errors"][field])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_bad_id_number_is_named(api):
    body = case_payload(
        grid_in(FENGQIAO).code,
        kind="dispute",
        category="D02",
        parties=[{"name": "张三", "id_number": "110105194912310021"}],
    )
    response = api.post("/api/v1/cases", json=body)
    assert response.status_code == 422
    assert "check digit" in response.json["errors"]["parties"]["0"]["id_number"][0]


def test_non_json_bodies_are_refused_cleanly(api):
    response = api.client.post(
        "/api/v1/cases",
        data=b"\xff\xfe not json",
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert set(response.json) == {"code", "status", "message", "errors"}


def test_parties_are_masked_in_answers_and_encrypted_at_rest(api):
    body = case_payload(
        grid_in(FENGQIAO).code,
        kind="dispute",
        category="D02",
        title="邻里噪音纠纷",
        parties=[
            {
                "name": "张三丰",
                "id_number": "11010519491231002X",
                "phone": "13812348000",
                "role": "applicant",
            },
            {"name": "李四", "role": "respondent"},
        ],
    )
    case = api.post("/api/v1/cases", json=body).json
    assert case["parties"][0] == {
        "id": case["parties"][0]["id"],
        "role": "applicant",
        "name": "张**",
        "id_number": "110105********002X",
        "phone": "138****8000",
    }
    assert case["parties"][1]["name"] == "李*"
    raw = db.session.execute(
        sa.text(
            "SELECT name_encrypted, id_number_encrypted, phone_encrypted"
            " FROM case_parties WHERE case_id = :id ORDER BY id"
        ),
        {"id": case["id"]},
    ).first()
    stored = b"".join(bytes(value) for value in raw)
    for secret in ("张三丰", "11010519491231002X", "13812348000"):
        assert secret.encode() not in stored
    party = db.session.get(CaseParty, case["parties"][0]["id"])
    assert party.id_number_hash and len(party.id_number_hash) == 64


def test_resolved_on_the_spot(api):
    body = case_payload(
        grid_in(FENGQIAO).code, resolved_on_spot={"outcome": "explained", "summary": "已劝导摊主"}
    )
    case = api.post("/api/v1/cases", json=body).json
    assert case["status"] == "resolved"
    assert case["resolution"] == {
        "outcome": "explained",
        "summary": "已劝导摊主",
        "level": "community",
        "on_time": True,
    }
    assert [e["action"] for e in case["events"]] == ["create", "resolve"]
    assert case["light"] is None


def test_only_small_matters_are_resolved_on_the_spot(api):
    body = case_payload(grid_in(FENGQIAO).code, severity="major", resolved_on_spot={"outcome": "explained"})
    response = api.post("/api/v1/cases", json=body)
    assert response.status_code == 422
    assert "resolved_on_spot" in response.json["errors"]


class TestIdempotency:
    def test_the_same_key_returns_the_same_case(self, api):
        body = case_payload(grid_in(FENGQIAO).code)
        headers = {"Idempotency-Key": "5f0c8f6e-2a53-4a2e-9d1c-6d1c0a1f7e11"}
        first = api.post("/api/v1/cases", json=body, headers=headers)
        second = api.post("/api/v1/cases", json=body, headers=headers)
        assert first.status_code == 201
        assert second.status_code == 200
        assert second.headers["Idempotent-Replayed"] == "true"
        assert second.json["id"] == first.json["id"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1

    def test_a_reused_key_with_another_body_is_refused(self, api):
        headers = {"Idempotency-Key": "key-1"}
        api.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code), headers=headers)
        other = case_payload(grid_in(FENGQIAO).code, title="另一件事")
        response = api.post("/api/v1/cases", json=other, headers=headers)
        assert response.status_code == 422
        assert "Idempotency-Key" in response.json["errors"]

    def test_a_retry_gets_its_case_even_when_the_rules_have_changed_since(self, api):
        # The phone's outbox retries a case the server made but whose answer was lost; in the
        # meantime the city retired the category. The retry still gets its case, while a new
        # case of that category is refused.
        body = case_payload(grid_in(FENGQIAO).code)
        headers = {"Idempotency-Key": "outbox-7"}
        first = api.post("/api/v1/cases", json=body, headers=headers)
        assert first.status_code == 201
        db.session.execute(sa.update(Category).where(Category.code == body["category"]).values(active=False))
        db.session.commit()

        retry = api.post("/api/v1/cases", json=body, headers=headers)
        assert (retry.status_code, retry.json["id"]) == (200, first.json["id"])
        assert retry.headers["Idempotent-Replayed"] == "true"
        new = api.post("/api/v1/cases", json=body, headers={"Idempotency-Key": "outbox-8"})
        assert new.status_code == 422 and "category" in new.json["errors"]
        reused = api.post("/api/v1/cases", json={**body, "title": "另一件事"}, headers=headers)
        assert reused.status_code == 422 and "Idempotency-Key" in reused.json["errors"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1

    def test_keys_belong_to_their_reporter(self, api_as, make_user):
        grid = grid_in(FENGQIAO)
        one, two = make_user("grid_worker", grid.code), make_user("grid_worker", grid.code)
        headers = {"Idempotency-Key": "same-key"}
        first = api_as(one).post("/api/v1/cases", json=case_payload(grid.code), headers=headers)
        second = api_as(two).post("/api/v1/cases", json=case_payload(grid.code), headers=headers)
        assert first.json["id"] != second.json["id"]

    def test_an_overlong_key_is_refused(self, api):
        headers = {"Idempotency-Key": "x" * 129}
        response = api.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code), headers=headers)
        assert response.status_code == 422


def test_possible_duplicates_are_offered(api):
    grid = grid_in(FENGQIAO, 2)
    first = api.post("/api/v1/cases", json=case_payload(grid.code)).json
    lon, lat = first["location"]["lon"], first["location"]["lat"]
    nearby = case_payload(grid.code, location={"lon": lon + 0.0003, "lat": lat})  # ~29 m east
    second = api.post("/api/v1/cases", json=nearby).json
    assert [d["public_number"] for d in second["possible_duplicates"]] == [first["public_number"]]
    assert 25 < second["possible_duplicates"][0]["distance_m"] < 35

    other_category = api.post("/api/v1/cases", json={**nearby, "category": "E0104"}).json
    assert other_category["possible_duplicates"] == []

    before_saving = api.get(f"/api/v1/cases/duplicates?category=E0102&lon={lon}&lat={lat}")
    assert {d["id"] for d in before_saving.json} == {first["id"], second["id"]}

    far = api.get(f"/api/v1/cases/duplicates?category=E0102&lon={lon + 0.002}&lat={lat}")  # ~190 m
    assert far.json == []


def test_a_case_outside_the_workers_city_is_refused(api_as, make_user):
    """A user of another city cannot log cases in this one (no other city here: use a region
    check instead — a worker's city is where their grid is)."""
    worker = make_user("grid_worker", grid_in(JIYANG).code)
    response = api_as(worker).post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code))
    assert response.status_code == 201  # the same city: reported across grids is allowed
    assert response.json["grid"]["code"] == grid_in(FENGQIAO).code


def test_admins_do_not_log_cases(api_as, make_user):
    admin = make_user("admin", "330681000000")
    response = api_as(admin).post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code))
    assert response.status_code == 403


@pytest.mark.committing
def test_concurrent_retries_with_one_key_create_one_case(app):
    """Two requests with the same key at the same moment, on two real connections."""
    from gridcase.demo import DEMO_PASSWORD

    client = app.test_client()
    token = client.post(
        "/api/v1/auth/token", json={"username": "demo-worker", "password": DEMO_PASSWORD}
    ).json["access_token"]
    with app.app_context():
        grid_code = db.session.scalar(sa.text("SELECT scope_code FROM users WHERE username = 'demo-worker'"))
        body = case_payload(grid_code, title="并发重试")
    key = "concurrent-retry-key"
    results = []

    def post():
        response = app.test_client().post(
            "/api/v1/cases", json=body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        )
        results.append((response.status_code, response.json.get("id")))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(code for code, _ in results) == [200, 200, 200, 201]
        assert len({case_id for _, case_id in results}) == 1
    finally:
        delete_committed_cases(app, [case_id for _, case_id in results])
