"""POST /api/v1/cases/{id}/parties/{party_id}/reveal: a party in clear, with a reason, audited."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from gridcase.api.cases import blp
from gridcase.api.security import auth_required
from gridcase.cases.parties import reveal_party
from gridcase.extensions import db
from gridcase.people.sessions import current_user


class RevealSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "Why you need the details; kept in the audit log and the case timeline."},
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
    @blp.arguments(RevealSchema, example={"reason": "约双方当事人到村调委会调解，需电话联系"})
    @blp.response(200, RevealedPartySchema)
    @blp.alt_response(403, description="Only handlers of the case see parties in full.")
    def post(self, body, ref, party_id):
        """A party's name, ID number and phone in clear. Only for a handler of the case, with a
        reason; every reveal is written to the security audit log and the case timeline."""
        party = reveal_party(current_user(), ref, party_id, body["reason"])
        db.session.commit()
        return party
