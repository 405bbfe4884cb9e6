"""CRS conversion against published reference coordinates, and the inverse's accuracy."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridcase.geo import (
    bd09_to_gcj02,
    distance_m,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)

REFERENCE = json.loads((Path(__file__).parents[2] / "geodata" / "crs_reference.json").read_text())


def convert(lon, lat, source, target):
    if source == "bd09" and target == "wgs84":
        return to_wgs84(lon, lat, "bd09")
    functions = {
        ("wgs84", "gcj02"): wgs84_to_gcj02,
        ("gcj02", "wgs84"): gcj02_to_wgs84,
        ("gcj02", "bd09"): gcj02_to_bd09,
        ("bd09", "gcj02"): bd09_to_gcj02,
    }
    return functions[(source, target)](lon, lat)


@pytest.mark.parametrize("ref", REFERENCE, ids=lambda r: f"{r['from']}->{r['to']}@{r['input']}")
def test_published_reference_pairs(ref):
    lon, lat = convert(*ref["input"], ref["from"], ref["to"])
    assert distance_m(lon, lat, *ref["expected"]) <= ref["tolerance_m"], ref["source"]


# Mainland China, where the GCJ-02 offset applies.
china_lon = st.floats(min_value=73.5, max_value=134.7)
china_lat = st.floats(min_value=18.2, max_value=53.5)


@given(china_lon, china_lat)
def test_gcj02_inverse_is_within_half_a_metre(lon, lat):
    gcj = wgs84_to_gcj02(lon, lat)
    assert distance_m(lon, lat, *gcj) > 1  # the offset is real …
    assert distance_m(lon, lat, *gcj02_to_wgs84(*gcj)) < 0.5  # … and the inverse removes it


@given(china_lon, china_lat)
def test_bd09_round_trip_through_wgs84(lon, lat):
    bd = from_wgs84(lon, lat, "bd09")
    assert distance_m(lon, lat, *to_wgs84(*bd, "bd09")) < 0.5


def test_wgs84_and_cgcs2000_pass_through():
    assert to_wgs84(120.4, 29.6, "wgs84") == (120.4, 29.6)
    assert to_wgs84(120.4, 29.6, "cgcs2000") == (120.4, 29.6)


def test_no_offset_outside_china():
    # Tokyo: GCJ-02 does not apply abroad.
    assert wgs84_to_gcj02(139.69, 35.68) == (139.69, 35.68)
    assert gcj02_to_wgs84(139.69, 35.68) == (139.69, 35.68)


def test_unknown_crs_is_refused():
    with pytest.raises(ValueError):
        to_wgs84(120.4, 29.6, "epsg:3857")


def test_a_point_is_written_and_read_as_shapely_would():
    """point_element and point_lonlat pack (E)WKB themselves: the bytes Shapely writes, and
    the coordinates of what PostGIS sends back (EWKB with its SRID) or of plain WKB."""
    from geoalchemy2.elements import WKBElement
    from geoalchemy2.shape import from_shape, to_shape
    from shapely.geometry import Point

    from gridcase.geo import point_element, point_lonlat

    element = point_element(120.123456789, 29.7654321)
    assert bytes(element.data) == bytes(from_shape(Point(120.123456789, 29.7654321), srid=4326).data)
    assert element.srid == 4326
    assert point_lonlat(element) == (120.123456789, 29.7654321)
    from_postgis = WKBElement("0101000020E6100000560E2DB29D075E40C420B07268A53D40", srid=4326, extended=True)
    shape = to_shape(from_postgis)
    assert point_lonlat(from_postgis) == (shape.x, shape.y)
