"""Import of territory nodes from a GeoJSON FeatureCollection, validated in PostGIS.

A file is one level (city, district, township, community or grid). Every feature is checked and
every problem is reported, with the feature's code and a reason: invalid polygons, malformed
codes, a parent that does not exist or is not the one the code names, a child sticking out of
its parent, and, between siblings, every overlap and every gap (areas in m² on the ellipsoid).
Nothing is half-imported: with any problem nothing is written; otherwise every node is
inserted or updated in place, in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, shape
from shapely.validation import explain_validity

from gridcase.errors import ImportRejected
from gridcase.extensions import db
from gridcase.geo import SRID, Crs, to_wgs84
from gridcase.territory.codes import PARENT_LEVELS, code_problem, implied_parent_code, normalise_code
from gridcase.territory.levels import GridKind, RegionLevel
from gridcase.territory.models import Region

# Slivers below this area come from floating-point noise along shared edges, not real gaps.
DEFAULT_TOLERANCE_M2 = 1.0


@dataclass
class Feature:
    index: int
    code: str
    name: str
    geometry: MultiPolygon
    parent_code: str | None
    grid_kind: str | None = None
    households: int | None = None
    population: int | None = None

    @property
    def label(self) -> str:
        return self.code or f"feature #{self.index}"


@dataclass
class ImportReport:
    level: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Imported {len(self.created) + len(self.updated)} {self.level} node(s): "
            f"{len(self.created)} new, {len(self.updated)} updated."
        )


def import_geodata(
    collection: dict,
    level: str,
    parent_code: str | None = None,
    crs: str = Crs.WGS84,
    tolerance_m2: float = DEFAULT_TOLERANCE_M2,
) -> ImportReport:
    """Validate and upsert the features of `collection` as nodes at `level`.

    Raises:
        ImportRejected: with every problem found; nothing has been written.
    """
    level = RegionLevel(level)
    crs = Crs(crs)
    problems: list[str] = []
    features = _parse(collection, level, crs, problems)
    if parent_code is not None:
        parent_code = normalise_code(parent_code, RegionLevel.CITY)  # pads a 6-digit code
    parents = _check_parents(features, level, parent_code, problems)
    _check_existing_levels(features, level, problems)
    if not problems and features:
        _stage(features)
        problems += _outside_parent(tolerance_m2)
        problems += _overlaps(tolerance_m2)
        problems += _gaps(tolerance_m2)
    if problems:
        db.session.execute(sa.text("DROP TABLE IF EXISTS import_staging"))
        raise ImportRejected(
            f"The {level.value} file was not imported: {len(problems)} problem(s).", problems
        )
    report = _upsert(features, level, parents)
    db.session.execute(sa.text("DROP TABLE IF EXISTS import_staging"))
    return report


# --- parsing -------------------------------------------------------------------------------


def _parse(collection: dict, level: RegionLevel, crs: Crs, problems: list[str]) -> list[Feature]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        problems.append("the file is not a GeoJSON FeatureCollection")
        return []
    raw_features = collection.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        problems.append("the FeatureCollection has no features")
        return []
    features: list[Feature] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_features, start=1):
        properties = (raw or {}).get("properties") or {}
        code = normalise_code(properties.get("code", ""), level)
        label = code or f"feature #{index}"
        reason = code_problem(code, level)
        if reason:
            problems.append(f"{label}: wrong code: {reason}")
        if code in seen:
            problems.append(f"{label}: the code appears more than once in the file")
        seen.add(code)
        name = str(properties.get("name") or "").strip()
        if not name:
            problems.append(f"{label}: the name is missing")
        geometry = _geometry(raw, crs, label, problems)
        feature = Feature(
            index=index,
            code=code,
            name=name[:100],
            geometry=geometry,
            parent_code=implied_parent_code(code, level) if not reason else None,
        )
        if level is RegionLevel.GRID:
            _grid_attributes(feature, properties, problems)
        if geometry is not None:
            features.append(feature)
    return features


def _geometry(raw: dict, crs: Crs, label: str, problems: list[str]) -> MultiPolygon | None:
    geojson = (raw or {}).get("geometry")
    if not geojson or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        problems.append(f"{label}: the geometry must be a Polygon or MultiPolygon")
        return None
    try:
        geometry = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        problems.append(f"{label}: invalid polygon: unreadable coordinates ({exc})")
        return None
    if geometry.is_empty:
        problems.append(f"{label}: invalid polygon: empty geometry")
        return None
    if crs not in (Crs.WGS84, Crs.CGCS2000):
        geometry = shapely.transform(geometry, lambda xy: _convert_many(xy, crs), include_z=False)
    if not geometry.is_valid:
        problems.append(f"{label}: invalid polygon: {explain_validity(geometry)}")
        return None
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        problems.append(f"{label}: invalid polygon: coordinates are not longitude/latitude")
        return None
    return geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry])


def _convert_many(coords, crs: Crs):
    return np.array([to_wgs84(x, y, crs) for x, y in coords])


def _grid_attributes(feature: Feature, properties: dict, problems: list[str]) -> None:
    kind = properties.get("kind", GridKind.COMPREHENSIVE.value)
    if kind not in {k.value for k in GridKind}:
        problems.append(f"{feature.label}: kind must be comprehensive or dedicated, not {kind!r}")
    feature.grid_kind = kind
    for attribute in ("households", "population"):
        value = properties.get(attribute)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"{feature.label}: {attribute} must be a whole number ≥ 0")
        else:
            setattr(feature, attribute, value)


# --- checks against the database -----------------------------------------------------------


def _check_parents(
    features: list[Feature], level: RegionLevel, parent_code: str | None, problems: list[str]
) -> dict[str, Region]:
    allowed = PARENT_LEVELS[level]
    codes = {f.parent_code for f in features if f.parent_code}
    parents = {r.code: r for r in db.session.scalars(sa.select(Region).where(Region.code.in_(codes)))}
    if parent_code is not None and not allowed:
        problems.append(f"a {level.value} has no parent; drop --parent")
    for feature in features:
        if not allowed or not feature.parent_code:
            continue
        if parent_code is not None and feature.parent_code != parent_code:
            problems.append(
                f"{feature.label}: the code does not belong under the parent {parent_code} "
                f"(it names {feature.parent_code})"
            )
            continue
        parent = parents.get(feature.parent_code)
        if parent is None:
            problems.append(
                f"{feature.label}: the parent {feature.parent_code} does not exist; "
                f"import the {' or '.join(a.value for a in allowed)} level first"
            )
        elif parent.level not in allowed:
            problems.append(
                f"{feature.label}: the parent {parent.code} is a {parent.level}, "
                f"not a {' or '.join(a.value for a in allowed)}"
            )
    return parents


def _check_existing_levels(features: list[Feature], level: RegionLevel, problems: list[str]) -> None:
    codes = [f.code for f in features]
    clashes = db.session.execute(
        sa.select(Region.code, Region.level).where(Region.code.in_(codes), Region.level != level.value)
    )
    for code, existing_level in clashes:
        problems.append(f"{code}: the code already exists as a {existing_level}")


def _stage(features: list[Feature]) -> None:
    """Load the features into a temporary table so PostGIS can check them as a set."""
    session = db.session
    session.execute(sa.text("DROP TABLE IF EXISTS import_staging"))
    session.execute(
        sa.text(
            "CREATE TEMP TABLE import_staging ("
            " code text PRIMARY KEY, parent_code text,"
            f" geom geometry(MultiPolygon, {SRID}) NOT NULL) ON COMMIT DROP"
        )
    )
    session.execute(
        sa.text(
            "INSERT INTO import_staging (code, parent_code, geom)"
            f" VALUES (:code, :parent_code, ST_GeomFromText(:wkt, {SRID}))"
        ),
        [{"code": f.code, "parent_code": f.parent_code, "wkt": f.geometry.wkt} for f in features],
    )
    session.execute(sa.text("CREATE INDEX ON import_staging USING gist (geom)"))
    session.execute(sa.text("ANALYZE import_staging"))


# Areas are measured on the ellipsoid (geography), in m².
_SIBLINGS = """
    WITH siblings AS (
        SELECT code, parent_code, geom, true AS staged FROM import_staging
        UNION ALL
        SELECT r.code, r.parent_code, r.boundary, false FROM regions r
        WHERE r.parent_code IN (SELECT parent_code FROM import_staging)
          AND r.code NOT IN (SELECT code FROM import_staging)
    )
