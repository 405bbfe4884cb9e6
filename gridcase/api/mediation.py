"""The mediation record of a dispute (GET/POST /api/v1/cases/{id}/sessions), its evidence files
(GET/POST …/evidence, POST …/evidence/{id}/download), the mediators invited onto it
(POST /api/v1/cases/{id}/invitations, DELETE …/invitations/{id}) and a court's referral of it
(诉前调解: GET/POST …/court-referral, POST …/court-referral/extension and …/result)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from gridcase.api.answers import answer
from gridcase.api.cases import blp
from gridcase.api.parties import RevealSchema
from gridcase.api.security import auth_required
from gridcase.cases.queries import find_case
from gridcase.errors import NotFound
from gridcase.extensions import db
from gridcase.mediation.court_referrals import (
    court_referral,
    extend_court_referral,
    record_court_referral,
    report_referral_result,
)
from gridcase.mediation.evidence import MAX_TITLE, add_evidence, case_evidence, evidence_view, open_evidence
from gridcase.mediation.invitations import invite_mediator, withdraw_invitation
from gridcase.mediation.schemas import (
    CourtReferralExtensionSchema,
    CourtReferralInSchema,
    CourtReferralOutSchema,
    CourtReferralResultSchema,
    EvidenceOutSchema,
    InvitationInSchema,
    InvitationOutSchema,
    SessionInSchema,
    SessionOutSchema,
)
from gridcase.mediation.sessions import case_sessions, record_session
from gridcase.messages import Message
from gridcase.people.sessions import current_user
from gridcase.settings import utcnow
from gridcase.uploads import send_private_file, takes_larger_uploads


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
    @blp.arguments(SessionInSchema())
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
    @blp.arguments(InvitationInSchema())
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


class EvidenceUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "PDF, MP3, M4A, AMR, MP4, 3GP or MOV; checked by its content."},
    )


class EvidenceTitleSchema(Schema):
    title = fields.String(
        required=True,
        validate=validate.Length(1, MAX_TITLE),
        metadata={"description": "What the file is, e.g. 借条扫描件, 第一次调解录音. Encrypted at rest."},
    )


@blp.route("/<ref>/evidence")
class Evidence(MethodView):
    @auth_required
    @blp.response(200, EvidenceOutSchema(many=True))
    def get(self, ref):
        """The case's evidence files beyond photos, in the order added: kind, size, length or
        pages, fingerprint. Titles in clear for those mediating the case; the bytes only through
        …/download."""
        user = current_user()
        return case_evidence(user, find_case(user, ref))

    @auth_required
    @blp.arguments(EvidenceUploadSchema(), location="files")
    @blp.arguments(EvidenceTitleSchema(), location="form")
    @blp.response(201, EvidenceOutSchema)
    @blp.alt_response(
        403, description="Only a handler of the case or a mediator invited to it adds evidence."
    )
    def post(self, files, form, ref):
        """Add an evidence file (multipart: `file`, `title`): a PDF document, or an audio or
        video recording, up to GRIDCASE_MAX_EVIDENCE_BYTES (50 MB by default) and 30 per case.
        Its type is found from its content, whatever its name; it is kept as uploaded, encrypted.
        An `Idempotency-Key` header makes a retried upload return the file stored the first time."""
        user = current_user()
        key = (request.headers.get("Idempotency-Key") or "").strip()[:128] or None
        evidence, created = add_evidence(user, ref, files["file"].read(), form["title"], utcnow(), key)
        body = EvidenceOutSchema().dump(evidence_view(evidence, user.display_name, with_title=True))
        db.session.commit()
        return answer(body, 201 if created else 200)


takes_larger_uploads("cases.Evidence", "GRIDCASE_MAX_EVIDENCE_BYTES")


@blp.route("/<ref>/evidence/<id:evidence_id>/download")
class EvidenceDownload(MethodView):
    @auth_required
    @blp.arguments(RevealSchema(), example={"reason": "调解前听取现场录音"})
    @blp.response(200, description="The file as uploaded.")
    @blp.alt_response(
        403, description="Only a handler of the case or a mediator invited to it opens its evidence."
    )
    def post(self, body, ref, evidence_id):
        """The evidence file as uploaded, for someone mediating the case who gives a reason:
        written to the audit log and the case's timeline."""
        data, content_type, filename = open_evidence(
            current_user(), ref, evidence_id, body["reason"], utcnow()
        )
        db.session.commit()
        return send_private_file(data, content_type, filename)


@blp.route("/<ref>/court-referral")
class CourtReferral(MethodView):
    @auth_required
    @blp.response(200, CourtReferralOutSchema)
    @blp.alt_response(404, description="No such case in scope, or the case has no court's referral.")
    def get(self, ref):
        """The court's referral of the dispute (诉前调解), if a court referred it."""
        case = find_case(current_user(), ref)
        referral = court_referral(case.id)
        if referral is None:
            raise NotFound(
                Message("Case %(number)s has no court's referral.", number=str(case.public_number))
            )
        return referral

    @auth_required
    @blp.arguments(
        CourtReferralInSchema(),
        example={
            "court_unit_code": "330681000000-fyssfw",
            "court_number": "(2026)浙0681民诉前调123号",
            "referred_on": "2026-12-01",
        },
    )
    @blp.response(201, CourtReferralOutSchema)
    @blp.alt_response(403, description="Only a handler of the case records the referral.")
    def post(self, body, ref):
        """Record that a court referred this open dispute to mediation before registering the
        suit (委派调解): the period of 30 days starts from the day of the referral."""
        user = current_user()
        referral = record_court_referral(
            user,
            ref,
            body["court_unit_code"],
            body["court_number"],
            body["referred_on"],
            body["note"],
            utcnow(),
        )
        db.session.commit()
        return referral


@blp.route("/<ref>/court-referral/extension")
class CourtReferralExtension(MethodView):
    @auth_required
    @blp.arguments(CourtReferralExtensionSchema())
    @blp.response(200, CourtReferralOutSchema)
    @blp.alt_response(403, description="Only a handler of the case extends the period.")
    def post(self, body, ref):
        """A longer period, as both parties agreed (before the result is reported)."""
        referral = extend_court_referral(current_user(), ref, body["due_on"], body["note"], utcnow())
        db.session.commit()
        return referral


@blp.route("/<ref>/court-referral/result")
class CourtReferralResult(MethodView):
    @auth_required
    @blp.arguments(CourtReferralResultSchema())
    @blp.response(200, CourtReferralOutSchema)
    @blp.alt_response(403, description="Only a handler of the case reports the result.")
    def post(self, body, ref):
        """Report the result back to the court, once: mediated (the agreement recorded first),
        failed (the court registers the suit) or withdrawn."""
        referral = report_referral_result(current_user(), ref, body["result"], body["note"], utcnow())
        db.session.commit()
        return referral
