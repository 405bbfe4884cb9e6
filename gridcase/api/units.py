"""Unit administration (admins of the city): /api/v1/units."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from gridcase.api.answers import answer
from gridcase.api.security import auth_required
from gridcase.extensions import db
from gridcase.people.sessions import current_user
from gridcase.units import admin as units
from gridcase.units.schemas import (
    UnitCategoriesSchema,
    UnitChangeSchema,
    UnitCreateSchema,
    UnitQuerySchema,
    UnitSchema,
)

blp = Blueprint(
    "units",
    __name__,
    url_prefix="/api/v1/units",
    description="The units cases are dispatched to: 站所, 职能部门, 专业调委会 (admins).",
)


@blp.route("")
class Units(MethodView):
    @auth_required
    @blp.arguments(UnitQuerySchema(), location="query")
    @blp.response(200, UnitSchema(many=True))
    def get(self, args):
        """Units of your city, city-wide ones first; filter by level, region served, a category
        handled, active or not, or code and name."""
        return units.list_units(current_user(), **args)

    @auth_required
    @blp.arguments(UnitCreateSchema())
    @blp.response(201, UnitSchema)
    def post(self, data):
        """Create a unit serving a township, district or city of your city, optionally with the
        categories it handles (audited). A default flag moves to it from the unit that held it."""
        unit = units.create_unit(current_user(), data)
        body = UnitSchema().dump(unit)
        db.session.commit()
        return answer(body, 201, {"Location": url_for("units.OneUnit", code=unit.code)})


@blp.route("/<string:code>")
class OneUnit(MethodView):
    @auth_required
    @blp.response(200, UnitSchema)
    def get(self, code):
        """One unit of your city, with the categories it handles."""
        return units.get_unit(current_user(), code)

    @auth_required
    @blp.arguments(UnitChangeSchema())
    @blp.response(200, UnitSchema)
    def patch(self, data, code):
        """Change name, kind, credit code and limits, or deactivate (`active: false`, refused
        while the unit holds open assignments) or activate the unit (audited)."""
        body = UnitSchema().dump(units.change_unit(current_user(), code, data))
        db.session.commit()
        return answer(body)


@blp.route("/<string:code>/categories")
class UnitCategories(MethodView):
    @auth_required
    @blp.arguments(UnitCategoriesSchema())
    @blp.response(200, UnitSchema)
    def put(self, data, code):
        """Replace the categories the unit handles, with their own limits and default flags.
        One unit per region and category is the default: setting it here takes the flag from
        the unit that held it (audited on both)."""
        body = UnitSchema().dump(units.set_categories(current_user(), code, data["categories"]))
        db.session.commit()
        return answer(body)