"""


def _outside_parent(tolerance: float) -> list[str]:
    rows = db.session.execute(
        sa.text(
            """
            SELECT s.code, p.code,
                   ST_Area(ST_Difference(s.geom, p.boundary)::geography) AS outside
            FROM import_staging s JOIN regions p ON p.code = s.parent_code
            WHERE NOT ST_CoveredBy(s.geom, p.boundary)
            ORDER BY s.code
            """
        )
    )
    return [
        f"{code}: lies outside its parent {parent} by {outside:.1f} m²"
        for code, parent, outside in rows
        if outside > tolerance
    ]


def _overlaps(tolerance: float) -> list[str]:
    rows = db.session.execute(
        sa.text(
            _SIBLINGS
            + """
            SELECT a.code, b.code, ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS overlap
            FROM siblings a JOIN siblings b
              ON a.parent_code IS NOT DISTINCT FROM b.parent_code
             AND a.code < b.code AND (a.staged OR b.staged)
             AND ST_Intersects(a.geom, b.geom)
            ORDER BY a.code, b.code
            """
        )
    )
    return [f"{a}: overlaps {b} by {overlap:.1f} m²" for a, b, overlap in rows if overlap > tolerance]


def _gaps(tolerance: float) -> list[str]:
    """Parts of each touched parent that no child covers (全覆盖、无缝隙)."""
    rows = db.session.execute(
        sa.text(
            _SIBLINGS
            + """
            , uncovered AS (
                SELECT p.code AS parent_code,
                       (ST_Dump(ST_Difference(p.boundary, ST_Union(s.geom)))).geom AS piece
                FROM regions p JOIN siblings s ON s.parent_code = p.code
                GROUP BY p.code, p.boundary
            )
            SELECT parent_code, ST_Area(piece::geography) AS area,
                   ST_X(ST_PointOnSurface(piece)) AS lon, ST_Y(ST_PointOnSurface(piece)) AS lat
            FROM uncovered
            WHERE ST_Dimension(piece) = 2
            ORDER BY parent_code, area DESC
            """
        )
    )
    return [
        f"{parent}: gap of {area:.1f} m² not covered by any child, near ({lon:.6f}, {lat:.6f})"
        for parent, area, lon, lat in rows
        if area > tolerance
    ]


# --- writing -------------------------------------------------------------------------------


def _upsert(features: list[Feature], level: RegionLevel, parents: dict[str, Region]) -> ImportReport:
    report = ImportReport(level=level.value)
    existing = set(
        db.session.scalars(sa.select(Region.code).where(Region.code.in_([f.code for f in features])))
    )
    rows = []
    for feature in features:
        parent = parents.get(feature.parent_code) if feature.parent_code else None
        path = _ancestor_path(parent)
        if level is not RegionLevel.GRID:  # a node is its own ancestor at its level
            path[f"{level.value}_code"] = feature.code
        rows.append(
            {
                "code": feature.code,
                "name": feature.name,
                "level": level.value,
                "parent_code": parent.code if parent else None,
                "city_code": path.get("city_code"),
                "district_code": path.get("district_code"),
                "township_code": path.get("township_code"),
                "community_code": path.get("community_code"),
                "wkt": feature.geometry.wkt,
                "grid_kind": feature.grid_kind,
                "households": feature.households,
                "population": feature.population,
            }
        )
        (report.updated if feature.code in existing else report.created).append(feature.code)
    db.session.execute(
        sa.text(
            f"""
            INSERT INTO regions (code, name, level, parent_code, city_code, district_code,
                                 township_code, community_code, boundary, area_m2,
                                 grid_kind, households, population)
            VALUES (:code, :name, :level, :parent_code, :city_code, :district_code,
                    :township_code, :community_code, ST_GeomFromText(:wkt, {SRID}),
                    ST_Area(ST_GeomFromText(:wkt, {SRID})::geography),
                    :grid_kind, :households, :population)
            ON CONFLICT (code) DO UPDATE SET
                name = EXCLUDED.name, parent_code = EXCLUDED.parent_code,
                city_code = EXCLUDED.city_code, district_code = EXCLUDED.district_code,
                township_code = EXCLUDED.township_code, community_code = EXCLUDED.community_code,
                boundary = EXCLUDED.boundary, area_m2 = EXCLUDED.area_m2,
                grid_kind = EXCLUDED.grid_kind, households = EXCLUDED.households,
                population = EXCLUDED.population, updated_at = now()
            """
        ),
        rows,
    )
    db.session.expire_all()
    return report


def _ancestor_path(parent: Region | None) -> dict[str, str | None]:
    """The ancestor columns of a child of `parent`: the parent's own path plus the parent."""
    if parent is None:
        return {}
    path = {
        "city_code": parent.city_code,
        "district_code": parent.district_code,
        "township_code": parent.township_code,
        "community_code": parent.community_code,
    }
    path[f"{parent.level}_code"] = parent.code
    return path


def load_feature_collection(path: str) -> dict:
    """Read a GeoJSON file.

    Raises:
        ImportRejected: the file cannot be read or is not JSON.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ImportRejected(f"Cannot read {path}: {exc.strerror}.", [str(exc)]) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRejected(f"{path} is not a UTF-8 JSON file: {exc}.", [str(exc)]) from exc
