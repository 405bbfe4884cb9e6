"""What the lifecycle rules (gridcase.cases.lifecycle, pure) need to know of a case and of the
person acting on it, read from the records: the case's state, and the actor's role, level and
whether the case lies in their scope, or their unit's assignment of it."""

from __future__ import annotations

import sqlalchemy as sa

from gridcase.cases.domain import CaseKind, Severity, Status
from gridcase.cases.lifecycle import ActorState, CaseState
from gridcase.cases.models import Case
from gridcase.cases.supervision import supervision_state
from gridcase.cases.verification import verifier_of
from gridcase.extensions import db
from gridcase.mediation.models import MediationInvitation
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.people.scope import covers
from gridcase.settings import ladder
from gridcase.units.assignments import assignment_state, resolving_assignment, unit_assignment


def case_state(case: Case, just_created: bool = False) -> CaseState:
    """What the lifecycle rules need to know of the case; `just_created` (intake's answer): a
    case this transaction made has no 督办单 to read."""
    return CaseState(
        status=Status(case.status),
        level=case.level,
        ladder=tuple(ladder()),
        kind=CaseKind(case.kind),
        severity=Severity(case.severity),
        resolved_level=case.resolved_level,
        extension_pending=case.extension_requested_days is not None,
        resolved_by_unit=case.status == Status.RESOLVED and resolving_assignment(case) is not None,
        verifier=verifier_of(case),
        supervision=None if just_created else supervision_state(case),
        revisited=case.revisited_at is not None,
    )


def actor_state(user: User, case: Case) -> ActorState:
    return ActorState(
        role=Role(user.role),
        level=user.scope_level,
        covers_case=covers(user, case),
        is_reporter=case.reporter_id == user.id,
        resolved_it=case.resolved_by_id is not None and case.resolved_by_id == user.id,
        unit_code=user.unit_code,
        is_assignee=case.assignee_id is not None and case.assignee_id == user.id,
        user_id=user.id,
        assignment=assignment_state(unit_assignment(case.id, user.unit_code)) if user.unit_code else None,
        invited=user.role == Role.EXTERNAL_MEDIATOR and standing_invitation(case.id, user.id),
    )


def standing_invitation(case_id: int, mediator_id: int) -> bool:
    """The mediator stands invited to the case (an invitation not withdrawn)."""
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(
                MediationInvitation.case_id == case_id,
                MediationInvitation.mediator_id == mediator_id,
                MediationInvitation.withdrawn_at.is_(None),
            )
        )
    )
