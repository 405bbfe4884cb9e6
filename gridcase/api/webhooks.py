"""Webhook subscribers (admin only): who is told about case events, and what happened to each
delivery. Deliveries are sent by the scheduler process, never by these requests."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridcase.api.security import auth_required
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.people.sessions import current_user
from gridcase.schemas import PageArgsSchema, page_schema
from gridcase.webhooks.rules import EventType
from gridcase.webhooks.subscriptions import (
    create_subscription,
    delete_subscription,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    pause_subscription,
    require_admin,
    resume_subscription,
    retry_delivery,
    update_subscription,
)

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Webhook subscribers (admin only): signed case events, retried with back-off.",
)

EVENT_TYPES = [t.value for t in EventType]
EVENT_TYPES_HELP = (
    "case.created, case.status_changed, case.level_changed, case.escalated (escalate, the sweep's "
    "auto-escalation, take-over), case.overdue (overdue at the top level), case.event (every event)."
)


def _admin() -> User:
    user = current_user()
    require_admin(user)
    return user


class WebhookInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=500),
        metadata={"example": "https://12345.zhuji.gov.cn/hooks/gridcase"},
    )
    secret = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "At least 16 characters; leave it out to get a generated one."},
    )
    event_types = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": EVENT_TYPES_HELP},
    )
    scope = fields.String(
        load_default=None,
        metadata={"description": "A territory code: only cases inside it. Default: your city."},
    )
    active = fields.Boolean(load_default=True)


class WebhookUpdateSchema(WebhookInSchema):
    class Meta:
        exclude = ("active",)


class WebhookSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    scope = fields.String(attribute="scope_code")
    status = fields.String(metadata={"description": "active or paused"})
    consecutive_failures = fields.Integer()
    paused_at = fields.DateTime(allow_none=True)
    pause_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "Shown once: sign-checking key (HMAC-SHA256)."})


class AttemptSchema(Schema):
    attempted_at = fields.DateTime()
    status_code = fields.Integer(allow_none=True, metadata={"description": "null: no HTTP answer"})
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class DeliverySchema(Schema):
    id = fields.Integer()
    delivery_id = fields.String(attribute="uid", metadata={"description": "X-Gridcase-Delivery"})
    case_event_id = fields.Integer()
    public_number = fields.Function(lambda d: d.payload["case"]["public_number"])
    action = fields.Function(lambda d: d.payload["event"]["action"])
    event_types = fields.List(fields.String())
    status = fields.String(metadata={"description": "pending, delivered or failed (given up)"})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    attempt_log = fields.List(fields.Nested(AttemptSchema), metadata={"description": "Every attempt."})


class DeliveryQuerySchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(["pending", "delivered", "failed"]))


DeliveryListSchema = page_schema(DeliverySchema, "DeliveryListSchema")


@blp.route("")
class Webhooks(MethodView):
    @auth_required
    @blp.response(200, WebhookSchema(many=True))
    def get(self):
        """The webhook subscribers of your city."""
        return list_subscriptions(_admin())

    @auth_required
    @blp.arguments(WebhookInSchema())
    @blp.response(201, WebhookCreatedSchema)
    def post(self, data):
        """Add a subscriber: case events of the chosen types inside `scope`, sent as signed JSON.

        Every body is signed: `X-Gridcase-Signature: sha256=<HMAC-SHA256 of the raw body with
        the secret>`, with `X-Gridcase-Delivery` (the delivery id, also in the body) and
        `X-Gridcase-Timestamp`. The secret is answered this once."""
        subscription, secret = create_subscription(_admin(), data)
        db.session.commit()
        subscription.secret = secret  # a plain attribute for this answer only; never stored in clear
        return subscription


@blp.route("/<id:webhook_id>")
class WebhookView(MethodView):
    @auth_required
    @blp.response(200, WebhookSchema)
    def get(self, webhook_id):
        """One subscriber."""
        return get_subscription(_admin(), webhook_id)

    @auth_required
    @blp.arguments(WebhookUpdateSchema(partial=True))
    @blp.response(200, WebhookSchema)
    def patch(self, data, webhook_id):
        """Change a subscriber's name, URL, secret, event types or scope."""
        subscription = update_subscription(_admin(), webhook_id, data)
        db.session.commit()
        return subscription

    @auth_required
    @blp.response(204)
    def delete(self, webhook_id):
        """Remove a subscriber with its waiting deliveries and its delivery log."""
        delete_subscription(_admin(), webhook_id)
        db.session.commit()


@blp.route("/<id:webhook_id>/pause")
class WebhookPause(MethodView):
    @auth_required
    @blp.response(200, WebhookSchema)
    def post(self, webhook_id):
        """Stop queueing and sending events to the subscriber."""
        subscription = pause_subscription(_admin(), webhook_id)
        db.session.commit()
        return subscription


@blp.route("/<id:webhook_id>/resume")
class WebhookResume(MethodView):
    @auth_required
    @blp.response(200, WebhookSchema)
    def post(self, webhook_id):
        """Resume a paused subscriber (by you, or by the system after repeated failures): its
        failure count starts afresh and its waiting deliveries are sent at the next run."""
        subscription = resume_subscription(_admin(), webhook_id)
        db.session.commit()
        return subscription


@blp.route("/<id:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @auth_required
    @blp.arguments(DeliveryQuerySchema(), location="query")
    @blp.response(200, DeliveryListSchema)
    def get(self, args, webhook_id):
        """The subscriber's deliveries, newest first, with every attempt: status code, error,
        duration."""
        items, total = list_deliveries(_admin(), webhook_id, args["status"], args["page"], args["page_size"])
        return {"items": items, "total": total, "page": args["page"], "page_size": args["page_size"]}


@blp.route("/<id:webhook_id>/deliveries/<id:delivery_id>/retry")
class WebhookDeliveryRetry(MethodView):
    @auth_required
    @blp.response(200, DeliverySchema)
    def post(self, webhook_id, delivery_id):
        """Try a given-up delivery again. A delivered one is never sent twice (422)."""
        delivery = retry_delivery(_admin(), webhook_id, delivery_id)
        db.session.commit()
        return delivery
