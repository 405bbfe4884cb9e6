"""The audit log table: append-only; rows older than the retention period may be pruned."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import JSONB

from gridcase.extensions import db


class AuditEntry(db.Model):
    """One security-relevant event. A database trigger refuses every UPDATE, and every DELETE
    of a row younger than 180 days (the minimum retention of 等保 2.0 level 3); the app's role
    may not even ask. Entries are chained in one line, each keyed to the one before
    (gridcase.audit.chain), so a missing or changed row shows."""

    __tablename__ = "audit_log"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(index=True)  # no FK: the log outlives accounts
    actor_username: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    # The city the entry concerns (its actor's, or the user's it is about); NULL: no city's,
    # shown to every auditor (a sign-in attempt under an unknown username, an import).
    city_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    ip: so.Mapped[str | None] = so.mapped_column(sa.String(45), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    target: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    result: so.Mapped[str] = so.mapped_column(sa.String(16), default="ok")
    details: so.Mapped[dict] = so.mapped_column(JSONB, default=dict)
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64))

    __table_args__ = (sa.CheckConstraint("result IN ('ok', 'failed', 'denied')", name="result"),)
