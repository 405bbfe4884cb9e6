"""The people of a case in clear, each time with a reason that is audited: a party
(POST /api/v1/cases/{id}/parties/{party_id}/reveal), the person who brought the matter
(…/informant/reveal), and the paperwork that names the parties: the 人民调解协议书
(…/agreements/{id}/document) and the case file (…/case-file)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from gridcase.api.cases import blp
from gridcase.api.security import auth_required
from gridcase.cases.parties import reveal_informant, reveal_party
from gridcase.extensions import db
from gridcase.mediation.case_file import case_file_document
from gridcase.mediation.documents import agreement_document
from gridcase.people.sessions import current_user
from gridcase.printing import Format, send_paperwork


class RevealSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "Why you need the details; kept in the audit log and the case timeline."},
    )


class DocumentRequestSchema(RevealSchema):
    format = fields.String(
        load_default="docx",
        validate=validate.OneOf([f.suffix for f in Format]),
        metadata={"description": "docx (editable, the default) or pdf."},
    )


class RevealedPartySchema(Schema):
    id = fields.Integer()
    role = fields.String()
    name = fields.String()
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


@blp.route("/<ref>/parties/<id:party_id>/reveal")
class RevealParty(MethodView):
    @auth_required
    @blp.arguments(RevealSchema(), example={"reason": "约双方当事人到村调委会调解，需电话联系"})
    @blp.response(200, RevealedPartySchema)
    @blp.alt_response(403, description="Only handlers of the case see parties in full.")
    def post(self, body, ref, party_id):
        """A party's name, ID number and phone in clear. Only for a handler of the case, with a
        reason; every reveal is written to the security audit log and the case timeline."""
        party = reveal_party(current_user(), ref, party_id, body["reason"])
        db.session.commit()
        return party


class RevealedPersonSchema(Schema):
    name = fields.String()
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


@blp.route("/<ref>/informant/reveal")
class RevealInformant(MethodView):
    @auth_required
    @blp.arguments(RevealSchema(), example={"reason": "回电告知受理情况"})
    @blp.response(200, RevealedPersonSchema)
    @blp.alt_response(403, description="Only handlers of the case see its people in full.")
    def post(self, body, ref):
        """The person who brought the matter (反映人) in clear: to call them back. On the same
        terms as a party: a handler of the case, a reason, the audit log and the timeline."""
        person = reveal_informant(current_user(), ref, body["reason"])
        db.session.commit()
        return person


@blp.route("/<ref>/agreements/<id:agreement_id>/document")
class AgreementDocument(MethodView):
    @auth_required
    @blp.arguments(DocumentRequestSchema(), example={"reason": "打印协议书供双方签字", "format": "pdf"})
    @blp.response(200, description="The 人民调解协议书 as a Word document (DOCX) or a PDF.")
    @blp.alt_response(403, description="Only handlers of the case produce it: it names the parties in full.")
    def post(self, body, ref, agreement_id):
        """The 人民调解协议书 of the case for the parties to sign, as DOCX (editable) or PDF. It
        names the parties in full, so it is produced for a handler of the case with a reason,
        audited."""
        fmt = Format.of(body["format"])
        content, filename = agreement_document(current_user(), ref, agreement_id, body["reason"], fmt)
        db.session.commit()
        return send_paperwork(content, fmt, filename)


@blp.route("/<ref>/case-file")
class CaseFile(MethodView):
    @auth_required
    @blp.arguments(DocumentRequestSchema(), example={"reason": "调阅卷宗备查", "format": "pdf"})
    @blp.response(200, description="The dispute's case file (人民调解卷宗) as DOCX or PDF.")
    @blp.alt_response(
        403, description="Only the handlers of the dispute produce it: it names the parties in full."
    )
    def post(self, body, ref):
        """The dispute's case file in the customary order (cover, contents, 受理登记表, 调查记录,
        调解笔录, 协议书, 回访记录), naming the parties in full: for a handler with a reason,
        audited. Once archived, the archived PDF (DOCX is refused)."""
        fmt = Format.of(body["format"])
        content, filename = case_file_document(current_user(), ref, body["reason"], fmt)
        db.session.commit()
        return send_paperwork(content, fmt, filename)
