"""Webhook subscribers, the outbox of deliveries and the log of every attempt."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from gridcase.extensions import db

TZ = sa.DateTime(timezone=True)


class WebhookSubscription(db.Model):
    """An external system told about case events inside a territory node (its scope).

    The secret signs every body (HMAC-SHA256); it is needed in clear to sign, so it is stored
    encrypted with the app's cipher, never hashed.
    """

    __tablename__ = "webhook_subscriptions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    secret_encrypted: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    event_types: so.Mapped[list[str]] = so.mapped_column(ARRAY(sa.String(32)))
    scope_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"), index=True)
    city_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)  # whose admins manage it
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="active")
    consecutive_failures: so.Mapped[int] = so.mapped_column(default=0)
    paused_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    pause_reason: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
    updated_at: so.Mapped[datetime] = so.mapped_column(TZ)

    __table_args__ = (sa.CheckConstraint("status IN ('active', 'paused')", name="status"),)


class WebhookDelivery(db.Model):
    """One case event for one subscriber: the outbox row, written in the event's transaction.

    pending → delivered (a 2xx came back; never sent again) or failed (gave up after the
    configured attempts; an admin may retry it).
    """

    __tablename__ = "webhook_deliveries"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    uid: so.Mapped[uuid.UUID] = so.mapped_column(
        sa.Uuid, unique=True, server_default=sa.text("gen_random_uuid()")
    )
    subscription_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    # Events are never deleted in service; the cascade only lets test clean-ups remove cases.
    case_event_id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger, sa.ForeignKey("case_events.id", ondelete="CASCADE"), index=True
    )
    event_types: so.Mapped[list[str]] = so.mapped_column(ARRAY(sa.String(32)))
    payload: so.Mapped[dict] = so.mapped_column(JSONB)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="pending")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(TZ)
    last_status_code: so.Mapped[int | None] = so.mapped_column()
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    delivered_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)

    attempt_log: so.Mapped[list[WebhookAttempt]] = so.relationship(
        order_by="WebhookAttempt.id", viewonly=True
    )

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        sa.UniqueConstraint(
            "subscription_id", "case_event_id", name="uq_webhook_deliveries_subscription_event"
        ),
        # The delivery job's question: which pending deliveries are due?
        sa.Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )


class WebhookAttempt(db.Model):
    """One HTTP attempt of a delivery: what came back, or why nothing did, and how long it took."""

    __tablename__ = "webhook_attempts"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    delivery_id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger, sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: so.Mapped[datetime] = so.mapped_column(TZ)
    status_code: so.Mapped[int | None] = so.mapped_column()
    error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    duration_ms: so.Mapped[int] = so.mapped_column()
