"""A unit's queue (its people's workbench): the cases dispatched to it, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from gridcase.cases.models import Case
from gridcase.extensions import db
from gridcase.ladder.limits import Light
from gridcase.units.lifecycle import OPEN_ASSIGNMENT_STATUSES, AssignmentStatus, assignment_light
from gridcase.units.models import CaseAssignment, Unit

# Once the unit's part is over (done, returned, withdrawn), how many of the latest its queue lists.
RECENT_CLOSED = 50


@dataclass(frozen=True)
class QueueItem:
    assignment: CaseAssignment
    case: Case
    light: Light | None

    @property
    def due_at(self) -> datetime:
        """The time the unit works against now: signing while pending, else finishing."""
        pending = self.assignment.status == AssignmentStatus.PENDING.value
        return self.assignment.sign_due_at if pending else self.assignment.finish_due_at


def unit_queue(unit_code: str, now: datetime, open_only: bool = True) -> list[QueueItem]:
    """The unit's assignments with their cases: the open ones, awaiting signature first, each
    group by its due time; or (open_only=False) its latest finished ones, newest first."""
    open_values = [s.value for s in OPEN_ASSIGNMENT_STATUSES]
    query = (
        sa.select(CaseAssignment, Case)
        .join(Case, Case.id == CaseAssignment.case_id)
        .where(CaseAssignment.unit_code == unit_code)
    )
    if open_only:
        pending_first = sa.case((CaseAssignment.status == AssignmentStatus.PENDING.value, 0), else_=1)
        due = sa.case(
            (CaseAssignment.status == AssignmentStatus.PENDING.value, CaseAssignment.sign_due_at),
            else_=CaseAssignment.finish_due_at,
        )
        query = query.where(CaseAssignment.status.in_(open_values)).order_by(pending_first, due)
    else:
        query = (
            query.where(CaseAssignment.status.not_in(open_values))
            .order_by(CaseAssignment.dispatched_at.desc())
            .limit(RECENT_CLOSED)
        )
    return [
        QueueItem(assignment, case, assignment_light(now, assignment.status, assignment))
        for assignment, case in db.session.execute(query).all()
    ]


def unit_name(unit_code: str | None) -> str | None:
    """The name of a unit, for the bar of its people's pages (None when there is no such unit)."""
    unit = db.session.get(Unit, unit_code) if unit_code else None
    return unit.name if unit else None
