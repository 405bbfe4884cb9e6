"""Importing territory from GeoJSON: every problem reported, all or nothing, updates in place.

These tests use a small synthetic county (330682, not the demo city) of 2×1 km, so each
geometry problem is made on purpose and easy to see.
"""

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gridcase.errors import ImportRejected
from gridcase.extensions import db
from gridcase.geo import distance_m
from gridcase.territory.importer import import_geodata
from gridcase.territory.models import Region

CITY = "330682000000"
TOWN = "330682100000"
VILLAGE = "330682100201"


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(code, geometry, name=None, **properties):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name or f"区域{code[-3:]}", **properties},
        "geometry": geometry,
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture
def village():
    """City, township and one community, all the same 0.02° × 0.01° rectangle."""
    box = square(120.0, 30.0, 120.02, 30.01)
    import_geodata(collection(feature(CITY, box, "测试市")), "city")
    import_geodata(collection(feature(TOWN, box, "测试镇")), "township")
    import_geodata(collection(feature(VILLAGE, box, "测试村")), "community")
    return box


def two_grids(left, right):
    return collection(
        feature(VILLAGE + "001", left, kind="comprehensive", households=300, population=820),
        feature(VILLAGE + "002", right, kind="dedicated", households=10, population=40),
    )


def rejected(*args, **kwargs) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_geodata(*args, **kwargs)
    return caught.value.problems


def test_grids_tiling_their_community_import(village):
    report = import_geodata(
        two_grids(square(120.0, 30.0, 120.01, 30.01), square(120.01, 30.0, 120.02, 30.01)), "grid"
    )
    assert report.created == [VILLAGE + "001", VILLAGE + "002"]
    grid = db.session.get(Region, VILLAGE + "002")
    assert (grid.parent_code, grid.community_code, grid.township_code, grid.city_code) == (
        VILLAGE,
        VILLAGE,
        TOWN,
        CITY,
    )
    assert (grid.grid_kind, grid.households, grid.population) == ("dedicated", 10, 40)
    assert 1_050_000 < grid.area_m2 < 1_090_000  # 0.01° × 0.01° at 30°N ≈ 964 m × 1109 m


def test_a_gap_is_reported_with_its_area(village):
    problems = rejected(
        two_grids(square(120.0, 30.0, 120.009, 30.01), square(120.01, 30.0, 120.02, 30.01)), "grid"
    )
    assert len(problems) == 1
    assert problems[0].startswith(f"{VILLAGE}: gap of ")
    area = float(problems[0].split("gap of ")[1].split(" m²")[0])
    assert 100_000 < area < 110_000  # a 0.001° × 0.01° strip ≈ 96 m × 1112 m


def test_an_overlap_is_reported_with_its_area(village):
    problems = rejected(
        two_grids(square(120.0, 30.0, 120.011, 30.01), square(120.01, 30.0, 120.02, 30.01)), "grid"
    )
    assert len(problems) == 1
    assert problems[0].startswith(f"{VILLAGE}001: overlaps {VILLAGE}002 by ")


def test_an_invalid_ring_is_reported(village):
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[120.0, 30.0], [120.01, 30.01], [120.01, 30.0], [120.0, 30.01], [120.0, 30.0]]],
    }
    problems = rejected(two_grids(bow_tie, square(120.01, 30.0, 120.02, 30.01)), "grid")
    assert any(p.startswith(f"{VILLAGE}001: invalid polygon: Self-intersection") for p in problems)


def test_a_child_outside_its_parent_is_reported(village):
    problems = rejected(
        two_grids(square(120.0, 30.0, 120.01, 30.01), square(120.01, 30.0, 120.03, 30.01)), "grid"
    )
    assert any(p.startswith(f"{VILLAGE}002: lies outside its parent {VILLAGE} by ") for p in problems)


