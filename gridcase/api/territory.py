"""Territory nodes and locating the grid of a point."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridcase.api.security import auth_required
from gridcase.errors import NotFound
from gridcase.geo import Crs, to_wgs84
from gridcase.replica import reads_from_replica
from gridcase.territory.queries import (
    ancestors,
    child_codes,
    children_geojson_text,
    get_region,
    locate_with_path,
    region_geojson,
)

blp = Blueprint("territory", __name__, url_prefix="/api/v1", description="The territory tree and its grids.")


class RegionRefSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()


class RegionSchema(RegionRefSchema):
    parent_code = fields.String(allow_none=True)
    path = fields.List(fields.Nested(RegionRefSchema), metadata={"description": "From the city down."})
    children = fields.List(fields.String(), metadata={"description": "Codes of the child nodes."})
    area_m2 = fields.Float()
    grid_kind = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True)
    population = fields.Integer(allow_none=True)
    geometry = fields.Dict(allow_none=True, metadata={"description": "GeoJSON, with ?geometry=1."})


class RegionQuerySchema(Schema):
    geometry = fields.Boolean(load_default=False)


class LocateQuerySchema(Schema):
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    crs = fields.Enum(Crs, by_value=True, load_default=Crs.WGS84)


class GridSchema(RegionRefSchema):
    grid_kind = fields.String(metadata={"description": "comprehensive (综合网格) or dedicated (专属网格)"})
    households = fields.Integer(allow_none=True)
    population = fields.Integer(allow_none=True)


class LocatedSchema(Schema):
    grid = fields.Nested(GridSchema)
    community = fields.Nested(RegionRefSchema)
    township = fields.Nested(RegionRefSchema)
    district = fields.Nested(RegionRefSchema, allow_none=True)
    city = fields.Nested(RegionRefSchema)
    point = fields.Dict(metadata={"description": "The point in WGS84: {lon, lat}."})


def region_body(region, with_geometry: bool = False) -> dict:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent_code": region.parent_code,
        "path": ancestors(region),
        "children": child_codes(region.code),
        "area_m2": round(region.area_m2, 1),
        "grid_kind": region.grid_kind,
        "households": region.households,
        "population": region.population,
        "geometry": region_geojson(region.code) if with_geometry else None,
    }


@blp.route("/regions/<code>")
class RegionView(MethodView):
    @auth_required
    @blp.arguments(RegionQuerySchema(), location="query")
    @blp.response(200, RegionSchema)
    def get(self, args, code):
        """A territory node with the codes of its children; `?geometry=1` adds its GeoJSON."""
        return region_body(get_region(code), with_geometry=args["geometry"])


@blp.route("/regions/<code>/children")
class RegionChildren(MethodView):
    @auth_required
    @reads_from_replica
    @blp.response(200, description="A GeoJSON FeatureCollection of the node's children.")
    def get(self, code):
        """The children of a territory node with their boundaries, as GeoJSON (for maps)."""
        get_region(code)
        # (the JSON as PostgreSQL wrote it, not parsed and written again)
        return Response(children_geojson_text(code), mimetype="application/json")


@blp.route("/grids/locate")
class LocateView(MethodView):
    @auth_required
    @blp.arguments(LocateQuerySchema(), location="query")
    @blp.response(200, LocatedSchema)
    def get(self, args):
        """The grid containing a point, with its community, township and city.

        `crs` is wgs84 (default), cgcs2000, gcj02 or bd09. A point on an edge shared by two
        grids always answers the same one (the lower code)."""
        lon, lat = to_wgs84(args["lon"], args["lat"], args["crs"])
        path = locate_with_path(lon, lat)  # (one round trip: the grid and the nodes above it)
        if path is None:
            raise NotFound("The point lies outside every grid; it is not in the city's territory.")
        return {**path, "point": {"lon": round(lon, 7), "lat": round(lat, 7)}}
