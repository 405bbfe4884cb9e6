"""Stats: indicator rollups and their watermark, alert acknowledgement notes, indexes for the refresh

Revision ID: 0004_stats
Revises: 0003_web
Create Date: 2026-11-25 15:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_stats"
down_revision = "0003_web"
branch_labels = None
depends_on = None


# Histograms of rollup rows are put end to end with this aggregate (PostgreSQL's own example of
# a user-defined aggregate); OR REPLACE because a test database keeps functions between rebuilds.
CONCAT_AGGREGATE = (
    "CREATE OR REPLACE AGGREGATE stats_array_concat (anycompatiblearray) "
    "(SFUNC = array_cat, STYPE = anycompatiblearray, INITCOND = '{}')"
)


def upgrade():
    op.execute(CONCAT_AGGREGATE)
    op.create_table(
        "stats_rollups",
        sa.Column("grain", sa.String(length=32, collation="C"), nullable=False),
        sa.Column("region_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("category_code", sa.String(length=16, collation="C"), nullable=False),
        sa.Column("kind", sa.String(length=16, collation="C"), nullable=False),
        sa.Column("parent_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("city_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("district_code", sa.String(length=15, collation="C"), nullable=True),
        sa.Column("township_code", sa.String(length=15, collation="C"), nullable=True),
        sa.Column("community_code", sa.String(length=15, collation="C"), nullable=True),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("started_local", sa.Integer(), nullable=False),
        sa.Column("resolved_local", sa.Integer(), nullable=False),
        sa.Column("started_contained", sa.Integer(), nullable=False),
        sa.Column("resolved_contained", sa.Integer(), nullable=False),
        sa.Column("resolved_on_time", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("revisited", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("accept_buckets", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("accept_counts", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("resolve_buckets", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("resolve_counts", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain", "region_code", "period_start", "category_code", "kind", name=op.f("pk_stats_rollups")
        ),
    )
    op.create_index(
        "ix_stats_rollups_children", "stats_rollups", ["grain", "parent_code", "period_start"], unique=False
    )
    op.create_index(
        "ix_stats_rollups_children_category",
        "stats_rollups",
        ["grain", "parent_code", "category_code", "period_start"],
        unique=False,
    )

    op.create_table(
        "stats_watermarks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stats_watermarks")),
    )

    op.add_column("alerts", sa.Column("acknowledge_note", sa.Text(), nullable=True))
    op.create_index(op.f("ix_alerts_grid_code"), "alerts", ["grid_code"], unique=False)

    # The refresh finds changed cases by updated_at and recounts a (day, grid) pair by grid and
    # creation time.
    op.create_index("ix_cases_updated_at", "cases", ["updated_at"], unique=False)
    op.create_index("ix_cases_grid_created", "cases", ["grid_code", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_cases_grid_created", table_name="cases")
    op.drop_index("ix_cases_updated_at", table_name="cases")
    op.drop_index(op.f("ix_alerts_grid_code"), table_name="alerts")
    op.drop_column("alerts", "acknowledge_note")
    op.drop_table("stats_watermarks")
    op.drop_index("ix_stats_rollups_children_category", table_name="stats_rollups")
    op.drop_index("ix_stats_rollups_children", table_name="stats_rollups")
    op.drop_table("stats_rollups")
    op.execute("DROP AGGREGATE IF EXISTS stats_array_concat (anycompatiblearray)")
