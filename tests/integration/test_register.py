"""The people and places of a grid (人房事物, issue 16, Done means): an XLSX import with one bad row
is refused with that row's number and writes nothing, the corrected one imports; a dump of the
table shows no resident's ID number or phone in clear; reveals and the full export are audited;
the household look-up; importing again updates rather than doubles; scope."""

import io
import os
import subprocess

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from gridcase.audit.models import AuditEntry
from gridcase.extensions import db
from gridcase.gridwork.models import House, Place, Resident
from tests.helpers import FENGQIAO, grid_in, point_in
from tests.integration.test_attachments_and_pages import csrf_from, sign_in

GOOD_ID, OTHER_ID, BAD_ID = "11010519491231002X", "330681198805061235", "330681198805061234"
PHONE = "13812348000"


def workbook(grid_code: str, resident_id: str = OTHER_ID) -> bytes:
    lon, lat = point_in(grid_code)
    book = Workbook()
    houses = book.active
    houses.title = "房屋"
    houses.append(["房屋编号", "地址", "房屋类型", "经度", "纬度", "备注"])
    houses.append(["3组21号", "枫桥村3组21号", "自建房", lon, lat, ""])
    houses.append(["3组22号", "枫桥村3组22号", "自建房", None, None, "出租"])
    residents = book.create_sheet("居民")
    residents.append(["房屋编号", "姓名", "身份证号", "联系电话", "与户主关系", "人员类型", "人员标签"])
    residents.append(["3组21号", "王秀英", GOOD_ID, PHONE, "户主", "户籍", "独居老人、低保户"])
    residents.append(["3组22号", "李建华", resident_id, "", "租户", "流动", ""])
    residents.append(["3组22号", "李小明", None, None, "子女", "", "留守儿童"])
    places = book.create_sheet("场所")
    places.append(["名称", "场所类型", "地址", "经度", "纬度", "负责人", "联系电话"])
    places.append(["红红小吃店", "九小场所", "枫桥村口", lon, lat, "陈红", "13900001111"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(api, grid_code, content):
    return api.post(
        f"/api/v1/grids/{grid_code}/register",
        data={"file": (io.BytesIO(content), "register.xlsx")},
        content_type="multipart/form-data",
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_bad_row_is_named_and_nothing_is_written_then_the_good_file_imports(api_as, worker):
    grid = worker.grids[0].code
    api = api_as(worker)
    refused = send(api, grid, workbook(grid, BAD_ID))
    assert refused.status_code == 422
    assert any("居民, row 3, 身份证号" in problem for problem in refused.json["errors"]), refused.json
    assert (count(House), count(Resident), count(Place)) == (0, 0, 0)
    imported = send(api, grid, workbook(grid))
    assert imported.status_code == 200, imported.json
    assert imported.json["created"] == {"房屋": 2, "居民": 3, "场所": 1}
    dump = "\n".join(db.session.execute(sa.text("SELECT residents::text FROM residents")).scalars())
    dump += "\n".join(db.session.execute(sa.text("SELECT places::text FROM places")).scalars())
    for secret in (GOOD_ID, OTHER_ID, PHONE, "13900001111", "王秀英", "陈红"):
        assert secret not in dump  # nothing of them in clear at rest
    again = send(api, grid, workbook(grid))
    assert again.json["created"] == {"房屋": 0, "居民": 0, "场所": 0}
    assert again.json["updated"] == {"房屋": 2, "居民": 3, "场所": 1}
    assert count(Resident) == 3


def test_the_household_look_up_masks_and_the_reveal_and_export_are_audited(api_as, worker, people):
    grid = worker.grids[0].code
    assert send(api_as(worker), grid, workbook(grid)).status_code == 200
    houses = api_as(worker).get(f"/api/v1/grids/{grid}/houses").json
    first = next(h for h in houses if h["ref"] == "3组21号")
    (resident,) = first["residents"]
    assert (
        resident["name"] == "王**"
        and resident["phone"] != PHONE
        and set(resident["tags"])
        == {
            "elderly_alone",
            "subsistence",
        }
    )
    assert api_as(worker).get(f"/api/v1/grids/{grid}/houses?q={GOOD_ID}").status_code == 422  # not in a URL
    by_id = api_as(worker).post(f"/api/v1/grids/{grid}/houses/search", json={"q": GOOD_ID}).json
    assert [h["ref"] for h in by_id] == ["3组21号"]
    by_address = api_as(worker).get(f"/api/v1/grids/{grid}/houses?q=22号").json
    assert [h["ref"] for h in by_address] == ["3组22号"]
    reveal = api_as(people["mediator"]).post(
        f"/api/v1/residents/{resident['id']}/reveal", json={"reason": "入户走访前核对"}
    )
    assert reveal.status_code == 200 and reveal.json == {
        "name": "王秀英",
        "id_number": GOOD_ID,
        "phone": PHONE,
    }
    export = api_as(people["mediator"]).post(
        f"/api/v1/grids/{grid}/register/export", json={"reason": "年度核对"}
    )
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(export.data))["居民"].iter_rows(values_only=True))
    assert ("3组21号", "王秀英", GOOD_ID, PHONE, "户主", "户籍", "独居老人、低保户") in rows
    audited = db.session.scalars(
        sa.select(AuditEntry.target).where(AuditEntry.action == "reveal_personal_data")
    ).all()
    assert f"resident {resident['id']}" in audited and f"grid {grid} register" in audited
    assert (
        api_as(people["mediator"])
        .post(f"/api/v1/grids/{grid}/register/export", json={"reason": ""})
        .status_code
        == 422
    )
    places = api_as(worker).get(f"/api/v1/grids/{grid}/places").json
    assert places[0]["name"] == "红红小吃店" and places[0]["contact"] == "陈*"


def test_scope_and_what_is_no_workbook(api_as, worker, make_user):
    grid = worker.grids[0].code
    other = next(
        g
        for i in range(1, 60)
        if (g := grid_in(FENGQIAO, i)).community_code != worker.grids[0].community_code
    )
    stranger = make_user("community_mediator", other.community_code)
    assert send(api_as(stranger), grid, workbook(grid)).status_code == 404
    assert api_as(stranger).get(f"/api/v1/grids/{grid}/houses").status_code == 404
    other_worker = make_user("grid_worker", other.code)
    assert send(api_as(other_worker), grid, workbook(grid)).status_code == 404
    not_a_book = send(api_as(worker), grid, b"name,id\n")
    assert not_a_book.status_code == 422 and "XLSX" in not_a_book.json["message"]
    outside = workbook(other.code)  # its points lie in another grid
    answer = send(api_as(worker), grid, outside)
    assert answer.status_code == 422 and any("outside the grid" in p for p in answer.json["errors"])
    template = api_as(worker).get("/api/v1/register/template")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.data)).sheetnames == ["房屋", "居民", "场所", "填写说明"]


