"""POST /api/v1/cases/{id}/actions: every lifecycle action through one endpoint."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from gridcase.api.answers import answer
from gridcase.api.cases import blp
from gridcase.api.security import auth_required
from gridcase.cases.lifecycle import Action
from gridcase.cases.operations import perform_action
from gridcase.cases.schemas import PAYLOADS, CaseSchema, dump_case
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.people.sessions import current_user


class CaseActionSchema(Schema):
    """`action` and the case `version` you read, plus the fields that action takes."""

    class Meta:
        unknown = INCLUDE

    action = fields.Enum(Action, by_value=True, required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))


def _action_body_schema(action: Action) -> type[Schema]:
    """The whole body of one action: its name, the version, and its payload's fields."""
    head = Schema.from_dict(
        {
            "action": fields.String(required=True, validate=validate.OneOf([action.value])),
            "version": fields.Integer(required=True, validate=validate.Range(min=1)),
        }
    )
    name = "".join(part.title() for part in action.value.split("_")) + "ActionSchema"
    return type(name, (head, PAYLOADS[action]), {"__doc__": f"The body of the '{action.value}' action."})


def document_action_bodies(spec) -> None:
    """Describe the body of POST …/actions as what it is, one of 16 bodies told apart by
    `action` (an OpenAPI discriminated union), each with its payload's fields; the view still
    reads `action` first and then that action's payload schema."""
    refs = {}
    for action in Action:
        schema = _action_body_schema(action)
        name = schema.__name__.removesuffix("Schema")
        spec.components.schema(name, schema=schema)
        refs[action.value] = f"#/components/schemas/{name}"
    spec.components.schemas["CaseActionBody"] = {
        "description": "One of the actions' bodies, by `action`.",
        "oneOf": [{"$ref": ref} for ref in refs.values()],
        "discriminator": {"propertyName": "action", "mapping": refs},
    }
    spec.components.schema("CaseAction", schema=CaseActionSchema)  # what every body starts with


class CaseActionBodySchema(CaseActionSchema):
    """What the view reads first; the OpenAPI document shows it as the union of the actions'
    bodies (`document_action_bodies`)."""


@blp.route("/<ref>/actions")
class CaseActions(MethodView):
    @auth_required
    @blp.arguments(CaseActionBodySchema(), example={"action": "accept", "version": 1})
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
        body = dump_case(case, viewer=current_user(), whole=True)
        db.session.commit()
        return answer(body)
