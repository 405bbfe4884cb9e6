"""Open311 clients (the other city systems that post requests) and the Open311 side of the cases
they created: the reporter's contact details, encrypted, and the media link."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import JSONB

from gridcase.extensions import db
from gridcase.people.models import User

TZ = sa.DateTime(timezone=True)


class Open311Client(db.Model):
    """A system allowed to POST service requests with an api_key (only its SHA-256 is stored).

    Each client reports as its own system user (role open311_client), so every public case
    keeps a reporter, its timeline names the system that brought it in, and the intake's rules
    (the city of the point, the source, idempotency per reporter) apply unchanged.
    """

    __tablename__ = "open311_clients"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    jurisdiction_id: so.Mapped[str] = so.mapped_column(sa.String(100))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), unique=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(TZ)

    user: so.Mapped[User] = so.relationship(lazy="joined")


class Open311Request(db.Model):
    """What an Open311 POST carried beyond the case itself.

    The reporter's email, names, phone, device and account ids are personal information: stored
    encrypted with the app's cipher, with masks for display, and returned by no endpoint.
    """

    __tablename__ = "open311_requests"

    # Cases are never deleted in service; the cascade only lets test clean-ups remove them.
    case_id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("open311_clients.id"), index=True)
    media_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    attributes: so.Mapped[dict] = so.mapped_column(JSONB, default=dict)
    email_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    first_name_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    last_name_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    phone_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    device_id_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    account_id_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    name_masked: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    email_masked: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    phone_masked: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
