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

    A request that cannot be placed in a grid — an address_string or address_id without a
    point, or a point outside every grid of the city — waits here with no case for the city
    centre's triage (待定位): the client was answered a `token`, and the case is registered
    when the centre places it on the map (or the request is dismissed).

    The reporter's email, names, phone, device and account ids are personal information: stored
    encrypted with the app's cipher, with masks for display, and returned by no endpoint.
    """

    __tablename__ = "open311_requests"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    # Cases are never deleted in service; the cascade only lets test clean-ups remove them.
    case_id: so.Mapped[int | None] = so.mapped_column(
        sa.BigInteger, sa.ForeignKey("cases.id", ondelete="CASCADE"), unique=True
    )
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("open311_clients.id"), index=True)
    media_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    # The defined attributes' values as case fields, and those the service does not define,
    # kept as the client sent them ({code: [values]}) and shown to the handlers as a note.
    attributes: so.Mapped[dict] = so.mapped_column(JSONB, default=dict)
    extra_attributes: so.Mapped[dict] = so.mapped_column(JSONB, default=dict, server_default="{}")
    address_id: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    # Triage (待定位): what the request said, kept until it is placed or dismissed.
    token: so.Mapped[str | None] = so.mapped_column(sa.String(32), unique=True)
    city_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    category_code: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    address_string: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    lon: so.Mapped[float | None] = so.mapped_column(sa.Float)  # a point outside every grid
    lat: so.Mapped[float | None] = so.mapped_column(sa.Float)
    case_fields: so.Mapped[dict] = so.mapped_column(JSONB, default=dict, server_default="{}")
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    placed_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    placed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    dismissed_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    dismissed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    dismiss_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    email_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    first_name_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    last_name_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    phone_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    device_id_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    account_id_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    name_masked: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    email_masked: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    phone_masked: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)  # when the request came in

    client: so.Mapped[Open311Client] = so.relationship(lazy="joined")

    __table_args__ = (
        # The triage queue: the city's requests still waiting, oldest first.
        sa.Index(
            "ix_open311_requests_triage",
            "city_code",
            "created_at",
            postgresql_where=sa.text("case_id IS NULL AND dismissed_at IS NULL"),
        ),
        # One triage request per client and Idempotency-Key, as cases are per reporter and key.
        sa.Index("uq_open311_requests_client_key", "client_id", "idempotency_key", unique=True),
    )


class PublicReport(db.Model):
    """A case a citizen reported on the public pages (群众随手拍): the keyed hash of the tracking
    code they were shown once (查询码: with the case's number it opens its progress and, once
    resolved, its 回访), the keyed hash of the address it came from (for the per-address limits,
    never the address itself), and the proof of work it spent (each works once)."""

    __tablename__ = "public_reports"

    case_id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    address_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    work_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)

    __table_args__ = (sa.Index("ix_public_reports_address_created", "address_hash", "created_at"),)


class PublicLookupFailure(db.Model):
    """A failed look-up of a case by number and code from one address (keyed hash): too many in
    an hour and the address waits, so codes cannot be guessed. Kept a day."""

    __tablename__ = "public_lookup_failures"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    address_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    at: so.Mapped[datetime] = so.mapped_column(TZ, index=True)

    __table_args__ = (sa.Index("ix_public_lookup_failures_address_at", "address_hash", "at"),)
