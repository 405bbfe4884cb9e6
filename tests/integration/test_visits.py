"""Visits (走访) and the 民情日志 (issue 16): recorded by the grid worker where they stand, whom
they met encrypted at rest and masked when shown, in clear only for a reason that is audited;
a photo cleaned like a case's; a concern a case in one tap; names erased with the parties'
retention; the centres see the visits in their scope."""

import io
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image

from gridcase.audit.models import AuditEntry
from gridcase.extensions import db
from gridcase.gridwork.models import Visit
from gridcase.people.retention import anonymise_closed_parties, rotate_keys
from gridcase.settings import utcnow
from tests.helpers import FENGQIAO, grid_in, point_in

NAMES = "王秀英、李建华"


def visit_body(worker, **overrides):
    lon, lat = point_in(worker.grids[0].code)
    body = {
        "kind": "household",
        "topic": "care",
        "visited_at": (utcnow() - timedelta(minutes=20)).isoformat(),
        "target": "枫桥村3组21号",
        "people_met": NAMES,
        "content": "独居老人，身体尚可，屋顶漏雨",
        "concerns": "屋顶漏雨需修缮",
        "lon": lon,
        "lat": lat,
    }
    return {**body, **overrides}


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 900), (90, 140, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (29.0, 38.0, 45.6), 3: "E", 4: (120.0, 23.0, 42.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_visit_keeps_whom_it_met_encrypted_and_masked_and_reveals_them_for_a_reason(api_as, worker):
    api = api_as(worker)
    answer = api.post("/api/v1/visits", json=visit_body(worker), headers={"Idempotency-Key": "v-1"})
    assert answer.status_code == 201, answer.json
    assert answer.json["people_met"] == "王**、李**" and answer.json["grid_code"] == worker.grids[0].code
    stored = db.session.get(Visit, answer.json["id"])
    assert "王秀英".encode() not in bytes(stored.people_met_encrypted)
    dump = db.session.execute(sa.text("SELECT visits::text FROM visits")).scalars().all()
    assert not any("王秀英" in row or "李建华" in row for row in dump)  # nothing in clear at rest
    again = api.post("/api/v1/visits", json=visit_body(worker), headers={"Idempotency-Key": "v-1"})
    assert again.status_code == 200 and again.json["id"] == answer.json["id"]
    url = f"/api/v1/visits/{answer.json['id']}/people/reveal"
    assert api.post(url, json={"reason": "x"}).status_code == 422
    revealed = api.post(url, json={"reason": "回访独居老人，核对姓名"})
    assert revealed.status_code == 200 and revealed.json["people_met"] == ["王秀英", "李建华"]
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.target == f"visit {answer.json['id']}")
    ).one()
    assert entry.action == "reveal_personal_data" and entry.details["reason"] == "回访独居老人，核对姓名"


def test_what_a_visit_refuses(api_as, worker, people):
    api = api_as(worker)
    assert "topic" in api.post("/api/v1/visits", json=visit_body(worker, topic=None)).json["errors"]
    diary = visit_body(worker, kind="diary", topic="care")
    assert "topic" in api.post("/api/v1/visits", json=diary).json["errors"]
    future = visit_body(worker, visited_at=(utcnow() + timedelta(hours=2)).isoformat())
    assert "visited_at" in api.post("/api/v1/visits", json=future).json["errors"]
    assert api.post("/api/v1/visits", json=visit_body(worker, content="   ")).status_code == 422
    assert api_as(people["mediator"]).post("/api/v1/visits", json=visit_body(worker)).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    diary_entry = api.post("/api/v1/visits", json=visit_body(worker, kind="diary", topic=None, people_met=""))
    assert diary_entry.status_code == 201 and diary_entry.json["people_met"] == ""


def test_the_photo_is_cleaned_and_kept_once(api_as, worker):
    api = api_as(worker)
    visit = api.post("/api/v1/visits", json=visit_body(worker)).json
    url = f"/api/v1/visits/{visit['id']}/photo"
    sent = api.post(
        url, data={"file": (io.BytesIO(photo_with_gps()), "p.jpg")}, content_type="multipart/form-data"
    )
    assert sent.status_code == 201 and sent.json["has_photo"] is True
    got = api.get(url)
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    assert not Image.open(io.BytesIO(got.data)).getexif()  # no GPS, no camera left
    twice = api.post(
        url, data={"file": (io.BytesIO(photo_with_gps()), "p.jpg")}, content_type="multipart/form-data"
    )
    assert twice.status_code == 422


def test_a_concern_becomes_a_case_at_the_visit_once(api_as, worker):
    api = api_as(worker)
    visit = api.post("/api/v1/visits", json=visit_body(worker)).json
    url = f"/api/v1/visits/{visit['id']}/case"
    assert "category" in api.post(url, json={}).json["errors"]
    case = api.post(url, json={"category": "E0105", "title": "老人屋顶漏雨"})
    assert case.status_code == 201, case.json
    assert case.json["description"] == "屋顶漏雨需修缮" and case.json["title"] == "老人屋顶漏雨"
    assert abs(case.json["location"]["lon"] - visit["lon"]) < 1e-6
    assert api.post(url, json={"category": "E0105"}).status_code == 422  # once
    assert api.get(f"/api/v1/visits/{visit['id']}").json["case_id"] == case.json["id"]


def test_who_sees_a_visit(api_as, worker, people, make_user):
    visit_id = api_as(worker).post("/api/v1/visits", json=visit_body(worker)).json["id"]
    other = next(
        g
        for i in range(1, 60)
        if (g := grid_in(FENGQIAO, i)).community_code != worker.grids[0].community_code
    )
    stranger = make_user("community_mediator", other.community_code)
    for user, status in (
        (worker, 200),
        (people["mediator"], 200),
        (people["township"], 200),
        (stranger, 404),
    ):
        assert api_as(user).get(f"/api/v1/visits/{visit_id}").status_code == status
    assert api_as(people["unit"]).get(f"/api/v1/visits/{visit_id}").status_code == 404
    assert [v["id"] for v in api_as(people["mediator"]).get("/api/v1/visits?kind=household").json] == [
        visit_id
    ]
    assert api_as(people["mediator"]).get("/api/v1/visits?kind=diary").json == []
    # a centre reveals for a reason; another worker of the same grid cannot touch it
    assert api_as(people["mediator"]).post(
        f"/api/v1/visits/{visit_id}/people/reveal", json={"reason": "安排关爱帮扶"}
    ).json["people_met"] == ["王秀英", "李建华"]
    neighbour = make_user("grid_worker", worker.grids[0].code)
    assert (
        api_as(neighbour).post(f"/api/v1/visits/{visit_id}/case", json={"category": "E0105"}).status_code
        == 404
    )


def test_names_rotate_with_the_keys_and_go_with_the_parties_retention(api_as, worker, app):
    visit_id = api_as(worker).post("/api/v1/visits", json=visit_body(worker)).json["id"]
    assert "visits" in rotate_keys()  # the table is among those the key rotation covers
    retention = int(app.config["GRIDCASE_PARTY_RETENTION_DAYS"])
    anonymise_closed_parties(now=utcnow() + timedelta(days=retention + 1))
    db.session.expire_all()
    visit = db.session.get(Visit, visit_id)
    assert (
        visit.people_met_encrypted is None
        and visit.anonymised_at is not None
        and visit.people_met_masked == ""
    )
    assert visit.content == "独居老人，身体尚可，屋顶漏雨"  # what the visit found stays
