"""Tables of 人民调解: the agreements (调解协议书) and their numbers, the sessions and inquiries
with their records (笔录), and the mediators invited from outside, the evidence files, the
referrals from a court (诉前调解)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.extensions import db
from gridcase.mediation.domain import Confirmation, EvidenceKind, Performance, ReferralResult, SessionKind

TZ = sa.DateTime(timezone=True)


class MediationAgreement(db.Model):
    """A 人民调解协议书 reached on a dispute (人民调解法 第二十八、二十九条): the committee that
    made it and its number by committee and year (〔2026〕第12号), the facts and the points in
    dispute, the agreed terms, how and by when they are performed, the mediator. The parties'
    full details are written on the document only (taken from the case's encrypted parties when
    it is produced), never stored here in clear."""

    __tablename__ = "mediation_agreements"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    committee_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("regions.code"))
    committee_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    year: so.Mapped[int] = so.mapped_column()
    sequence: so.Mapped[int] = so.mapped_column()
    facts: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # 纠纷主要事实
    disputed_points: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # 争议事项
    terms: so.Mapped[str] = so.mapped_column(sa.Text)  # 协议内容
    performance_method: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # 履行方式
    performance_deadline: so.Mapped[date] = so.mapped_column(sa.Date)
    signed_at: so.Mapped[date | None] = so.mapped_column(sa.Date)
    mediator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
    # The copy the parties signed, scanned or photographed and uploaded back: the archived original.
    signed_original_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("case_attachments.id", ondelete="RESTRICT")
    )
    # … or, when the scan is a PDF, the evidence file holding it.
    signed_original_evidence_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey(
            "mediation_evidence.id", ondelete="RESTRICT", name="fk_mediation_agreements_signed_evidence"
        )
    )
    # 履行: the sweep reminds the mediator once the deadline has come; the outcome is recorded.
    performance_reminded_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    performance: so.Mapped[str | None] = so.mapped_column(sa.String(16))  # Performance
    performance_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    performance_recorded_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    # 司法确认: the parties may apply within 30 days of the agreement taking effect.
    confirmation_due: so.Mapped[date] = so.mapped_column(sa.Date)
    confirmation_reminded_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    confirmation: so.Mapped[str | None] = so.mapped_column(sa.String(12))  # Confirmation
    confirmation_unit_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("units.code"))
    confirmation_applied_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    confirmation_decided_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    confirmation_note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    __table_args__ = (
        sa.UniqueConstraint("committee_code", "year", "sequence", name="number"),
        sa.CheckConstraint(f"performance IN {Performance.sql_values()}", name="performance"),
        sa.CheckConstraint(f"confirmation IN {Confirmation.sql_values()}", name="confirmation"),
        sa.Index(
            "ix_mediation_agreements_to_remind",
            "performance_deadline",
            postgresql_where=sa.text("performance IS NULL AND performance_reminded_at IS NULL"),
        ),
    )

    @property
    def number(self) -> str:
        """The document number as the committee writes it: 〔2026〕第12号."""
        return f"〔{self.year}〕第{self.sequence}号"


class AgreementNumberCounter(db.Model):
    """The last number a committee gave an agreement in a year: serialises concurrent ones."""

    __tablename__ = "agreement_number_counters"

    committee_code: so.Mapped[str] = so.mapped_column(sa.String(15), primary_key=True)
    year: so.Mapped[int] = so.mapped_column(primary_key=True)
    last: so.Mapped[int] = so.mapped_column(default=0)


class MediationInvitation(db.Model):
    """An invited mediator (特邀调解员: 乡贤, a lawyer, a social organisation) asked onto a case by
    a handler of it; they see the case while the invitation stands (until withdrawn)."""

    __tablename__ = "mediation_invitations"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    mediator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    invited_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    invited_at: so.Mapped[datetime] = so.mapped_column(TZ)
    withdrawn_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(TZ)

    __table_args__ = (
        sa.Index(
            "uq_mediation_invitations_standing",
            "case_id",
            "mediator_id",
            unique=True,
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        ),
    )


session_mediators = sa.Table(
    "mediation_session_mediators",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("mediation_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
)

session_parties = sa.Table(
    "mediation_session_parties",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("mediation_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("party_id", sa.ForeignKey("case_parties.id", ondelete="CASCADE"), primary_key=True),
)


class MediationSession(db.Model):
    """A sitting of the mediation (调解) or an inquiry (调查): when and where, the mediators
    (accounts: the committee's people and invited mediators), the parties who attended, and its
    record — 调解笔录 (what each party said) or 调查记录 — encrypted at rest like the parties,
    for it is their words."""

    __tablename__ = "mediation_sessions"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # SessionKind
    held_at: so.Mapped[datetime] = so.mapped_column(TZ)
    place: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    record_encrypted: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    recorded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
    anonymised_at: so.Mapped[datetime | None] = so.mapped_column(TZ)  # retention: the words erased

    mediators = so.relationship("User", secondary=session_mediators, order_by="User.id")
    parties = so.relationship("CaseParty", secondary=session_parties, order_by="CaseParty.id")

    __table_args__ = (sa.CheckConstraint(f"kind IN {SessionKind.sql_values()}", name="kind"),)


class MediationCaseFile(db.Model):
    """A dispute's case file (人民调解卷宗) as archived: the PDF bound when the dispute was
    closed with nothing left to follow up, and its SHA-256. Every copy from then on is this one."""

    __tablename__ = "mediation_case_files"

    case_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("cases.id", ondelete="RESTRICT"), primary_key=True
    )
    archived_at: so.Mapped[datetime] = so.mapped_column(TZ)
    pdf: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))


class MediationEvidence(db.Model):
    """An evidence file of a dispute beyond its photos: a PDF document, an audio or a video
    recording (gridcase/mediation/evidence_files.py says what is accepted). The bytes and the
    title are the parties' business: encrypted at rest (fields "evidence_data", "evidence_title"),
    rotated with the other personal data, erased with the parties at the end of retention — the
    row stays, with its fingerprint, so the case file's list of materials still adds up."""

    __tablename__ = "mediation_evidence"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    uploaded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(TZ)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))  # EvidenceKind
    content_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    extension: so.Mapped[str] = so.mapped_column(sa.String(8))
    title_encrypted: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    size_bytes: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    pages: so.Mapped[int | None] = so.mapped_column()
    duration_seconds: so.Mapped[float | None] = so.mapped_column(sa.Float)
    data_encrypted: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    erased_at: so.Mapped[datetime | None] = so.mapped_column(TZ)  # retention: the bytes erased

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {EvidenceKind.sql_values()}", name="kind"),
        sa.CheckConstraint("(data_encrypted IS NULL) = (erased_at IS NOT NULL)", name="erased"),
        sa.UniqueConstraint("case_id", "idempotency_key", name="uq_mediation_evidence_case_key"),
    )


