"""One notification per recipient."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    message: so.Mapped[str] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    read_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        # The inbox query: a user's notifications, unread first, newest first.
        sa.Index("ix_notifications_user_unread", "user_id", "read_at", sa.text("created_at DESC")),
    )
