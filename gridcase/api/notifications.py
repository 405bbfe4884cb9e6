"""The in-app inbox: GET /api/v1/notifications and marking them read."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gridcase.api.security import auth_required
from gridcase.extensions import db
from gridcase.notifications.inbox import inbox, mark_read
from gridcase.notifications.outbound import choose_channel, drop_channel, own_channels
from gridcase.notifications.schemas import ChannelInSchema, ChannelSchema
from gridcase.people.sessions import current_user
from gridcase.settings import utcnow

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/v1/notifications", description="Your in-app inbox."
)


class NotificationSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    kind = fields.String(
        metadata={
            "description": "new_case, escalated, handed_down, taken_over, extension_requested, "
            "extension_decided, verification_failed, supervised, overdue, assigned, reopened"
        }
    )
    message = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()


class InboxQuerySchema(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only unread ones."})


class MarkedSchema(Schema):
    marked = fields.Integer()


@blp.route("")
class Inbox(MethodView):
    @auth_required
    @blp.arguments(InboxQuerySchema(), location="query")
    @blp.response(200, InboxSchema)
    def get(self, args):
        """Your latest 50 notifications, newest first, and how many are unread."""
        items, unread = inbox(current_user(), unread_only=args["unread"])
        return {"items": items, "unread": unread}


@blp.route("/<id:notification_id>/read")
class MarkOne(MethodView):
    @auth_required
    @blp.response(200, MarkedSchema)
    def post(self, notification_id):
        """Mark one notification read."""
        marked = mark_read(current_user(), notification_id, utcnow())
        db.session.commit()
        return {"marked": marked}


@blp.route("/read-all")
class MarkAll(MethodView):
    @auth_required
    @blp.response(200, MarkedSchema)
    def post(self):
        """Mark all your notifications read."""
        marked = mark_read(current_user(), None, utcnow())
        db.session.commit()
        return {"marked": marked}


@blp.route("/channels")
class Channels(MethodView):
    @auth_required
    @blp.response(200, ChannelSchema(many=True))
    def get(self):
        """Where your notifications also go outside the app (addresses masked)."""
        return own_channels(current_user())

    @auth_required
    @blp.arguments(ChannelInSchema())
    @blp.response(201, ChannelSchema)
    def post(self, body):
        """Have your notifications also sent to your e-mail or by SMS, with quiet hours if you
        like (local time; what falls in them waits for their end). What goes out names the case
        and what happened, never a person. Audited."""
        channel = choose_channel(current_user(), body)
        db.session.commit()
        return channel


@blp.route("/channels/<id:channel_id>")
class Channel(MethodView):
    @auth_required
    @blp.response(204)
    def delete(self, channel_id):
        """Stop sending through one of your channels (what waits for it is not sent). Audited."""
        drop_channel(current_user(), channel_id)
        db.session.commit()
