"""The workbench's patrols page (issue 16): the day's patrols of a scope with their tracks for
the map, the patrol coverage of its grids in the last seven days and the grids not walked."""

import json
from datetime import timedelta

from gridcase.settings import utcnow
from tests.helpers import FENGQIAO, grid_in, point_in
from tests.integration.test_attachments_and_pages import sign_in
from tests.integration.test_patrols import patrol_body, send, walk


def tracks_of(html: str) -> dict:
    start = html.index('<script type="application/json" id="tracks">') + len(
        '<script type="application/json" id="tracks">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_township_sees_the_days_patrols_and_its_coverage(app, api_as, worker, people, make_user):
    body = patrol_body(walk(point_in(worker.grids[0].code)), started=utcnow() - timedelta(minutes=40))
    body["findings"] = [
        {
            "at": body["points"][1]["at"],
            "lon": body["points"][1]["lon"],
            "lat": body["points"][1]["lat"],
            "note": "路灯不亮",
        }
    ]
    assert send(api_as(worker), body).status_code == 201
    client = app.test_client()
    sign_in(client, people["township"].username)
    html = client.get("/desk/patrols?lang=en").get_data(as_text=True)
    assert 'id="patrol-table"' in html and worker.display_name in html and "路灯不亮" in html
    (feature,) = tracks_of(html)["features"]
    assert feature["geometry"]["type"] == "LineString" and len(feature["geometry"]["coordinates"]) == 9
    assert feature["properties"]["findings"][0]["note"] == "路灯不亮"
    coverage = html[html.index('id="coverage"') :]
    assert "grids patrolled in the last 7 days" in coverage
    assert grid_in(FENGQIAO, 1).name in html  # a grid nobody walked is named
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    earlier = client.get(f"/desk/patrols?lang=en&day={yesterday}").get_data(as_text=True)
    assert "No patrol that day." in earlier
    bad = client.get("/desk/patrols?lang=en&day=someday")
    assert bad.status_code == 200 and "Give a day." in bad.get_data(as_text=True)


def test_another_community_sees_none_of_them_and_a_worker_has_no_such_page(app, api_as, worker, make_user):
    assert send(api_as(worker), patrol_body(walk(point_in(worker.grids[0].code)))).status_code == 201
    other = next(
        g
        for i in range(1, 60)
        if (g := grid_in(FENGQIAO, i)).community_code != worker.grids[0].community_code
    )
    client = app.test_client()
    sign_in(client, make_user("community_mediator", other.community_code).username)
    html = client.get("/desk/patrols?lang=en").get_data(as_text=True)
    assert tracks_of(html)["features"] == [] and worker.display_name not in html
    phone = app.test_client()
    sign_in(phone, worker.username)
    assert phone.get("/desk/patrols").status_code in (302, 403)
