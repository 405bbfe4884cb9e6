"""Evidence files of a dispute beyond photos (issue 15): PDF documents, audio and video
recordings, encrypted at rest with their titles; an agreement's signed original may be one (a
PDF scan).

Revision ID: 0031_mediation_evidence
Revises: 0030_agreement_performance_rate
Create Date: 2026-12-06 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0031_mediation_evidence"
down_revision = "0030_agreement_performance_rate"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mediation_evidence",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("title_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("data_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('document', 'audio', 'video')", name=op.f("ck_mediation_evidence_kind")
        ),
        sa.CheckConstraint(
            "(data_encrypted IS NULL) = (erased_at IS NOT NULL)", name=op.f("ck_mediation_evidence_erased")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mediation_evidence_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_mediation_evidence_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_evidence")),
        sa.UniqueConstraint("case_id", "idempotency_key", name="uq_mediation_evidence_case_key"),
    )
    op.create_index(op.f("ix_mediation_evidence_case_id"), "mediation_evidence", ["case_id"])
    # Out of line and uncompressed: the bytes are encrypted (incompressible), and key rotation
    # reads a value's first two bytes (format and key id) without fetching the whole file.
    op.execute("ALTER TABLE mediation_evidence ALTER COLUMN data_encrypted SET STORAGE EXTERNAL")
    op.add_column(
        "mediation_agreements", sa.Column("signed_original_evidence_id", sa.BigInteger(), nullable=True)
    )
    op.create_foreign_key(
        "fk_mediation_agreements_signed_evidence",
        "mediation_agreements",
        "mediation_evidence",
        ["signed_original_evidence_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def downgrade():
    op.drop_constraint(
        "fk_mediation_agreements_signed_evidence",
        "mediation_agreements",
        type_="foreignkey",
    )
    op.drop_column("mediation_agreements", "signed_original_evidence_id")
    op.drop_index(op.f("ix_mediation_evidence_case_id"), table_name="mediation_evidence")
    op.drop_table("mediation_evidence")
