"""The mediation record of a dispute (GET/POST /api/v1/cases/{id}/sessions) and the mediators
invited onto it (POST /api/v1/cases/{id}/invitations, DELETE …/invitations/{id})."""

from __future__ import annotations

from flask.views import MethodView

from gridcase.api.cases import blp
from gridcase.api.security import auth_required
from gridcase.cases.queries import find_case
from gridcase.extensions import db
from gridcase.mediation.invitations import invite_mediator, withdraw_invitation
from gridcase.mediation.schemas import (
    InvitationInSchema,
    InvitationOutSchema,
    SessionInSchema,
    SessionOutSchema,
)
from gridcase.mediation.sessions import case_sessions, record_session
from gridcase.people.sessions import current_user
from gridcase.settings import utcnow


@blp.route("/<ref>/sessions")
class Sessions(MethodView):
    @auth_required
    @blp.response(200, SessionOutSchema(many=True))
    def get(self, ref):
        """The case's mediation sittings and inquiries, in the order held. Their records (笔录)
        are in clear for the people mediating it, null for everyone else who sees the case."""
        user = current_user()
        return case_sessions(user, find_case(user, ref))

    @auth_required
    @blp.arguments(SessionInSchema)
    @blp.response(201, SessionOutSchema)
    @blp.alt_response(
        403, description="Only a handler of the case or a mediator invited to it records sessions."
    )
    def post(self, body, ref):
        """Record a sitting (调解笔录) or an inquiry (调查记录): when and where, who mediated,
        which parties attended, what was said. The record is encrypted at rest; the timeline
        says only that it was held."""
        user = current_user()
        session = record_session(user, ref, body, utcnow())
        db.session.commit()
        return next(s for s in case_sessions(user, find_case(user, ref)) if s.id == session.id)


@blp.route("/<ref>/invitations")
class Invitations(MethodView):
    @auth_required
    @blp.arguments(InvitationInSchema)
    @blp.response(201, InvitationOutSchema)
    @blp.alt_response(403, description="Only a handler of the case where it is invites mediators.")
    def post(self, body, ref):
        """Invite a mediator from outside the offices (特邀调解员) onto the case: they see it
        and record its sessions until the invitation is withdrawn."""
        invitation = invite_mediator(current_user(), ref, body["mediator_id"], utcnow())
        db.session.commit()
        return invitation


@blp.route("/<ref>/invitations/<id:invitation_id>")
class Invitation(MethodView):
    @auth_required
    @blp.response(204)
    @blp.alt_response(403, description="Only a handler of the case where it is withdraws invitations.")
    def delete(self, ref, invitation_id):
        """Withdraw an invitation: the mediator no longer sees the case."""
        withdraw_invitation(current_user(), ref, invitation_id, utcnow())
        db.session.commit()