def test_the_phone_looks_a_household_up(app, api_as, worker):
    grid = worker.grids[0].code
    assert send(api_as(worker), grid, workbook(grid)).status_code == 200
    client = app.test_client()
    sign_in(client, worker.username)
    html = client.get("/m/households?lang=zh").get_data(as_text=True)
    assert "3组21号" in html and "3组22号" in html and "红红小吃店" in html
    assert "王**" in html and "独居老人" in html and "王秀英" not in html and PHONE not in html
    page = client.get("/m/households?lang=zh")
    found = client.post("/m/households", data={"csrf_token": csrf_from(page.data), "q": GOOD_ID})
    found = found.get_data(as_text=True)
    assert "3组21号" in found and "3组22号" not in found and GOOD_ID not in found


@pytest.mark.committing
def test_a_database_dump_shows_no_residents_id_number_or_phone(app):
    """pg_dump of the database after an import: the residents' and the places' people appear
    nowhere in clear, while the houses do (the dump is real)."""
    from gridcase.gridwork.register import import_register
    from gridcase.people.models import User
    from gridcase.settings import utcnow

    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        grid = worker.grids[0].code
        import_register(worker, grid, workbook(grid), utcnow())
        db.session.commit()
        url = db.engine.url
    try:
        dump = subprocess.run(
            ["/usr/lib/postgresql/15/bin/pg_dump", "--data-only", "-h", url.host, "-p", str(url.port),
             "-U", url.username, url.database],
            env={**os.environ, "PGPASSWORD": url.password},
            capture_output=True,
            check=True,
        ).stdout  # fmt: skip
        assert "枫桥村3组21号".encode() in dump
        for secret in (GOOD_ID, OTHER_ID, PHONE, "13900001111", "王秀英", "李建华", "陈红"):
            assert secret.encode() not in dump
    finally:
        with app.app_context():
            for table in ("residents", "houses", "places"):
                db.session.execute(sa.text(f"DELETE FROM {table} WHERE grid_code = :g"), {"g": grid})
            db.session.commit()


