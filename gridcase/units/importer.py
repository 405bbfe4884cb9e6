"""Import of units from a JSON file (the demo city's: geodata/zhuji/units.json).

The file is `{"units": [...]}`, each unit with `code`, `name`, optional `name_en`, `kind`
(station, department, mediation_committee), `region` (the township, district or city it
serves; the unit's level is that region's), optional `credit_code` (统一社会信用代码, checked),
`sign_days` and `finish_days` (working days), and `handles`: categories, each with optional
`default` (the region's proposed unit for it) and its own `sign_days`/`finish_days`. A parent
category stands for all of its leaves.

As the territory import: every entry is checked and every problem reported with the unit's code;
with any problem nothing is written; otherwise each unit is inserted or updated in place (its
categories replaced by the file's), in the caller's transaction. Units not in the file are left
as they are. Categories without a default unit in a region the file covers are reported, not
refused: their cases are proposed the default unit of the level above.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from gridcase.cases.models import Category
from gridcase.errors import ImportRejected
from gridcase.extensions import db
from gridcase.people.roles import UNIT_LEVELS
from gridcase.territory.models import Region
from gridcase.units.domain import UnitKind, code_problem, credit_code_problem, limits_problem
from gridcase.units.models import Unit, UnitCategory


@dataclass
class UnitImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    # Region name → leaf categories no unit of that region is the default for.
    uncovered: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        line = (
            f"Imported {len(self.created) + len(self.updated)} unit(s): "
            f"{len(self.created)} new, {len(self.updated)} updated."
        )
        gaps = [f"{region}: {len(codes)}" for region, codes in self.uncovered.items() if codes]
        if gaps:
            line += (
                " Categories without a default unit (the level above is proposed): " + ", ".join(gaps) + "."
            )
        return line


@dataclass
class _Handled:
    category: str
    is_default: bool
    sign_days: int | None
    finish_days: int | None


def load_units_file(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ImportRejected("The units file could not be read.", [str(exc)]) from None
    if not isinstance(document, dict) or not isinstance(document.get("units"), list):
        raise ImportRejected("The units file was not imported.", ['the file is {"units": [...]}'])
    return document["units"]


def import_units(entries: list[dict]) -> UnitImportReport:
    """Check every entry, then write them all or nothing (see the module docstring).

    Raises:
        ImportRejected: every problem found, with the unit's code; nothing is written.
    """
    regions = {
        r.code: r
        for r in db.session.scalars(
            sa.select(Region).where(
                Region.code.in_([e.get("region") for e in entries if isinstance(e, dict)])
            )
        )
    }
    leaves_of = category_leaves()
    problems: list[str] = []
    seen: set[str] = set()
    checked: list[tuple[dict, Region, list[_Handled]]] = []
    for index, entry in enumerate(entries, start=1):
        entry_problems, handled = _entry_problems(entry, index, seen, regions, leaves_of)
        problems += entry_problems
        if not entry_problems:
            checked.append((entry, regions[entry["region"]], handled))
    problems += _default_conflicts(checked)
    if problems:
        raise ImportRejected("The units were not imported.", problems)

    report = UnitImportReport()
    existing = set(
        db.session.scalars(sa.select(Unit.code).where(Unit.code.in_([e["code"] for e, _, _ in checked])))
    )
    for entry, region, handled in checked:
        unit = db.session.get(Unit, entry["code"]) or Unit(code=entry["code"])
        unit.name = entry["name"].strip()
        unit.name_en = (entry.get("name_en") or "").strip() or None
        unit.kind = entry["kind"]
        unit.level = region.level
        unit.region_code = region.code
        unit.city_code = region.city_code or region.code
        unit.credit_code = entry.get("credit_code") or None
        unit.sign_days, unit.finish_days = entry["sign_days"], entry["finish_days"]
        unit.active = bool(entry.get("active", True))
        unit.handles = [
            UnitCategory(
                category_code=h.category,
                region_code=region.code,
                is_default=h.is_default,
                sign_days=h.sign_days,
                finish_days=h.finish_days,
            )
            for h in handled
        ]
        db.session.add(unit)
        (report.updated if entry["code"] in existing else report.created).append(entry["code"])
        db.session.flush()  # the old categories go before the next unit's defaults are checked
    report.uncovered = _uncovered({region.code: region for _, region, _ in checked}, set(leaves_of[None]))
    return report


def category_leaves() -> dict[str | None, list[str]]:
    """The active catalogue as a unit handles it: the leaf codes under each category code (a
    parent stands for all of its leaves; a leaf is its own only leaf), None: every leaf. Shared
    with the administrator's changes (gridcase.units.admin)."""
    return _leaves({c.code: c for c in db.session.scalars(sa.select(Category).where(Category.active))})


