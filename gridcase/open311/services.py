"""The Open311 services: the public categories of the catalogue (Category.public), leaves only,
each with the same honest service definition (gridcase.open311.spec.ATTRIBUTES)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.cases.models import Category
from gridcase.extensions import db
from gridcase.open311.spec import ATTRIBUTES, Open311Error

_parent = so.aliased(Category)
_child = so.aliased(Category)


def _public_leaves():
    has_child = sa.exists().where(_child.parent_code == Category.code)
    return (
        sa.select(Category, _parent.name)
        .outerjoin(_parent, _parent.code == Category.parent_code)
        .where(Category.public, Category.active, ~has_child)
        .order_by(Category.sort_order, Category.code)
    )


def public_codes() -> sa.Select:
    """The codes of public categories, as a sub-select for filters."""
    return sa.select(Category.code).where(Category.public)


def service_document(category: Category, group: str | None) -> dict:
    description = category.name + (f"（{category.name_en}）" if category.name_en else "")
    if category.closing_standard:
        description += f"。办结标准：{category.closing_standard}"
    keywords = [category.name, category.name_en, category.initials, group]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": description,
        "metadata": bool(ATTRIBUTES),
        "type": "realtime",  # the request's id (its public number) is answered at once
        "keywords": ", ".join(k for k in keywords if k),
        "group": group,
    }


def list_services() -> list[dict]:
    """GET services: every public leaf category."""
    return [service_document(category, group) for category, group in db.session.execute(_public_leaves())]


def public_service(code: str | None) -> Category:
    """The public leaf category a service_code names.

    Raises:
        Open311Error: 400 when missing, 404 when no public service has the code.
    """
    code = (code or "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided.")
    row = db.session.execute(_public_leaves().where(Category.code == code)).first()
    if row is None:
        raise Open311Error(404, f"service_code {code!r} was not found.")
    return row[0]


def service_definition(code: str) -> dict:
    """GET services/{service_code}: the attributes a request of this service may carry.

    Raises:
        Open311Error: 404 when no public service has the code.
    """
    category = public_service(code)
    return {"service_code": category.code, "attributes": [a.document() for a in ATTRIBUTES]}
