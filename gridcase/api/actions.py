"""POST /api/v1/cases/{id}/actions: every lifecycle action through one endpoint."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from gridcase.api.case_body import CaseSchema, case_body
from gridcase.api.cases import blp
from gridcase.api.plain import plain
from gridcase.api.security import auth_required, current_user
from gridcase.cases.domain import Outcome
from gridcase.cases.lifecycle import Action
from gridcase.cases.operations import perform_action
from gridcase.cases.queries import case_events
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.settings import BIGINT_MAX

NOTE = fields.String(load_default="", validate=validate.Length(max=2000))


def _text(max_length: int = 2000, **kwargs):
    return fields.String(required=True, validate=validate.Length(1, max_length), **kwargs)


class MediationSessionSchema(Schema):
    held_at = fields.AwareDateTime(required=True, metadata={"description": "When the session took place."})
    place = fields.String(load_default="", validate=validate.Length(max=200))
    mediators = fields.List(fields.String(validate=validate.Length(1, 50)), load_default=list)
    participants = fields.String(load_default="", validate=validate.Length(max=500))
    summary = _text()


class AgreementSchema(Schema):
    """调解协议书: the terms the parties signed and when they must be performed."""

    terms = _text(5000)
    performance_deadline = fields.Date(required=True)
    signed_at = fields.Date(load_default=None)


# The payload of each action, validated strictly (unknown fields refused).
PAYLOADS: dict[Action, type[Schema]] = {
    Action.ACCEPT: Schema.from_dict({"note": NOTE}),
    Action.ASSIGN: Schema.from_dict(
        {"assignee_id": fields.Integer(required=True, validate=validate.Range(1, BIGINT_MAX)), "note": NOTE}
    ),
    Action.NOTE: Schema.from_dict({"text": _text()}),
    Action.MEDIATE: Schema.from_dict(
        {
            "session": fields.Nested(MediationSessionSchema, required=True),
            "agreement": fields.Nested(AgreementSchema, load_default=None, allow_none=True),
        }
    ),
    Action.RESOLVE: Schema.from_dict(
        {"outcome": fields.Enum(Outcome, by_value=True, required=True), "summary": NOTE}
    ),
    Action.VERIFY: Schema.from_dict({"passed": fields.Boolean(required=True), "note": NOTE}),
    Action.REVISIT: Schema.from_dict(
        {
            "satisfaction": fields.String(
                required=True, validate=validate.OneOf(["satisfied", "basically_satisfied", "dissatisfied"])
            ),
            "note": NOTE,
        }
    ),
    Action.REOPEN: Schema.from_dict({"reason": _text()}),
    Action.ESCALATE: Schema.from_dict({"reason": _text()}),
    Action.TAKE_OVER: Schema.from_dict({"reason": NOTE}),
    Action.HAND_DOWN: Schema.from_dict(
        {
            "instruction": _text(),
            "to_level": fields.String(load_default=None),
            "due_days": fields.Integer(load_default=None, validate=validate.Range(1, 60)),
        }
    ),
    Action.REJECT: Schema.from_dict({"reason": _text()}),
    Action.SUPERVISE: Schema.from_dict({"note": _text()}),
    Action.REQUEST_EXTENSION: Schema.from_dict(
        {"days": fields.Integer(required=True, validate=validate.Range(1, 30)), "reason": _text()}
    ),
    Action.DECIDE_EXTENSION: Schema.from_dict({"approved": fields.Boolean(required=True), "note": NOTE}),
    Action.MARK_DUPLICATE: Schema.from_dict(
        {"original": fields.String(required=True, metadata={"description": "id or public number"})}
    ),
}


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
        case = perform_action(current_user(), ref, action, version, plain(payload))
        db.session.commit()
        return case_body(case, events=case_events(case), viewer=current_user())
