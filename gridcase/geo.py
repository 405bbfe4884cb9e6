"""Coordinates: the storage SRID, conversions between Chinese map datums, GeoJSON helpers.

Everything is stored in EPSG:4326 (WGS84). Points arrive in one of four systems:

- ``wgs84``    GPS and browsers' Geolocation API.
- ``cgcs2000`` the national geodetic system (国家2000); within centimetres of WGS84, so it is
  treated as WGS84.
- ``gcj02``    the "Mars" datum (国测局坐标) of AMap, Tencent and WeChat maps: WGS84 plus a
  deliberately non-linear offset of a few hundred metres.
- ``bd09``     Baidu maps: GCJ-02 with a further offset.

The forward GCJ-02 transform is the standard published one. It has no closed-form inverse; the
inverse here iterates the forward transform to a fixed point, which converges to well under a
millimetre (the one-step inverse often quoted online is off by metres).
"""

from __future__ import annotations

import math
import struct
from enum import StrEnum

from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape

SRID = 4326

_A = 6378245.0  # semi-major axis of Krassovsky 1940, as used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0


class Crs(StrEnum):
    """Coordinate systems a client may send points in."""

    WGS84 = "wgs84"
    CGCS2000 = "cgcs2000"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def outside_china(lon: float, lat: float) -> bool:
    """The GCJ-02 offset applies only inside this bounding box; outside it the datums agree."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 → GCJ-02 (the standard forward transform)."""
    if outside_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS84 by fixed-point iteration of the forward transform (error ≪ 0.5 m)."""
    if outside_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
        wlon, wlat = wlon - dlon, wlat - dlat
    return wlon, wlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (Baidu's published transform)."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 → GCJ-02 (Baidu's published inverse; its error is below a centimetre)."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def to_wgs84(lon: float, lat: float, crs: Crs | str = Crs.WGS84) -> tuple[float, float]:
    """Convert a point given in `crs` to WGS84, the storage datum."""
    crs = Crs(crs)
    if crs in (Crs.WGS84, Crs.CGCS2000):
        return lon, lat
    if crs is Crs.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def from_wgs84(lon: float, lat: float, crs: Crs | str = Crs.WGS84) -> tuple[float, float]:
    """Convert a stored WGS84 point for display on a map in `crs`."""
    crs = Crs(crs)
    if crs in (Crs.WGS84, Crs.CGCS2000):
        return lon, lat
    gcj = wgs84_to_gcj02(lon, lat)
    return gcj if crs is Crs.GCJ02 else gcj02_to_bd09(*gcj)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine on the WGS84 mean radius)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


# A 2-D point in (E)WKB: byte order, geometry type (1, with 0x20000000 when an SRID follows),
# [SRID], x, y. Written and read with struct: through Shapely, the points of one intake and its
# answer cost more than a statement.
_WKB_POINT = struct.Struct("<BIdd")
_EWKB_POINT = struct.Struct("<BIIdd")
_HAS_SRID = 0x20000000


def point_element(lon: float, lat: float) -> WKBElement:
    """A WGS84 point ready to store in a Geometry column."""
    return WKBElement(_WKB_POINT.pack(1, 1, lon, lat), srid=SRID)


def point_lonlat(element: WKBElement) -> tuple[float, float]:
    data = bytes(element.data) if not isinstance(element.data, str) else bytes.fromhex(element.data)
    if len(data) == _EWKB_POINT.size and data[0] == 1:
        _order, kind, _srid, x, y = _EWKB_POINT.unpack(data)
        if kind == _HAS_SRID | 1:
            return x, y
    if len(data) == _WKB_POINT.size and data[0] == 1:
        _order, kind, x, y = _WKB_POINT.unpack(data)
        if kind == 1:
            return x, y
    point = to_shape(element)  # (any other encoding)
    return point.x, point.y