class CourtReferral(db.Model):
    """A dispute a court referred to mediation before registering the suit (委派调解 / 诉前调解):
    which court and its number for the matter (e.g. (2026)浙0681民诉前调123号), the day it was
    referred and the day the mediation period ends (30 days, longer only as both parties agree),
    then the result reported back to the court. One per case: the case is the court's matter."""

    __tablename__ = "court_referrals"

    case_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("cases.id", ondelete="RESTRICT"), primary_key=True
    )
    court_unit_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("units.code"))
    court_number: so.Mapped[str] = so.mapped_column(sa.String(60))  # 法院案号
    referred_on: so.Mapped[date] = so.mapped_column(sa.Date)  # 委派日期
    due_on: so.Mapped[date] = so.mapped_column(sa.Date)  # 调解期限届满日
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    recorded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    recorded_at: so.Mapped[datetime] = so.mapped_column(TZ)
    extended_at: so.Mapped[datetime | None] = so.mapped_column(TZ)  # the latest extension
    # The sweep tells the case's handlers once when the period nears its end, once when it ends.
    reminded_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    overdue_at: so.Mapped[datetime | None] = so.mapped_column(TZ)
    result: so.Mapped[str | None] = so.mapped_column(sa.String(12))  # ReferralResult
    result_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    reported_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    reported_at: so.Mapped[datetime | None] = so.mapped_column(TZ)

    court = so.relationship("Unit", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(f"result IN {ReferralResult.sql_values()}", name="result"),
        sa.CheckConstraint("(result IS NULL) = (reported_at IS NULL)", name="reported"),
        sa.CheckConstraint("due_on > referred_on", name="period"),
        sa.Index("ix_court_referrals_open", "due_on", postgresql_where=sa.text("result IS NULL")),
    )
