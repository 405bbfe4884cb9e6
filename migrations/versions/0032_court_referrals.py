"""Disputes a court refers to mediation before registering the suit (诉前调解 / 委派调解, issue
15): the court and its number, the 30-day period, its reminders and the result reported back

Revision ID: 0032_court_referrals
Revises: 0031_mediation_evidence
Create Date: 2026-12-06 04:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0032_court_referrals"
down_revision = "0031_mediation_evidence"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "court_referrals",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("court_unit_code", sa.String(length=40), nullable=False),
        sa.Column("court_number", sa.String(length=60), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("extended_at", TZ, nullable=True),
        sa.Column("reminded_at", TZ, nullable=True),
        sa.Column("overdue_at", TZ, nullable=True),
        sa.Column("result", sa.String(length=12), nullable=True),
        sa.Column("result_note", sa.Text(), nullable=True),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", TZ, nullable=True),
        sa.CheckConstraint(
            "result IN ('mediated', 'failed', 'withdrawn')", name=op.f("ck_court_referrals_result")
        ),
        sa.CheckConstraint("(result IS NULL) = (reported_at IS NULL)", name=op.f("ck_court_referrals_reported")),
        sa.CheckConstraint("due_on > referred_on", name=op.f("ck_court_referrals_period")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_court_referrals_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["court_unit_code"], ["units.code"], name=op.f("fk_court_referrals_court_unit_code_units")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_court_referrals_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_court_referrals_reported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_court_referrals")),
    )
    op.create_index(
        "ix_court_referrals_open", "court_referrals", ["due_on"], postgresql_where=sa.text("result IS NULL")
    )


def downgrade():
    op.drop_index("ix_court_referrals_open", table_name="court_referrals")
    op.drop_table("court_referrals")
