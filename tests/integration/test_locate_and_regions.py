"""Locating the grid of a point, and reading territory nodes, over HTTP."""

import json

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.geo import from_wgs84
from gridcase.territory.models import Region
from tests.helpers import CITY, FENGQIAO, JIYANG, grid_in, point_in


@pytest.fixture
def api(api_as, worker):
    return api_as(worker)


def test_an_interior_point_answers_its_grid_and_path(api):
    grid = grid_in(FENGQIAO, 5)
    lon, lat = point_in(grid.code)
    response = api.get(f"/api/v1/grids/locate?lon={lon}&lat={lat}")
    assert response.status_code == 200
    body = response.json
    assert body["grid"]["code"] == grid.code
    assert body["grid"]["households"] == grid.households
    assert body["community"]["code"] == grid.community_code
    assert body["township"] == {"code": FENGQIAO, "name": "枫桥镇", "level": "township"}
    assert body["city"]["code"] == CITY


@pytest.mark.parametrize("crs", ["gcj02", "bd09", "cgcs2000"])
def test_points_in_other_datums_are_converted_first(api, crs):
    grid = grid_in(FENGQIAO, 7)
    lon, lat = point_in(grid.code)
    shown_lon, shown_lat = from_wgs84(lon, lat, crs)  # where AMap/Baidu would put the same spot
    response = api.get(f"/api/v1/grids/locate?lon={shown_lon}&lat={shown_lat}&crs={crs}")
    assert response.status_code == 200
    assert response.json["grid"]["code"] == grid.code


def test_the_raw_gcj02_point_would_have_been_wrong(api):
    """The conversion matters: taken as WGS84, an AMap point is ~500 m off, in another grid."""
    grid = grid_in(JIYANG, 15)  # a small urban grid: shifted ~500 m, it no longer meets itself
    shown = from_wgs84(*point_in(grid.code), "gcj02")
    response = api.get(f"/api/v1/grids/locate?lon={shown[0]}&lat={shown[1]}")
    assert response.status_code == 404 or response.json["grid"]["code"] != grid.code


def _shared_edge_point(code: str) -> tuple[float, float, list[str]]:
    """A point exactly on a straight edge between grid `code` and a neighbour."""
    a, b = sa.orm.aliased(Region), sa.orm.aliased(Region)
    rows = db.session.execute(
        sa.select(b.code, sa.func.ST_AsGeoJSON(sa.func.ST_Intersection(a.boundary, b.boundary)))
        .select_from(a)
        .join(b, sa.func.ST_Touches(a.boundary, b.boundary))
        .where(a.code == code, b.level == "grid")
        .order_by(b.code)
    )
    for neighbour, text in rows:
        shared = json.loads(text)
        lines = {"LineString": [shared["coordinates"]], "MultiLineString": shared["coordinates"]}.get(
            shared["type"], []
        )
        for line in lines:
            (x1, y1), (x2, y2) = line[0], line[1]
            if y1 == y2:  # horizontal: the midpoint keeps y exactly on the edge
                return (x1 + x2) / 2, y1, sorted([code, neighbour])
            if x1 == x2:
                return x1, (y1 + y2) / 2, sorted([code, neighbour])
    raise AssertionError("no straight shared edge found")


def test_a_point_on_a_shared_edge_always_answers_the_same_grid(api):
    lon, lat, both = _shared_edge_point(grid_in(FENGQIAO, 3).code)
    answers = {api.get(f"/api/v1/grids/locate?lon={lon}&lat={lat}").json["grid"]["code"] for _ in range(5)}
    assert answers == {both[0]}  # one answer, the lower code, every time


def test_a_point_outside_every_grid_is_404_with_a_message(api):
    response = api.get("/api/v1/grids/locate?lon=116.397&lat=39.909")  # Tiananmen
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert "outside every grid" in response.json["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lon=200&lat=30", "lon"),
        ("lat=30", "lon"),
        ("lon=120&lat=30&crs=mars", "crs"),
        ("lon=abc&lat=1", "lon"),
    ],
)
def test_bad_locate_queries_are_422_by_field(api, query, field):
    response = api.get(f"/api/v1/grids/locate?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_a_region_lists_its_children_and_path(api):
    response = api.get(f"/api/v1/regions/{FENGQIAO}")
    assert response.status_code == 200
    body = response.json
    assert body["name"] == "枫桥镇" and body["level"] == "township"
    assert [p["code"] for p in body["path"]] == [CITY]
    children = db.session.scalars(
        sa.select(Region.code).where(Region.parent_code == FENGQIAO).order_by(Region.code)
    )
    assert body["children"] == list(children)
    assert body["geometry"] is None


def test_geometry_on_request(api):
    body = api.get(f"/api/v1/regions/{FENGQIAO}?geometry=1").json
    assert body["geometry"]["type"] == "MultiPolygon"


def test_unknown_region_is_404(api):
    response = api.get("/api/v1/regions/999999999999")
    assert response.status_code == 404
    assert response.json["message"] == "No territory node has the code 999999999999."


def test_territory_needs_sign_in(client):
    response = client.get(f"/api/v1/regions/{FENGQIAO}")
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
