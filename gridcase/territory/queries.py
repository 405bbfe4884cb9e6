"""Reading the territory: nodes, their paths, children, and the grid containing a point."""

from __future__ import annotations

import json

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.errors import NotFound
from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.messages import Message
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region


def get_region(code: str, with_boundary: bool = False) -> Region:
    """The territory node with this code.

    Raises:
        NotFound: no node has the code.
    """
    query = sa.select(Region).where(Region.code == code)
    if with_boundary:
        query = query.options(so.undefer(Region.boundary))
    region = db.session.scalar(query)
    if region is None:
        raise NotFound(Message("No territory node has the code %(code)s.", code=str(code)))
    return region


def region_geojson(code: str) -> dict | None:
    """The node's boundary as GeoJSON, rendered by PostGIS (7 decimals ≈ 1 cm)."""
    text = db.session.scalar(sa.select(sa.func.ST_AsGeoJSON(Region.boundary, 7)).where(Region.code == code))
    return json.loads(text) if text else None


def ancestors(region: Region) -> list[Region]:
    """The nodes above `region`, from the top (city) down to its parent."""
    codes = [
        getattr(region, column)
        for level, column in ANCESTOR_COLUMNS.items()
        if level is not RegionLevel.GRID and getattr(region, column, None)
    ]
    codes = [code for code in codes if code != region.code]
    if not codes:
        return []
    found = {r.code: r for r in db.session.scalars(sa.select(Region).where(Region.code.in_(codes)))}
    return [found[code] for code in codes if code in found]


def child_codes(code: str) -> list[str]:
    return list(
        db.session.scalars(sa.select(Region.code).where(Region.parent_code == code).order_by(Region.code))
    )


def locate_grid(lon: float, lat: float) -> Region | None:
    """The grid containing the WGS84 point, or None outside every grid.

    ST_Covers counts the boundary as inside, so a point on an edge shared by two grids matches
    both; ordering by code makes the answer always the same one (the lower code).
    """
    return db.session.scalar(GRID_AT_POINT, {"lon": lon, "lat": lat})


# Built once, as the look-up below: building it cost more than PostgreSQL's answer. (Intake
# asks it within a statement of its own, with the duplicate search at the same point.)
GRID_AT_POINT = (
    sa.select(Region)
    .where(
        Region.level == RegionLevel.GRID.value,
        sa.func.ST_Covers(
            Region.boundary,
            sa.func.ST_SetSRID(
                sa.func.ST_MakePoint(
                    sa.bindparam("lon", type_=sa.Float), sa.bindparam("lat", type_=sa.Float)
                ),
                SRID,
            ),
        ),
    )
    .order_by(Region.code)
    .limit(1)
)


_ABOVE_THE_GRID = ("community", "township", "district", "city")


def _locate_with_path_statement() -> sa.Select:
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(sa.bindparam("lon"), sa.bindparam("lat")), SRID)
    grid = sa.orm.aliased(Region, name="grid")
    query = sa.select(grid.code, grid.name, grid.grid_kind, grid.households, grid.population)
    for level in _ABOVE_THE_GRID:
        node = sa.orm.aliased(Region, name=level)
        query = query.add_columns(node.code, node.name).outerjoin(
            node, node.code == getattr(grid, f"{level}_code")
        )
    where = (grid.level == RegionLevel.GRID.value, sa.func.ST_Covers(grid.boundary, point))
    return query.where(*where).order_by(grid.code).limit(1)


# Built once: making the statement (four aliases, their adaptation) cost more Python time than
# PostgreSQL's whole look-up; SQLAlchemy's cache then compiles it once too.
_LOCATE_WITH_PATH = _locate_with_path_statement()


def locate_with_path(lon: float, lat: float) -> dict | None:
    """The grid containing the WGS84 point and the nodes above it, as {level: {code, name,
    level, …}}, in one round trip (the grid found by ST_Covers, its ancestors joined by code);
    None outside every grid. What the locate endpoint answers, and all it reads."""
    row = db.session.execute(_LOCATE_WITH_PATH, {"lon": lon, "lat": lat}).first()
    if row is None:
        return None
    code, name, kind, households, population, *names = row
    path = {
        "grid": {
            "code": code,
            "name": name,
            "level": "grid",
            "grid_kind": kind,
            "households": households,
            "population": population,
        }
    }
    for index, level in enumerate(_ABOVE_THE_GRID):
        node_code, node_name = names[2 * index], names[2 * index + 1]
        path[level] = {"code": node_code, "name": node_name, "level": level} if node_code else None
    return path


def point_in_grid(code: str) -> tuple[float, float] | None:
    """A WGS84 point inside the grid (PostGIS's point on its surface, inside even a concave
    grid): where a case goes whose place is known by its grid and address but not pinned."""
    row = db.session.execute(
        sa.select(
            sa.func.ST_X(sa.func.ST_PointOnSurface(Region.boundary)),
            sa.func.ST_Y(sa.func.ST_PointOnSurface(Region.boundary)),
        ).where(Region.code == code, Region.level == RegionLevel.GRID.value)
    ).first()
    return (row[0], row[1]) if row else None


def children_feature_collection(code: str) -> dict:
    """The children of a node as a GeoJSON FeatureCollection, built by PostGIS in one query."""
    return json.loads(children_geojson_text(code))


def children_geojson_text(code: str) -> str:
    """The same FeatureCollection as JSON text, as PostgreSQL writes it (the API answers it as it
    is: parsing a township's boundaries and writing them again cost more than the query)."""
    return db.session.scalar(
        sa.text(
            """
            SELECT json_build_object(
                'type', 'FeatureCollection',
                'features', COALESCE(json_agg(json_build_object(
                    'type', 'Feature',
                    'properties', json_build_object(
                        'code', code, 'name', name, 'level', level, 'grid_kind', grid_kind,
                        'households', households, 'population', population),
                    'geometry', ST_AsGeoJSON(boundary, 6)::json) ORDER BY code), '[]'::json))::text
            FROM regions WHERE parent_code = :code
            """
        ),
        {"code": code},
    )


def grids_feature_collection(codes: list[str]) -> dict:
    """Some grids as a GeoJSON FeatureCollection (a worker's own grids, for their map)."""
    rows = db.session.execute(
        sa.select(Region.code, Region.name, sa.func.ST_AsGeoJSON(Region.boundary, 6))
        .where(Region.code.in_(codes))
        .order_by(Region.code)
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": c, "name": n}, "geometry": json.loads(g)}
            for c, n, g in rows
        ],
    }
