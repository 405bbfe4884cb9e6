"""The people and places of a grid (人房事物): the template (GET /api/v1/register/template), a
grid's import (POST /api/v1/grids/{code}/register) and full export for a reason (POST
…/register/export), its households (GET …/houses, POST …/houses/search) and places (GET
…/places), a house's outline (PUT /api/v1/houses/{id}/outline), and a resident in clear for a
reason (POST /api/v1/residents/{id}/reveal)."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from gridcase.api.answers import answer
from gridcase.api.attachments import UploadSchema
from gridcase.api.parties import RevealSchema
from gridcase.api.security import auth_required
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.gridwork.register import (
    export_register,
    find_households,
    grid_places,
    import_register,
    looks_like_id_number,
    register_grid,
    reveal_resident,
    set_outline,
    template,
)
from gridcase.gridwork.schemas import (
    HouseQuerySchema,
    HouseSchema,
    OutlineSchema,
    PersonInClearSchema,
    PlaceSchema,
    RegisterImportSchema,
)
from gridcase.messages import Message
from gridcase.people.sessions import current_user
from gridcase.settings import utcnow

blp = Blueprint(
    "register", __name__, url_prefix="/api/v1", description="The people and places of a grid (人房事物)."
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(content, filename: str):
    response = send_file(content, mimetype=XLSX, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/register/template")
class Template(MethodView):
    @auth_required
    @blp.response(
        200, description="The XLSX template: sheets 房屋, 居民, 场所 and the words each column takes."
    )
    def get(self):
        """The empty register template to fill in for a grid."""
        return _workbook(template(), "人房事物登记模板.xlsx")


@blp.route("/grids/<code>/register")
class Register(MethodView):
    @auth_required
    @blp.arguments(UploadSchema(), location="files")
    @blp.response(200, RegisterImportSchema)
    @blp.alt_response(422, description="Every problem by sheet and row; nothing was written.")
    def post(self, files, code):
        """Import a filled-in template for the grid, all or nothing: houses matched by number,
        residents by ID number (else by name in the house), places by name."""
        report = import_register(current_user(), code, files["file"].read(), utcnow())
        db.session.commit()
        return answer({"created": report.created, "updated": report.updated})


@blp.route("/grids/<code>/register/export")
class RegisterExport(MethodView):
    @auth_required
    @blp.arguments(RevealSchema(), example={"reason": "年度人口信息核对"})
    @blp.response(200, description="The grid's register in full, as the template's XLSX.")
    def post(self, body, code):
        """The grid's register with names, ID numbers and phones in full, for a reason kept in the
        audit log."""
        content = export_register(current_user(), code, body["reason"], utcnow())
        db.session.commit()
        return _workbook(content, f"人房事物-{code}.xlsx")


@blp.route("/grids/<code>/houses")
class Houses(MethodView):
    @auth_required
    @blp.arguments(HouseQuerySchema(), location="query")
    @blp.response(200, HouseSchema(many=True))
    def get(self, args, code):
        """The grid's houses with their residents (masked), or those whose address or number
        holds `q`. (A search by ID number is a POST to …/houses/search: an ID number never
        stands in a URL.)"""
        if looks_like_id_number(args["q"]):
            problem = Message("Search by ID number with POST …/houses/search, not in the URL.")
            raise Unprocessable(problem, {"q": [problem]})
        return find_households(current_user(), code, args["q"])


@blp.route("/grids/<code>/houses/search")
class HouseSearch(MethodView):
    @auth_required
    @blp.arguments(HouseQuerySchema())
    @blp.response(200, HouseSchema(many=True))
    def post(self, body, code):
        """The grid's houses whose address or number holds `q`, or where the resident with the ID
        number `q` lives."""
        return find_households(current_user(), code, body["q"])


@blp.route("/grids/<code>/places")
class Places(MethodView):
    @auth_required
    @blp.response(200, PlaceSchema(many=True))
    def get(self, code):
        """The grid's units and places, their people in charge masked."""
        register_grid(current_user(), code)
        return grid_places(current_user(), code)


@blp.route("/houses/<id:house_id>/outline")
class HouseOutline(MethodView):
    @auth_required
    @blp.arguments(OutlineSchema())
    @blp.response(200, HouseSchema)
    def put(self, body, house_id):
        """Set a house's outline (a GeoJSON Polygon, its centre inside the grid)."""
        house = set_outline(current_user(), house_id, body["outline"], utcnow())
        data = HouseSchema().dump(house)
        db.session.commit()
        return answer(data)


@blp.route("/residents/<id:resident_id>/reveal")
class RevealResident(MethodView):
    @auth_required
    @blp.arguments(RevealSchema(), example={"reason": "入户走访前核对联系方式"})
    @blp.response(200, PersonInClearSchema)
    def post(self, body, resident_id):
        """A resident's name, ID number and phone in clear, for a reason kept in the audit log."""
        person = reveal_resident(current_user(), resident_id, body["reason"])
        db.session.commit()
        return person