def test_a_party_is_picked_from_the_grids_residents_at_intake(api_as, worker, make_user):
    from tests.helpers import case_payload

    grid = worker.grids[0].code
    assert send(api_as(worker), grid, workbook(grid)).status_code == 200
    resident = db.session.scalar(
        sa.select(Resident).where(Resident.id_number_hash.is_not(None)).order_by(Resident.id)
    )
    body = case_payload(
        grid, kind="dispute", category="D02", parties=[{"resident_id": resident.id, "role": "applicant"}]
    )
    answer = api_as(worker).post("/api/v1/cases", json=body)
    assert answer.status_code == 201, answer.json
    (party,) = answer.json["parties"]
    assert party["name"] == "王**" and party["id_number"].startswith("110105")
    revealed = api_as(make_user("community_mediator", worker.grids[0].community_code)).post(
        f"/api/v1/cases/{answer.json['id']}/parties/{party['id']}/reveal", json={"reason": "约双方调解"}
    )
    assert (
        revealed.json["name"] == "王秀英"
        and revealed.json["id_number"] == GOOD_ID
        and revealed.json["phone"] == PHONE
    )
    other = next(
        g
        for i in range(1, 60)
        if (g := grid_in(FENGQIAO, i)).community_code != worker.grids[0].community_code
    )
    stranger = make_user("grid_worker", other.code)
    refused = api_as(stranger).post(
        "/api/v1/cases",
        json=case_payload(other.code, kind="dispute", category="D02", parties=[{"resident_id": resident.id}]),
    )
    assert refused.status_code == 422 and "resident_id" in str(refused.json["errors"])
    nameless = api_as(worker).post(
        "/api/v1/cases", json=case_payload(grid, kind="dispute", category="D02", parties=[{}])
    )
    assert nameless.status_code == 422


def square(lon, lat, d=0.0001):
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - d, lat - d],
                [lon + d, lat - d],
                [lon + d, lat + d],
                [lon - d, lat + d],
                [lon - d, lat - d],
            ]
        ],
    }


def test_a_houses_outline_is_a_valid_polygon_in_its_grid(api_as, worker, make_user):
    grid = worker.grids[0].code
    assert send(api_as(worker), grid, workbook(grid)).status_code == 200
    house = db.session.scalar(sa.select(House).where(House.ref == "3组22号"))  # imported without a point
    lon, lat = point_in(grid)
    url = f"/api/v1/houses/{house.id}/outline"
    answer = api_as(worker).put(url, json={"outline": square(lon, lat)})
    assert answer.status_code == 200, answer.json
    assert answer.json["outline"]["type"] == "Polygon" and abs(answer.json["lon"] - lon) < 1e-6
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + 0.001, lat + 0.001], [lon + 0.001, lat], [lon, lat + 0.001], [lon, lat]]
        ],
    }
    refused = api_as(worker).put(url, json={"outline": bowtie})
    assert refused.status_code == 422 and "outline" in refused.json["errors"]
    far = api_as(worker).put(url, json={"outline": square(121.5, 31.2)})
    assert far.status_code == 422 and "outside" in far.json["message"]
    assert (
        api_as(worker).put(url, json={"outline": {"type": "Point", "coordinates": [lon, lat]}}).status_code
        == 422
    )
    other = next(
        g
        for i in range(1, 60)
        if (g := grid_in(FENGQIAO, i)).community_code != worker.grids[0].community_code
    )
    assert (
        api_as(make_user("community_mediator", other.community_code))
        .put(url, json={"outline": square(lon, lat)})
        .status_code
        == 404
    )
