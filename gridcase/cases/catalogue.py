"""The category catalogue (大类/小类): loading it from data and reading it."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gridcase.cases.domain import CaseKind, Severity
from gridcase.cases.models import Category
from gridcase.errors import ImportRejected
from gridcase.extensions import db

LEVEL_KEYS = ("community", "township", "district", "city")


def _entry_problems(entry: dict, index: int, known: set[str]) -> list[str]:
    label = entry.get("code") or f"entry #{index}"
    problems = []
    if not entry.get("code") or not entry.get("name"):
        problems.append(f"{label}: code and name are required")
    if entry.get("kind") not in {k.value for k in CaseKind}:
        problems.append(f"{label}: kind must be incident or dispute")
    if entry.get("default_severity", "general") not in {s.value for s in Severity}:
        problems.append(f"{label}: unknown default_severity")
    limits = entry.get("time_limits")
    if limits is not None and (
        not isinstance(limits, dict)
        or any(k not in LEVEL_KEYS or not isinstance(v, int) or v <= 0 for k, v in limits.items())
    ):
        problems.append(f"{label}: time_limits maps levels to whole numbers of working days > 0")
    if entry.get("parent") and entry["parent"] not in known:
        problems.append(f"{label}: the parent {entry['parent']} is not listed before it")
    return problems


def load_catalogue(entries: list[dict]) -> int:
    """Insert or update categories (parents listed before their children). Returns the count.

    Raises:
        ImportRejected: a malformed entry; nothing is written.
    """
    problems: list[str] = []
    known = set(db.session.scalars(sa.select(Category.code)))
    for index, entry in enumerate(entries, start=1):
        problems += _entry_problems(entry, index, known)
        known.add(entry.get("code"))
    if problems:
        raise ImportRejected("The category catalogue was not loaded.", problems)
    for order, entry in enumerate(entries):
        values = {
            "code": entry["code"],
            "parent_code": entry.get("parent"),
            "kind": entry["kind"],
            "name": entry["name"],
            "name_en": entry.get("name_en"),
            "default_severity": entry.get("default_severity", "general"),
            "time_limits": entry.get("time_limits"),
            "closing_standard": entry.get("closing_standard"),
            "initials": entry.get("initials"),
            "public": bool(entry.get("public", False)),
            "active": bool(entry.get("active", True)),
            "sort_order": order,
        }
        statement = insert(Category).values(**values)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Category.code],
                set_={k: statement.excluded[k] for k in values if k != "code"},
            )
        )
    db.session.expire_all()
    return len(entries)


def category_groups() -> dict[str, str | None]:
    """{category code: the code of its group (大类), None for one in no group}."""
    return dict(db.session.execute(sa.select(Category.code, Category.parent_code)).all())


def load_catalogue_file(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        return load_catalogue(json.load(handle))


def leaf_codes() -> set[str]:
    """Codes of active categories without children: the ones a case may use."""
    parent = sa.orm.aliased(Category)
    has_child = sa.exists().where(parent.parent_code == Category.code)
    return set(db.session.scalars(sa.select(Category.code).where(Category.active, ~has_child)))


def list_categories(kind: str | None = None) -> list[Category]:
    query = sa.select(Category).where(Category.active).order_by(Category.sort_order)
    if kind:
        query = query.where(Category.kind == kind)
    return list(db.session.scalars(query))
