"""POST /api/v1/cases/{id}/actions: every lifecycle action through one endpoint."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from gridcase.api.answers import answer
from gridcase.api.cases import blp
from gridcase.api.security import auth_required
from gridcase.cases.lifecycle import Action
from gridcase.cases.operations import perform_action
from gridcase.cases.schemas import PAYLOADS, CaseSchema, CaseView
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.people.sessions import current_user


class CaseActionSchema(Schema):
    """`action` and the case `version` you read, plus the fields that action takes:

    accept {note} · assign {assignee_id, note} · note {text} · mediate {session, agreement} ·
    resolve {outcome, summary} · verify {passed, note} · revisit {satisfaction, note} ·
    reopen {reason} · escalate {reason} · take_over {reason} · hand_down {instruction, to_level,
    due_days} · reject {reason} · supervise {note} · request_extension {days, reason} ·
    decide_extension {approved, note} · mark_duplicate {original}
    """

    class Meta:
        unknown = INCLUDE

    action = fields.Enum(Action, by_value=True, required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))


@blp.route("/<ref>/actions")
class CaseActions(MethodView):
    @auth_required
    @blp.arguments(CaseActionSchema, example={"action": "accept", "version": 1})
    @blp.response(200, CaseSchema)
    @blp.alt_response(409, description="The case changed since you read `version`; reload it.")
    def post(self, body, ref):
        """Take an action on a case; answers the updated case with its timeline.

        409 when `version` is stale (nothing changed); 422 when the case's state, your role and
        level, or the fields do not allow the action, with the reason."""
        action, version = body.pop("action"), body.pop("version")
        try:
            payload = PAYLOADS[action]().load(body)
        except ValidationError as exc:
            raise Unprocessable(
                f"The fields of '{action.value}' are not right; see errors.", exc.messages
            ) from exc
        case = perform_action(current_user(), ref, action, version, payload)
        body = CaseSchema().dump(CaseView(case, viewer=current_user(), whole=True))
        db.session.commit()
        return answer(body)
