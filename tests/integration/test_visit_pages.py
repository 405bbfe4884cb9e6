"""The phone's visits page (issue 16): a household visit saved with its place and a photo from
the form, refused with the fields said in the page's language when incomplete (nothing saved),
and its concern logged as a case in one tap."""

import io

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.gridwork.models import Visit
from tests.helpers import point_in
from tests.integration.test_attachments_and_pages import csrf_from, sign_in
from tests.integration.test_visits import photo_with_gps


def test_a_visit_from_the_phone_form_and_its_concern_as_a_case(app, worker):
    client = app.test_client()
    sign_in(client, worker.username)
    page = client.get("/m/visits?lang=zh")
    assert page.status_code == 200 and "记录走访" in page.get_data(as_text=True)
    lon, lat = point_in(worker.grids[0].code)
    form = {
        "csrf_token": csrf_from(page.data),
        "kind": "household",
        "topic": "care",
        "target": "枫桥村3组21号",
        "people_met": "王秀英",
        "content": "",
        "concerns": "屋顶漏雨需修缮",
        "lon": str(lon),
        "lat": str(lat),
    }
    refused = client.post("/m/visits", data=form)
    assert refused.status_code == 422 and "请填写走访情况" in refused.get_data(as_text=True)
    assert "枫桥村3组21号" in refused.get_data(as_text=True)  # what was typed is kept
    no_gps = client.post("/m/visits", data={**form, "content": "独居老人", "lon": "", "lat": ""})
    assert no_gps.status_code == 422 and "正在定位" in no_gps.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    saved = client.post(
        "/m/visits",
        data={**form, "content": "独居老人，身体尚可", "photo": (io.BytesIO(photo_with_gps()), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    visit = db.session.scalars(sa.select(Visit)).one()
    assert visit.photo_sha256 and visit.people_met_masked == "王**"
    html = client.get("/m/visits?lang=zh").get_data(as_text=True)
    assert "王**" in html and "王秀英" not in html and "关爱帮扶" in html
    logged = client.post(
        f"/m/visits/{visit.id}/case", data={"csrf_token": csrf_from(page.data), "category": "E0105"}
    )
    assert logged.status_code == 302 and "/m/cases/" in logged.headers["Location"]
    db.session.refresh(visit)
    assert visit.case_id is not None
