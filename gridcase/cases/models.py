"""Tables of the case record: categories, cases, parties, the event log, number counters."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import JSONB

from gridcase.cases.domain import DONE_STATUSES, OPEN_STATUSES, CaseKind, Severity, Source, Status
from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.people.models import User
from gridcase.territory.models import Region

TZ = sa.DateTime(timezone=True)


# The sets of gridcase.cases.domain in SQL, for partial indexes and set-based statements over
# `cases` (give the table's alias when the statement has one).
def open_sql(alias: str = "") -> str:
    """The case is open: `status IN ('pending', 'in_progress')`."""
    return f"{alias + '.' if alias else ''}status IN {Status.sql_values(OPEN_STATUSES)}"


def done_sql(alias: str = "") -> str:
    """The case is resolved or closed: `status IN ('resolved', 'closed')`."""
    return f"{alias + '.' if alias else ''}status IN {Status.sql_values(DONE_STATUSES)}"


def accepted_sql(alias: str = "") -> str:
    """The case counts as accepted (受理, DESIGN §5): not rejected, not a duplicate of another."""
    prefix = alias + "." if alias else ""
    return f"({prefix}status <> '{Status.REJECTED.value}' AND {prefix}duplicate_of_id IS NULL)"


OPEN_SQL = open_sql()


class Category(db.Model):
    """An entry of the catalogue (大类/小类). The catalogue is data, loaded from geodata/."""

    __tablename__ = "categories"

    code: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    parent_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("categories.code"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    name_en: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    default_severity: so.Mapped[str] = so.mapped_column(sa.String(16), default="general")
    # Working days per ladder level, overriding the configured defaults; NULL keeps them.
    time_limits: so.Mapped[dict | None] = so.mapped_column(JSONB)
    closing_standard: so.Mapped[str | None] = so.mapped_column(sa.Text)
    initials: so.Mapped[str | None] = so.mapped_column(sa.String(32))  # pinyin initials, for search
    public: so.Mapped[bool] = so.mapped_column(default=False)  # reportable via Open311
    active: so.Mapped[bool] = so.mapped_column(default=True)
    sort_order: so.Mapped[int] = so.mapped_column(default=0)

    children: so.Mapped[list[Category]] = so.relationship(
        back_populates="parent", order_by="Category.sort_order"
    )
    parent: so.Mapped[Category | None] = so.relationship(remote_side=[code], back_populates="children")

    __table_args__ = (sa.CheckConstraint(f"kind IN {CaseKind.sql_values()}", name="kind"),)


class Case(db.Model):
    """One incident (事件) or dispute (矛盾纠纷), for life under one public number."""

    __tablename__ = "cases"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    public_number: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    category_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("categories.code"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    severity: so.Mapped[str] = so.mapped_column(sa.String(16))
    people_involved: so.Mapped[int] = so.mapped_column(default=1)
    may_intensify: so.Mapped[bool] = so.mapped_column(default=False)
    source: so.Mapped[str] = so.mapped_column(sa.String(16))
    # 事发时间, when the person who brought it says it happened (the front desk asks).
    occurred_at: so.Mapped[datetime | None] = so.mapped_column(TZ)

    # Where: the WGS84 point, how good it was, what datum the client sent, the address text.
    location: so.Mapped[WKBElement] = so.mapped_column(Geometry("POINT", srid=SRID, spatial_index=True))
    location_accuracy_m: so.Mapped[float | None] = so.mapped_column(sa.Float)
    location_crs: so.Mapped[str] = so.mapped_column(sa.String(10), default="wgs84")
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")

    # The territory path of the containing grid: scope filters are one equality on these,
    # and a provincial deployment shards on city_code.
    city_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    district_code: so.Mapped[str | None] = so.mapped_column(sa.String(15), index=True)
    township_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    community_code: so.Mapped[str] = so.mapped_column(sa.String(15), index=True)
    grid_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"), index=True)

    # Lifecycle and the ladder.
    status: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    level: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    initial_level: so.Mapped[str] = so.mapped_column(sa.String(16))
    highest_level: so.Mapped[str] = so.mapped_column(sa.String(16))
    resolved_level: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    level_started_at: so.Mapped[datetime] = so.mapped_column(TZ)
    warn_at: so.Mapped[datetime] = so.mapped_column(TZ)  # yellow light from here
    due_at: so.Mapped[datetime] = so.mapped_column(TZ, index=True)  # red light from here
    extension_days: so.Mapped[int] = so.mapped_column(default=0)  # approved, at this level
    # A request for more time (延期申请) waiting for the level above to decide.
    extension_requested_days: so.Mapped[int | None] = so.mapped_column()
    extension_requested_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    escalation_count: so.Mapped[int] = so.mapped_column(default=0)
    reopen_count: so.Mapped[int] = so.mapped_column(default=0)
    overdue_at: so.Mapped[datetime | None] = so.mapped_column(TZ)  # marked overdue at the top
    supervised_at: so.Mapped[datetime | None] = so.mapped_column(TZ)  # under 督办 since

    reporter_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    assignee_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    duplicate_of_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id"))

    resolution_outcome: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    resolution_summary: so.Mapped[str | None] = so.mapped_column(sa.Text)
    resolved_on_time: so.Mapped[bool | None] = so.mapped_column()
    satisfaction: so.Mapped[str | None] = so.mapped_column(sa.String(24))

    created_at: so.Mapped[datetime] = so.mapped_column(TZ, index=True)
    accepted_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    # Who resolved it (never its verifier), and the verification's own clock (待核查): due some
    # working days after the resolution; when the sweep found it late.
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    verify_due_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    verify_overdue_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    # When the current resolution had its 回访 (cleared when the case is handled again; the
    # last answer, `satisfaction`, stays for the indicators).
    revisited_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    # How the last revisit reached the person (RevisitMethod): set only by a revisit made by
    # someone other than the handler, so satisfaction counts only where it is set.
    revisit_method: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    updated_at: so.Mapped[datetime] = so.mapped_column(TZ)

    # Optimistic concurrency: every change bumps it; a request with an older one gets 409.
    version: so.Mapped[int] = so.mapped_column(default=1)

    # The reporting system's own number of it (a 12345 hotline's 工单号): shown and searchable.
    external_ref: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    # Idempotent intake: the same reporter and key always mean the same case.
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    request_fingerprint: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    category: so.Mapped[Category] = so.relationship(lazy="joined")
    grid: so.Mapped[Region] = so.relationship(foreign_keys=[grid_code], lazy="joined")
    reporter: so.Mapped[User] = so.relationship(foreign_keys=[reporter_id], lazy="joined")
    assignee: so.Mapped[User | None] = so.relationship(foreign_keys=[assignee_id], lazy="joined")
    parties: so.Mapped[list[CaseParty]] = so.relationship(
        back_populates="case", order_by="CaseParty.id", cascade="all, delete-orphan"
    )
    informant: so.Mapped[CaseInformant | None] = so.relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    events: so.Mapped[list[CaseEvent]] = so.relationship(
        back_populates="case", order_by="CaseEvent.seq", viewonly=True
    )

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {CaseKind.sql_values()}", name="kind"),
        sa.CheckConstraint(f"severity IN {Severity.sql_values()}", name="severity"),
        sa.CheckConstraint(f"status IN {Status.sql_values()}", name="status"),
        sa.CheckConstraint(f"source IN {Source.sql_values()}", name="source"),
        sa.CheckConstraint("people_involved >= 0", name="people_involved"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index(
            "uq_cases_reporter_idempotency_key",
            "reporter_id",
            "idempotency_key",
            unique=True,
            postgresql_where=sa.text("idempotency_key IS NOT NULL"),
        ),
        # One case per work order of a reporting system (its system user).
        sa.Index(
            "uq_cases_reporter_external_ref",
            "reporter_id",
            "external_ref",
            unique=True,
            postgresql_where=sa.text("external_ref IS NOT NULL"),
        ),
        # Open cases by due time: the stats refresh asks whose due time passed since the last
        # one (gridcase.stats.rollups).
        sa.Index(
            "ix_cases_open_due",
            "due_at",
            postgresql_where=sa.text(OPEN_SQL),
        ),
        # The sweep's question, in its order: open, past due, not yet under 督办 at the top.
        sa.Index(
            "ix_cases_sweep_due",
            "due_at",
            "id",
            postgresql_where=sa.text(f"{OPEN_SQL} AND overdue_at IS NULL"),
        ),
        # The sweep's late verifications: resolved, past the verification's due time.
        sa.Index(
            "ix_cases_verify_due",
            "verify_due_at",
            postgresql_where=sa.text("status = 'resolved' AND verify_overdue_at IS NULL"),
        ),
        # The workbench queue's default: open cases at a level, most urgent first.
        sa.Index(
            "ix_cases_open_level_due",
            "level",
            "due_at",
            "id",
            postgresql_where=sa.text(OPEN_SQL),
        ),
        # The queue of an area: open cases of a township, a community or a grid.
        sa.Index(
            "ix_cases_open_area",
            "township_code",
            "community_code",
            "grid_code",
            postgresql_where=sa.text(OPEN_SQL),
        ),
        # The 待核查 count of every queue page: resolved cases whose resolver is known (a
        # verification is given by who resolved, so no other case awaits one).
        sa.Index(
            "ix_cases_awaiting_verification",
            "resolved_level",
            postgresql_where=sa.text("status = 'resolved' AND resolved_by_id IS NOT NULL"),
        ),
        # The duplicate search at intake looks among open cases only.
        sa.Index(
            "ix_cases_open_location",
            "location",
            postgresql_using="gist",
            postgresql_where=sa.text(OPEN_SQL),
        ),
        # ix_cases_search_trgm, a trigram index for keyword search (q) over title, description
        # and address, is an expression index made in the migration: Alembic cannot compare it.
    )


def is_open() -> sa.ColumnElement[bool]:
    """`status IN ('pending', 'in_progress')` with the values written inline, exactly as the
    partial indexes over open cases say it (OPEN_SQL): bound parameters would hide from the
    planner that those indexes apply (in a generic plan of a prepared statement)."""
    return Case.status.in_([sa.literal_column(f"'{status.value}'") for status in OPEN_STATUSES])


def unindexed(column: sa.ColumnElement) -> sa.ColumnElement:
    """`column`'s value through an expression no index offers (`|| ''` for text, `+ interval
    '0'` for a time): the planner then finds rows by the other conditions' indexes only. Given
    the bare column, a prepared statement's generic plan, or a wide estimate, took that
    column's index or crossed it with another's and read thousands of rows to keep a few
    (issue 20: the duplicate search, the keyword search's order)."""
    if isinstance(column.type, sa.String):
        return column.concat(sa.literal_column("''"))
    return column + sa.literal_column("interval '0'", sa.Interval)


class EncryptedPerson:
    """A person's name, ID number and phone: encrypted, with masks kept for display and the ID
    number's keyed hash to find the same person across cases without decrypting
    (gridcase.cases.parties writes and reveals them; retention anonymises them)."""

    name_encrypted: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    id_number_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    phone_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    name_masked: so.Mapped[str] = so.mapped_column(sa.String(64))
    id_number_masked: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    phone_masked: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    id_number_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    anonymised_at: so.Mapped[datetime | None] = so.mapped_column(TZ)


class CaseParty(EncryptedPerson, db.Model):
    """A party to a dispute."""

    __tablename__ = "case_parties"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_role: so.Mapped[str] = so.mapped_column(sa.String(16))

    case: so.Mapped[Case] = so.relationship(back_populates="parties")


class CaseInformant(EncryptedPerson, db.Model):
    """The person who brought the matter (反映人: the visitor at the desk, the caller, the letter's
    writer) — a citizen, not the user who logged the case (Case.reporter). One per case."""

    __tablename__ = "case_informants"

    case_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )

    case: so.Mapped[Case] = so.relationship(back_populates="informant")


class RevisitInvitation(db.Model):
    """A one-time code (回访码) with which the person who brought a matter, or a party, answers
    its revisit themselves: on a printed slip (with a QR code) or by SMS. Only the code's keyed
    hash is kept; it works once, until it expires."""

    __tablename__ = "revisit_invitations"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # Who answers: the informant (party_id empty) or one party.
    party_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("case_parties.id", ondelete="CASCADE"))
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    delivery: so.Mapped[str] = so.mapped_column(sa.String(8))  # slip, sms
    issued_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    issued_at: so.Mapped[datetime] = so.mapped_column(TZ)
    expires_at: so.Mapped[datetime] = so.mapped_column(TZ)
    answered_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    # By SMS, the invitation is its own outbox row: the code encrypted until it is sent (then
    # erased), sent by the scheduler with retries, never at night.
    code_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    sms_status: so.Mapped[str | None] = so.mapped_column(sa.String(8))  # pending, sent, failed
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    next_attempt_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    sent_at: so.Mapped[datetime | None] = so.mapped_column(TZ)

    __table_args__ = (
        sa.CheckConstraint("delivery IN ('slip', 'sms')", name="delivery"),
        sa.CheckConstraint("sms_status IN ('pending', 'sent', 'failed')", name="sms_status"),
        sa.Index(
            "ix_revisit_invitations_sms_due",
            "next_attempt_at",
            postgresql_where=sa.text("sms_status = 'pending'"),
        ),
    )


class CaseEvent(db.Model):
    """One entry of a case's event log: append-only (a trigger refuses UPDATE and DELETE) and
    hash-chained per case: `hash = HMAC-SHA256(prev_hash + canonical JSON of this event)`
    under the chain key (gridcase.cases.events)."""

    __tablename__ = "case_events"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    seq: so.Mapped[int] = so.mapped_column()
    at: so.Mapped[datetime] = so.mapped_column(TZ)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))  # NULL: system
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(16))
    from_level: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    to_level: so.Mapped[str] = so.mapped_column(sa.String(16))
    payload: so.Mapped[dict] = so.mapped_column(JSONB, default=dict)
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64))

    case: so.Mapped[Case] = so.relationship(back_populates="events")
    actor: so.Mapped[User | None] = so.relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)


class CaseAttachment(db.Model):
    """A photo of a case, cleaned of metadata (see gridcase.cases.photos). Kept in PostgreSQL,
    the only store, so backups and replicas carry it with the case."""

    __tablename__ = "case_attachments"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    uploaded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(32))
    width: so.Mapped[int] = so.mapped_column()
    height: so.Mapped[int] = so.mapped_column()
    size_bytes: so.Mapped[int] = so.mapped_column()
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)
    thumbnail: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)
    # A phone retrying an upload after losing signal sends the same key: one photo, not two.
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(128))

    __table_args__ = (
        sa.Index(
            "uq_case_attachments_case_key",
            "case_id",
            "idempotency_key",
            unique=True,
            postgresql_where=sa.text("idempotency_key IS NOT NULL"),
        ),
    )


class CaseNumberCounter(db.Model):
    """Last sequence number used per city and local day, for public numbers."""

    __tablename__ = "case_number_counters"

    city_code: so.Mapped[str] = so.mapped_column(sa.String(6), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    last: so.Mapped[int] = so.mapped_column(default=0)


class Supervision(db.Model):
    """A 督办单 of the city command centre on a case: addressed to the level handling it or to
    a unit at work on it, with a requirement, a reply deadline and a grade (黄牌/红牌); the
    target's written reply; the centre's evaluation (accepted, or 督办 again: a new red one)."""

    __tablename__ = "supervisions"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    grade: so.Mapped[str] = so.mapped_column(sa.String(8))  # yellow | red
    target_level: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    target_unit_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("units.code"))
    # A named person of the level addressed (责任人), who replies; None: any of its handlers.
    target_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    requirement: so.Mapped[str] = so.mapped_column(sa.Text)
    issued_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    issued_at: so.Mapped[datetime] = so.mapped_column(TZ)
    reply_due_at: so.Mapped[datetime] = so.mapped_column(TZ)
    status: so.Mapped[str] = so.mapped_column(sa.String(12))  # open, replied, accepted, again
    reply: so.Mapped[str | None] = so.mapped_column(sa.Text)
    replied_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    replied_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    evaluation_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    evaluated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    evaluated_at: so.Mapped[datetime | None] = so.mapped_column(TZ)

    target_user: so.Mapped[User | None] = so.relationship(foreign_keys=[target_user_id])

    __table_args__ = (
        sa.CheckConstraint("grade IN ('yellow', 'red')", name="grade"),
        sa.CheckConstraint("status IN ('open', 'replied', 'accepted', 'again')", name="status"),
        sa.CheckConstraint("(target_level IS NULL) <> (target_unit_code IS NULL)", name="one_target"),
        sa.CheckConstraint("target_user_id IS NULL OR target_level IS NOT NULL", name="person_of_a_level"),
        # One 督办单 at a time per case: the open or replied one.
        sa.Index(
            "uq_supervisions_case_open",
            "case_id",
            unique=True,
            postgresql_where=sa.text("status IN ('open', 'replied')"),
        ),
    )