def name_problem(name: object) -> str | None:
    """Why `name` cannot be a unit's name, or None."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        return "a name of 1–100 characters is required"
    return None


def region_problem(region: Region | None, code: object) -> str | None:
    """Why the region (looked up by `code`) cannot be served by a unit, or None."""
    if region is None:
        return f"the region {code!r} does not exist"
    if region.level not in UNIT_LEVELS:
        return f"a unit serves a township, district or city, not a {region.level}"
    return None


def _leaves(categories: dict[str, Category]) -> dict[str | None, list[str]]:
    """Leaf codes under each category code (a leaf is its own only leaf); None: every leaf."""
    children = defaultdict(list)
    for category in categories.values():
        children[category.parent_code].append(category.code)
    leaves: dict[str | None, list[str]] = {}
    for code in categories:
        if not children.get(code):
            leaves[code] = [code]
    for code in categories:
        if children.get(code):
            leaves[code] = sorted(c for c in children[code] if c in leaves)
    leaves[None] = sorted(code for code in categories if not children.get(code))
    return leaves


def _entry_problems(
    entry: object, index: int, seen: set[str], regions: dict[str, Region], leaves_of: dict
) -> tuple[list[str], list[_Handled]]:
    if not isinstance(entry, dict):
        return [f"unit #{index}: each unit is an object"], []
    label = entry.get("code") if isinstance(entry.get("code"), str) else f"unit #{index}"
    problems = []
    if problem := code_problem(entry.get("code")):
        problems.append(f"{label}: {problem}")
    elif entry["code"] in seen:
        problems.append(f"{label}: the code is listed twice")
    else:
        seen.add(entry["code"])
    if problem := name_problem(entry.get("name")):
        problems.append(f"{label}: {problem}")
    if entry.get("kind") not in {k.value for k in UnitKind}:
        problems.append(f"{label}: kind is one of {', '.join(k.value for k in UnitKind)}")
    if problem := region_problem(regions.get(entry.get("region")), entry.get("region")):
        problems.append(f"{label}: {problem}")
    if entry.get("credit_code") and (problem := credit_code_problem(str(entry["credit_code"]))):
        problems.append(f"{label}: {problem}")
    if problem := limits_problem(entry.get("sign_days"), entry.get("finish_days")):
        problems.append(f"{label}: {problem}")
    handled, handled_problems = _handled(label, entry.get("handles"), leaves_of, entry)
    return problems + handled_problems, handled


def _handled(label: str, handles: object, leaves_of: dict, entry: dict) -> tuple[list[_Handled], list[str]]:
    if not isinstance(handles, list):
        return [], [f"{label}: handles is a list of categories"]
    problems, handled, taken = [], [], set()
    for item in handles:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("category"), str)
            or item["category"] not in leaves_of
        ):
            code = item.get("category") if isinstance(item, dict) else item
            problems.append(f"{label}: the category {code!r} is not in the catalogue")
            continue
        sign, finish = item.get("sign_days"), item.get("finish_days")
        if sign is not None or finish is not None:
            own = (sign or entry.get("sign_days"), finish or entry.get("finish_days"))
            if problem := limits_problem(*own):
                problems.append(f"{label}, category {item['category']}: {problem}")
        for leaf in leaves_of[item["category"]]:
            if leaf in taken:
                problems.append(f"{label}: the category {leaf} is listed twice")
                continue
            taken.add(leaf)
            handled.append(_Handled(leaf, bool(item.get("default", False)), sign, finish))
    return handled, problems


def _default_conflicts(checked: list[tuple[dict, Region, list[_Handled]]]) -> list[str]:
    """Two default units for one category in one region, in the file or against a unit already
    stored that the file does not replace."""
    defaults: dict[tuple[str, str], str] = {}
    problems = []
    in_file = {entry["code"] for entry, _, _ in checked}
    stored = db.session.execute(
        sa.select(UnitCategory.region_code, UnitCategory.category_code, UnitCategory.unit_code).where(
            UnitCategory.is_default
        )
    )
    for region_code, category_code, unit_code in stored:
        if unit_code not in in_file:
            defaults[(region_code, category_code)] = unit_code
    for entry, region, handled in checked:
        for item in handled:
            if not item.is_default:
                continue
            other = defaults.setdefault((region.code, item.category), entry["code"])
            if other != entry["code"]:
                problems.append(
                    f"{entry['code']}: {other} is already the default unit for {item.category} "
                    f"in {region.name}"
                )
    return problems


def _uncovered(regions: dict[str, Region], leaves: set[str]) -> dict[str, list[str]]:
    covered = defaultdict(set)
    for region_code, category_code in db.session.execute(
        sa.select(UnitCategory.region_code, UnitCategory.category_code)
        .join(Unit)
        .where(UnitCategory.is_default, Unit.active, UnitCategory.region_code.in_(regions))
    ):
        covered[region_code].add(category_code)
    return {region.name: sorted(leaves - covered[code]) for code, region in sorted(regions.items())}
