"""Assessment schemes (考核方案), versioned per city and kind of subject (issue 17)

Revision ID: 0039_assessment
Revises: 0038_monthly_reports
Create Date: 2026-12-06 06:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0039_assessment"
down_revision = "0038_monthly_reports"
branch_labels = None
depends_on = None

SUBJECTS = ("township", "community", "grid", "grid_worker", "unit")
INDICATORS = (
    "resolution_rate", "local_resolution_rate", "township_containment_rate", "on_time_rate",
    "satisfaction_rate", "escalation_rate", "reopen_rate", "agreement_performance_rate",
    "patrol_coverage", "screening_on_time_rate", "reported", "visits", "sign_on_time_rate",
    "finish_on_time_rate", "return_rate", "rework_rate", "supervised", "yellow_cards", "red_cards",
    "public_safety_survey",
)  # fmt: skip


def upgrade():
    op.create_table(
        "assessment_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(length=15), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"subject IN {SUBJECTS}", name=op.f("ck_assessment_schemes_subject")),
        sa.CheckConstraint(
            "extract(day FROM effective_from) = 1", name=op.f("ck_assessment_schemes_effective_from_first_day")
        ),
        sa.ForeignKeyConstraint(["city_code"], ["regions.code"], name=op.f("fk_assessment_schemes_city_code_regions")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_assessment_schemes_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_schemes")),
        sa.UniqueConstraint("city_code", "subject", "version", name="uq_assessment_schemes_version"),
    )
    op.create_table(
        "assessment_scheme_items",
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("points", sa.Numeric(6, 2), nullable=False),
        sa.Column("target", sa.Numeric(8, 4), nullable=True),
        sa.Column("cap", sa.Numeric(6, 2), nullable=True),
        sa.CheckConstraint(f"indicator IN {INDICATORS}", name=op.f("ck_assessment_scheme_items_indicator")),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["assessment_schemes.id"],
            name=op.f("fk_assessment_scheme_items_scheme_id_assessment_schemes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scheme_id", "position", name=op.f("pk_assessment_scheme_items")),
    )


def downgrade():
    op.drop_table("assessment_scheme_items")
    op.drop_table("assessment_schemes")
