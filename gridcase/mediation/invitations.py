"""Mediators from outside the offices (特邀调解员: 乡贤, lawyers, social organisations) invited
onto a dispute by a handler of it. An invited mediator sees the case while the invitation
stands, records its sessions and 笔录 and adds notes; they reveal nobody, move nothing on the
ladder and produce no document (gridcase.cases.lifecycle.decide, gridcase.cases.parties).

Source: 人民调解法 第二十条 (the mediator may invite the parties' relatives, neighbours,
colleagues, or people with expertise or experience and social workers to help), and the
特邀调解 rosters of the courts' 诉调对接 and the 司法局's 人民调解 practice.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gridcase.cases.domain import OPEN_STATUSES
from gridcase.cases.events import log_beside
from gridcase.cases.lifecycle import LoggedAction, handles
from gridcase.cases.models import Case
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state, standing_invitation
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.mediation.models import MediationInvitation
from gridcase.messages import Message
from gridcase.notifications.inbox import Kind, notify_user
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.people.scope import user_city_code


def invite_mediator(user: User, ref, mediator_id: int, now: datetime) -> MediationInvitation:
    """Ask an invited mediator of the case's city onto the case; they are told (the case number
    only).

    Raises:
        NotFound: no such case in scope.
        Forbidden: the user does not handle the case where it is.
        Unprocessable: the case is finished, no such invited mediator in the city, or already invited.
    """
    case = _case_to_manage(user, ref)
    mediator = db.session.get(User, mediator_id)
    if (
        mediator is None
        or not mediator.active
        or mediator.role != Role.EXTERNAL_MEDIATOR
        or user_city_code(mediator) != case.city_code
    ):
        problem = Message("Choose an invited mediator of this city.")
        raise Unprocessable(problem, {"mediator_id": [problem]})
    if standing_invitation(case.id, mediator.id):
        problem = Message("%(name)s is already invited to this case.", name=mediator.display_name)
        raise Unprocessable(problem, {"mediator_id": [problem]})
    invitation = MediationInvitation(
        case_id=case.id, mediator_id=mediator.id, invited_by_id=user.id, invited_at=now
    )
    db.session.add(invitation)
    db.session.flush()
    _log(user, case, LoggedAction.INVITE, invitation, mediator, now)
    notify_user(mediator.id, case, Kind.INVITED, f"{case.public_number} 邀请您参与调解", now)
    return invitation


def withdraw_invitation(user: User, ref, invitation_id: int, now: datetime) -> MediationInvitation:
    """End an invitation: the mediator no longer sees the case.

    Raises:
        NotFound: no such case in scope, or no standing invitation of that number on it.
        Forbidden: the user does not handle the case where it is.
    """
    case = _case_to_manage(user, ref, finished_too=True)
    invitation = db.session.get(MediationInvitation, invitation_id)
    if invitation is None or invitation.case_id != case.id or invitation.withdrawn_at is not None:
        raise NotFound(
            Message(
                "No standing invitation %(invitation_id)s on case %(number)s.",
                invitation_id=str(invitation_id),
                number=str(case.public_number),
            )
        )
    invitation.withdrawn_at, invitation.withdrawn_by_id = now, user.id
    _log(user, case, LoggedAction.UNINVITE, invitation, db.session.get(User, invitation.mediator_id), now)
    return invitation


def standing_invitations(case_id: int) -> list[tuple[MediationInvitation, User]]:
    rows = db.session.execute(
        sa.select(MediationInvitation, User)
        .join(User, User.id == MediationInvitation.mediator_id)
        .where(MediationInvitation.case_id == case_id, MediationInvitation.withdrawn_at.is_(None))
        .order_by(MediationInvitation.id)
    ).all()
    return [(invitation, mediator) for invitation, mediator in rows]


def mediator_roster(city_code: str) -> list[User]:
    """The city's active invited mediators (特邀调解员名册), to choose from."""
    users = db.session.scalars(
        sa.select(User).where(User.role == Role.EXTERNAL_MEDIATOR, User.active).order_by(User.display_name)
    ).all()
    return [u for u in users if user_city_code(u) == city_code]


def _case_to_manage(user: User, ref, finished_too: bool = False) -> Case:
    case = find_case(user, ref, lock=True)
    if not handles(actor_state(user, case), case_state(case)):
        raise Forbidden(Message("Only a handler of the case where it is now invites mediators to it."))
    if not finished_too and case.status not in OPEN_STATUSES:
        raise Unprocessable(Message("The case is finished: nobody is invited to it any more."))
    return case


def _log(user: User, case: Case, action: LoggedAction, invitation, mediator: User, now: datetime) -> None:
    log_beside(
        case, action, user.id, {"invitation_id": invitation.id, "mediator": mediator.display_name}, now
    )
