"""Reading units: a city's, and the default one for a category in a region."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.units.lifecycle import VISIBLE_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus
from gridcase.units.models import CaseAssignment, Unit, UnitCategory


def city_units(city_code: str, active_only: bool = True) -> list[Unit]:
    """The units of a city: the city's departments and committees first, then each township's
    stations, by code."""
    query = sa.select(Unit).where(Unit.city_code == city_code)
    if active_only:
        query = query.where(Unit.active)
    return list(db.session.scalars(query.order_by((Unit.level == "city").desc(), Unit.code)))


def units_serving(region) -> list[Unit]:
    """The active units a centre at `region` may dispatch to: for a township or below, those
    serving its township, district or city; for a district or the city, all of the city's."""
    places = [region.ancestor_code(level) for level in ("township", "district", "city")]
    if places[0] is None:
        return city_units(region.city_code or region.code)
    return list(
        db.session.scalars(
            sa.select(Unit)
            .where(Unit.active, Unit.region_code.in_([p for p in places if p]))
            .order_by((Unit.level == "city"), Unit.code)
        )
    )


def _places_of(case) -> list[str]:
    """The regions whose units serve the place of a case, nearest first (its township, its
    district where there is one, its city)."""
    return [code for code in (case.township_code, case.district_code, case.city_code) if code]


def dispatchable_units(case) -> list[Unit]:
    """The active units a case may be dispatched to: those serving its township, district or
    city (块抓条保: a township centre also dispatches to the city's departments)."""
    return list(
        db.session.scalars(
            sa.select(Unit)
            .where(Unit.active, Unit.region_code.in_(_places_of(case)))
            .order_by((Unit.level == "city"), Unit.code)
        )
    )


def proposed_unit(case) -> Unit | None:
    """The default unit for the case's category nearest to its place: its township's, else its
    district's, else its city's (DESIGN §2, "Units")."""
    places = _places_of(case)
    rows = db.session.execute(
        sa.select(Unit, UnitCategory.region_code)
        .join(UnitCategory, UnitCategory.unit_code == Unit.code)
        .where(
            UnitCategory.category_code == case.category_code,
            UnitCategory.is_default,
            UnitCategory.region_code.in_(places),
            Unit.active,
        )
    ).all()
    nearest = sorted(rows, key=lambda row: places.index(row.region_code))
    return nearest[0][0] if nearest else None


def unit_limits(unit: Unit, category_code: str) -> tuple[int, int]:
    """(signing, finishing) working days of `unit` for a category: its own for the category
    where it has them, else the unit's."""
    handled = db.session.get(UnitCategory, (unit.code, category_code))
    return handled.limits() if handled else (unit.sign_days, unit.finish_days)


@dataclass(frozen=True)
class LatestLead:
    """A case's latest lead assignment, as lists show it."""

    unit_name: str
    status: str
    return_reason: str | None

    @property
    def leads(self) -> bool:
        """Its unit leads the case (awaiting signature, at work or done)."""
        return self.status in VISIBLE_ASSIGNMENT_STATUSES

    @property
    def returned(self) -> bool:
        """Its unit returned the case, which awaits a dispatch again (待派遣)."""
        return self.status == AssignmentStatus.RETURNED


def latest_leads(case_ids: list[int]) -> dict[int, LatestLead]:
    """{case id: its latest lead assignment} for the cases ever dispatched, in one query."""
    if not case_ids:
        return {}
    latest = (
        sa.select(sa.func.max(CaseAssignment.id))
        .where(CaseAssignment.case_id.in_(case_ids), CaseAssignment.role == AssignmentRole.LEAD.value)
        .group_by(CaseAssignment.case_id)
    )
    rows = db.session.execute(
        sa.select(CaseAssignment.case_id, Unit.name, CaseAssignment.status, CaseAssignment.return_reason)
        .join(Unit, Unit.code == CaseAssignment.unit_code)
        .where(CaseAssignment.id.in_(latest))
    ).all()
    return {case_id: LatestLead(name, status, reason) for case_id, name, status, reason in rows}


def lead_unit_names(case_ids: list[int]) -> dict[int, str]:
    """{case id: name of its lead unit} for the cases whose latest lead assignment is open or
    done (a returned or withdrawn one leads nothing)."""
    return {case_id: lead.unit_name for case_id, lead in latest_leads(case_ids).items() if lead.leads}
