"""Reports from the public pages (群众随手拍, issue 18): each case's tracking code (hashed), the
address it came from (hashed, for the limits), the proof of work it spent; failed look-ups by
address

Revision ID: 0041_public_reports
Revises: 0040_open311_triage
Create Date: 2026-12-06 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0041_public_reports"
down_revision = "0040_open311_triage"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "public_reports",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("work_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_public_reports_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_public_reports")),
        sa.UniqueConstraint("work_hash", name=op.f("uq_public_reports_work_hash")),
    )
    op.create_index("ix_public_reports_address_created", "public_reports", ["address_hash", "created_at"])
    op.create_table(
        "public_lookup_failures",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_lookup_failures")),
    )
    op.create_index("ix_public_lookup_failures_at", "public_lookup_failures", ["at"])
    op.create_index("ix_public_lookup_failures_address_at", "public_lookup_failures", ["address_hash", "at"])


def downgrade():
    op.drop_table("public_lookup_failures")
    op.drop_table("public_reports")
