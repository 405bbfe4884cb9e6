"""GET /api/v1/categories: the case catalogue."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gridcase.api.security import auth_required
from gridcase.cases.catalogue import leaf_codes, list_categories
from gridcase.cases.domain import CaseKind

blp = Blueprint("catalogue", __name__, url_prefix="/api/v1", description="The category catalogue.")


class CategorySchema(Schema):
    code = fields.String()
    parent = fields.String(attribute="parent_code", allow_none=True)
    kind = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    default_severity = fields.String()
    time_limits = fields.Dict(allow_none=True, metadata={"description": "Working days per level."})
    closing_standard = fields.String(allow_none=True)
    initials = fields.String(allow_none=True, metadata={"description": "Pinyin initials."})
    public = fields.Boolean()
    selectable = fields.Boolean(metadata={"description": "A leaf: a case may use it."})


class CategoryQuerySchema(Schema):
    kind = fields.Enum(CaseKind, by_value=True, load_default=None)


@blp.route("/categories")
class Categories(MethodView):
    @auth_required
    @blp.arguments(CategoryQuerySchema(), location="query")
    @blp.response(200, CategorySchema(many=True))
    def get(self, args):
        """The catalogue: groups (大类) and the categories (小类) a case may use."""
        leaves = leaf_codes()
        kind = args["kind"].value if args["kind"] else None
        return [
            {**_fields(category), "selectable": category.code in leaves} for category in list_categories(kind)
        ]


def _fields(category) -> dict:
    return {
        name: getattr(category, name)
        for name in (
            "code",
            "parent_code",
            "kind",
            "name",
            "name_en",
            "default_severity",
            "time_limits",
            "closing_standard",
            "initials",
            "public",
        )
    }
