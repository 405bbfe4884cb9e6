"""One notification per recipient; the channels it also goes out through, and the outbox."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.extensions import db

if TYPE_CHECKING:
    from gridcase.cases.models import Case


class Notification(db.Model):
    __tablename__ = "notifications"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    message: so.Mapped[str] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    read_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Handed to the outbound channels (gridcase.notifications.outbound) yet?
    fanned_out: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The case it is about, for pages that name it (an inbox loads them all in one statement).
    case: so.Mapped[Case | None] = so.relationship(viewonly=True)

    __table_args__ = (
        # The inbox query: a user's notifications, unread first, newest first.
        sa.Index("ix_notifications_user_unread", "user_id", "read_at", sa.text("created_at DESC")),
        sa.Index("ix_notifications_to_fan_out", "id", postgresql_where=sa.text("NOT fanned_out")),
    )


class NotificationChannel(db.Model):
    """Where a person's notifications also go outside the app (their e-mail, their phone by SMS),
    or a group robot (企业微信 / 钉钉) of a territory node's centre that gets what its handlers are
    told. The address is encrypted: a robot's URL carries its key, an e-mail or phone is personal."""

    __tablename__ = "notification_channels"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))  # email, sms, wecom, dingtalk
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    region_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("regions.code"), index=True)
    address_encrypted: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    address_masked: so.Mapped[str] = so.mapped_column(sa.String(120))
    # A 钉钉 robot's signing secret (加签), when its security setting asks for one: encrypted.
    secret_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    # Quiet hours (local time): nothing is sent from `quiet_from` until `quiet_until`.
    quiet_from: so.Mapped[time | None] = so.mapped_column(sa.Time)
    quiet_until: so.Mapped[time | None] = so.mapped_column(sa.Time)
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("kind IN ('email', 'sms', 'wecom', 'dingtalk')", name="kind"),
        sa.CheckConstraint("(user_id IS NULL) <> (region_code IS NULL)", name="one_owner"),
        sa.CheckConstraint("(quiet_from IS NULL) = (quiet_until IS NULL)", name="quiet_hours"),
    )


class OutboundMessage(db.Model):
    """One notification on its way through one channel (the outbox): sent by the scheduler with
    retries and back-off, never by a web request."""

    __tablename__ = "outbound_messages"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    channel_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    notification_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"))
    body: so.Mapped[str] = so.mapped_column(sa.String(500))
    status: so.Mapped[str] = so.mapped_column(sa.String(8))  # pending, sent, failed
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    sent_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        sa.Index(
            "ix_outbound_messages_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")
        ),
    )
