"""The overdue count (超期未办结) joins the rollups (issue 20): each row counts its cases that were
open and past due at the refresh that counted it, and the refresh recounts a case's row when its
due time passes as well as when it changes. The indicator table then reads the count with the
rest instead of from the cases, whose open overdue cases grow with the history (about 5,000 in a
city of 5 million cases: most of a read's growth). The index of open cases that answered the
live count goes; the refresh finds the cases whose due time passed by ix_cases_open_due.

The rollups are emptied and their watermark removed, as in 0042, so that the scheduler's next
refresh (or `flask gridcase refresh-stats --full`) rebuilds them with the new count.

Revision ID: 0047_overdue_in_rollups
Revises: 0046_credential_generation
Create Date: 2026-12-07 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0047_overdue_in_rollups"
down_revision = "0046_credential_generation"
branch_labels = None
depends_on = None

OVERDUE_COLUMNS = [
    "created_at",
    "city_code",
    "district_code",
    "township_code",
    "community_code",
    "grid_code",
    "kind",
    "category_code",
]


def _rebuild_at_next_refresh():
    op.execute("TRUNCATE stats_rollups")
    op.execute("DELETE FROM stats_watermarks WHERE name = 'rollups'")


def upgrade():
    _rebuild_at_next_refresh()
    op.add_column(
        "stats_rollups", sa.Column("overdue_open", sa.Integer(), nullable=False, server_default="0")
    )
    op.drop_index("ix_cases_open_overdue_stats", table_name="cases")


def downgrade():
    _rebuild_at_next_refresh()
    op.drop_column("stats_rollups", "overdue_open")
    op.create_index(
        "ix_cases_open_overdue_stats",
        "cases",
        ["due_at"],
        postgresql_include=OVERDUE_COLUMNS,
        postgresql_where=sa.text("status IN ('pending', 'in_progress')"),
    )
