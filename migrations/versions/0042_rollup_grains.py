"""Stats flat with history (issue 20): the indicator rollups gain the city's own rows and months
and years of every level; open cases past due get an index that answers the live overdue count
alone. The rollups are emptied and their watermark removed, so that the scheduler's next
refresh (or `flask gridcase refresh-stats --full`) rebuilds them in the new shape; until then
the statistics answer as never refreshed.

Revision ID: 0042_rollup_grains
Revises: 0041_public_reports
Create Date: 2026-12-07 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0042_rollup_grains"
down_revision = "0041_public_reports"
branch_labels = None
depends_on = None


def _rebuild_at_next_refresh():
    op.execute("TRUNCATE stats_rollups")
    op.execute("DELETE FROM stats_watermarks WHERE name = 'rollups'")


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


def upgrade():
    op.create_index(
        "ix_cases_open_overdue_stats",
        "cases",
        ["due_at"],
        postgresql_include=OVERDUE_COLUMNS,
        postgresql_where=sa.text("status IN ('pending', 'in_progress')"),
    )
    _rebuild_at_next_refresh()


def downgrade():
    op.drop_index("ix_cases_open_overdue_stats", table_name="cases")
    _rebuild_at_next_refresh()