def test_wrong_codes_and_missing_parents_are_reported(village):
    problems = rejected(
        collection(
            feature("33068210020100", square(120.0, 30.0, 120.01, 30.01)),
            feature("330682100299001", square(120.01, 30.0, 120.02, 30.01)),
        ),
        "grid",
    )
    assert any("wrong code: a grid code has 15 digits" in p for p in problems)
    assert any(p.startswith("330682100299001: the parent 330682100299 does not exist") for p in problems)


def test_every_problem_of_a_file_is_reported_at_once(village):
    grids = collection(
        feature(VILLAGE + "001", square(120.0, 30.0, 120.008, 30.01)),
        feature(VILLAGE + "002", square(120.007, 30.0, 120.015, 30.01)),  # overlaps 001
        feature(VILLAGE + "003", square(120.016, 30.0, 120.03, 30.01)),  # a gap before it, sticks out
    )
    problems = rejected(grids, "grid")
    kinds = {p.split(": ", 1)[1].split(" ")[0] for p in problems}
    assert {"overlaps", "lies", "gap"} <= kinds


def test_a_rejected_file_changes_nothing(village):
    import_geodata(two_grids(square(120.0, 30.0, 120.01, 30.01), square(120.01, 30.0, 120.02, 30.01)), "grid")
    broken = two_grids(square(120.0, 30.0, 120.015, 30.01), square(120.01, 30.0, 120.02, 30.01))
    broken["features"][0]["properties"]["name"] = "改名后"
    rejected(broken, "grid")
    assert db.session.get(Region, VILLAGE + "001").name == "区域001"


def test_reimport_updates_in_place(village):
    grids = two_grids(square(120.0, 30.0, 120.01, 30.01), square(120.01, 30.0, 120.02, 30.01))
    import_geodata(grids, "grid")
    grids["features"][0]["properties"].update(name="桥东网格", households=333)
    report = import_geodata(grids, "grid")
    assert report.updated == [VILLAGE + "001", VILLAGE + "002"] and report.created == []
    assert db.session.get(Region, VILLAGE + "001").households == 333
    assert db.session.scalar(sa.select(sa.func.count()).where(Region.parent_code == VILLAGE)) == 2


def test_parent_option_must_match_the_codes(village):
    grids = two_grids(square(120.0, 30.0, 120.01, 30.01), square(120.01, 30.0, 120.02, 30.01))
    problems = rejected(grids, "grid", parent_code="330682100202")
    assert any("does not belong under the parent 330682100202" in p for p in problems)


def test_gcj02_files_are_converted_to_wgs84():
    """A city drawn on an AMap (GCJ-02) base map lands ~500 m away, where it really is."""
    from gridcase.geo import wgs84_to_gcj02

    x0, y0 = wgs84_to_gcj02(120.0, 30.0)
    x1, y1 = wgs84_to_gcj02(120.02, 30.01)
    import_geodata(collection(feature(CITY, square(x0, y0, x1, y1))), "city", crs="gcj02")
    first_vertex = sa.func.ST_StartPoint(sa.func.ST_ExteriorRing(sa.func.ST_GeometryN(Region.boundary, 1)))
    lon, lat = db.session.execute(
        sa.select(sa.func.ST_X(first_vertex), sa.func.ST_Y(first_vertex)).where(Region.code == CITY)
    ).one()
    assert distance_m(lon, lat, 120.0, 30.0) < 0.5


def test_cli_reports_problems_and_exits_non_zero(app, village, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text(
        json.dumps(two_grids(square(120.0, 30.0, 120.009, 30.01), square(120.01, 30.0, 120.02, 30.01))),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app.cli, ["gridcase", "import-geodata", str(path), "--level", "grid"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "The grid file was not imported: 1 problem(s)." in result.output
    assert f"{VILLAGE}: gap of" in result.output


def test_cli_says_when_the_file_is_not_json(app, tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app.cli, ["gridcase", "import-geodata", str(path), "--level", "city"])
    assert result.exit_code == 1
    assert "is not a UTF-8 JSON file" in result.output
