"""The monthly report issued and frozen (issue 17): a centre's text for a node's month, saved as a
draft, and once the month is issued (签发) the snapshot every reader then reads

Revision ID: 0038_monthly_reports
Revises: 0037_monthly_screening
Create Date: 2026-12-06 06:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0038_monthly_reports"
down_revision = "0037_monthly_screening"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "monthly_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("centre_text", sa.Text(), nullable=False),
        sa.Column("draft_saved_at", TZ, nullable=True),
        sa.Column("draft_saved_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", TZ, nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint("extract(day FROM month) = 1", name=op.f("ck_monthly_reports_first_of_month")),
        sa.CheckConstraint(
            "(issued_at IS NULL) = (issued_by_id IS NULL) AND (issued_at IS NULL) = (snapshot IS NULL)",
            name=op.f("ck_monthly_reports_issued_whole"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_monthly_reports_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["draft_saved_by_id"], ["users.id"], name=op.f("fk_monthly_reports_draft_saved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_monthly_reports_issued_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_reports")),
        sa.UniqueConstraint("region_code", "month", name="uq_monthly_reports_region_month"),
    )


def downgrade():
    op.drop_table("monthly_reports")
