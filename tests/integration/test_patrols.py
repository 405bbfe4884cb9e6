"""Patrols (巡查, issue 16): the phone sends a patrol once (its key makes a resend the same
patrol); the track's length is measured on the ground by PostGIS, the grids it crossed are
kept; the worker sees their own patrols and the centres those in their scope; a finding becomes
a case in one tap at the place it was found."""

import itertools
import math
from datetime import timedelta

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.gridwork.models import Patrol
from gridcase.gridwork.patrols import coverage
from gridcase.settings import utcnow
from tests.helpers import FENGQIAO, grid_in, point_in

EARTH_RADIUS_M = 6_371_008.8  # the mean radius: a haversine sum close to the spheroid's length


def haversine_m(a, b) -> float:
    (lon1, lat1), (lon2, lat2) = map(lambda p: (math.radians(p[0]), math.radians(p[1])), (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def walk(start, steps=8, step_deg=0.0003):
    """An L-shaped walk from `start`: east, then north, a fix each ~30 m."""
    lon, lat = start
    path = [(lon, lat)]
    for i in range(steps):
        lon, lat = (lon + step_deg, lat) if i < steps // 2 else (lon, lat + step_deg)
        path.append((lon, lat))
    return path


def patrol_body(path, started=None, findings=()):
    started = started or utcnow() - timedelta(hours=1)
    points = [
        {"lon": lon, "lat": lat, "at": (started + timedelta(seconds=30 * i)).isoformat()}
        for i, (lon, lat) in enumerate(path)
    ]
    ended = started + timedelta(seconds=30 * len(path))
    return {
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
        "points": points,
        "findings": list(findings),
    }


def send(api, body, key="patrol-key-1"):
    return api.post("/api/v1/patrols", json=body, headers={"Idempotency-Key": key})


def test_a_patrol_is_stored_once_with_its_length_on_the_ground_and_its_grids(api_as, worker):
    path = walk(point_in(worker.grids[0].code))
    api = api_as(worker)
    first = send(api, patrol_body(path))
    assert first.status_code == 201, first.json
    expected = sum(haversine_m(a, b) for a, b in itertools.pairwise(path))
    assert abs(first.json["distance_m"] - expected) / expected < 0.005
    assert first.json["point_count"] == len(path) and first.json["duration_seconds"] == 30 * len(path)
    assert worker.grids[0].code in first.json["grids"] and first.json["grid_code"] == worker.grids[0].code
    start = first.json["track"]["coordinates"][0]
    assert math.isclose(start[0], path[0][0], abs_tol=1e-7) and math.isclose(
        start[1], path[0][1], abs_tol=1e-7
    )
    assert first.json["seconds"][:3] == [0.0, 30.0, 60.0]
    again = send(api, patrol_body(path))  # the phone resends after a dropped answer
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 1


def test_what_a_patrol_refuses(api_as, worker, people):
    api = api_as(worker)
    path = walk(point_in(worker.grids[0].code))
    body = patrol_body(path)
    assert api.post("/api/v1/patrols", json=body).status_code == 422  # no key: no exactly-once
    backwards = {**body, "ended_at": (utcnow() - timedelta(hours=3)).isoformat()}
    assert "ended_at" in send(api, backwards, "k2").json["errors"]
    future = patrol_body(path, started=utcnow() + timedelta(hours=1))
    assert "ended_at" in send(api, future, "k3").json["errors"]
    stray = patrol_body(path)
    stray["points"][3]["at"] = (utcnow() - timedelta(days=2)).isoformat()
    answer = send(api, stray, "k4")
    assert answer.status_code == 422 and "points" in answer.json["errors"]
    bad_category = patrol_body(path, findings=[{**_finding(path[2], body), "category": "NOPE"}])
    assert "findings" in send(api, bad_category, "k5").json["errors"]
    assert send(api_as(people["mediator"]), body, "k6").status_code == 403  # grid workers patrol
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0


def _finding(point, body, note="井盖破损，有行人绊倒风险", category=None):
    return {
        "at": body["points"][2]["at"],
        "lon": point[0],
        "lat": point[1],
        "note": note,
        "category": category,
    }


def test_who_sees_a_patrol(api_as, worker, people, make_user):
    path = walk(point_in(worker.grids[0].code))
    patrol_id = send(api_as(worker), patrol_body(path)).json["id"]
    community = make_user("community_mediator", worker.grids[0].community_code)
    other_community = next(
        g
        for i in range(1, 60)
        if (g := grid_in(FENGQIAO, i)).community_code != worker.grids[0].community_code
    )
    stranger = make_user("community_mediator", other_community.community_code)
    other_worker = make_user("grid_worker", other_community.code)
    for user, status in ((worker, 200), (community, 200), (people["township"], 200), (stranger, 404)):
        assert api_as(user).get(f"/api/v1/patrols/{patrol_id}").status_code == status, user.role
    assert api_as(other_worker).get(f"/api/v1/patrols/{patrol_id}").status_code == 404
    assert [p["id"] for p in api_as(community).get("/api/v1/patrols").json] == [patrol_id]
    assert api_as(stranger).get("/api/v1/patrols").json == []
    today = utcnow().date().isoformat()
    assert api_as(worker).get(f"/api/v1/patrols?since={today}&until={today}").status_code == 200


def test_a_finding_becomes_a_case_at_its_place_once(api_as, worker):
    path = walk(point_in(worker.grids[0].code))
    body = patrol_body(path)
    body["findings"] = [_finding(path[2], body, category="E0105")]
    patrol = send(api_as(worker), body).json
    finding = patrol["findings"][0]
    assert finding["case_id"] is None and math.isclose(finding["lon"], path[2][0], abs_tol=1e-7)
    url = f"/api/v1/patrols/findings/{finding['id']}/case"
    case = api_as(worker).post(url, json={})
    assert case.status_code == 201, case.json
    assert case.json["category"]["code"] == "E0105" and case.json["grid_code"] == worker.grids[0].code
    assert math.isclose(case.json["location"]["lon"], path[2][0], abs_tol=1e-6)
    assert case.json["description"] == "井盖破损，有行人绊倒风险"
    assert api_as(worker).post(url, json={}).status_code == 422  # once
    shown = api_as(worker).get(f"/api/v1/patrols/{patrol['id']}").json
    assert shown["findings"][0]["case_id"] == case.json["id"]


def test_a_finding_without_a_category_asks_for_one(api_as, worker, make_user):
    path = walk(point_in(worker.grids[0].code))
    body = patrol_body(path)
    body["findings"] = [_finding(path[2], body)]
    finding = send(api_as(worker), body).json["findings"][0]
    url = f"/api/v1/patrols/findings/{finding['id']}/case"
    refused = api_as(worker).post(url, json={})
    assert refused.status_code == 422 and "category" in refused.json["errors"]
    someone_else = make_user("grid_worker", worker.grids[0].code)
    assert api_as(someone_else).post(url, json={"category": "E0105"}).status_code == 404
    assert api_as(worker).post(url, json={"category": "E0105", "title": "井盖破损"}).status_code == 201


def test_coverage_counts_the_grids_patrolled_since_a_day(api_as, worker, people):
    patrolled_before, grids = coverage(people["township"], utcnow() - timedelta(days=7))
    send(api_as(worker), patrol_body(walk(point_in(worker.grids[0].code))))
    patrolled, total = coverage(people["township"], utcnow() - timedelta(days=7))
    assert total == grids > 1 and patrolled >= patrolled_before + 1
    assert coverage(worker, utcnow() - timedelta(days=7)) == (1, len(worker.grids))
