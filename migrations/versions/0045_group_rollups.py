"""Stats flat with history (issue 20): the indicator rollups gain rows per category group (大类),
so that the statistics of a group read its own rows rather than one row per category of it. The
rollups are emptied and their watermark removed, so that the scheduler's next refresh (or
`flask gridcase refresh-stats --full`) rebuilds them in the new shape; until then the statistics
answer as never refreshed (as migration 0042 did).

Revision ID: 0045_group_rollups
Revises: 0044_reference_generation
Create Date: 2026-12-07 04:00:00

"""

from alembic import op

revision = "0045_group_rollups"
down_revision = "0044_reference_generation"
branch_labels = None
depends_on = None


def _rebuild_at_next_refresh():
    op.execute("TRUNCATE stats_rollups")
    op.execute("DELETE FROM stats_watermarks WHERE name = 'rollups'")


def upgrade():
    _rebuild_at_next_refresh()


def downgrade():
    _rebuild_at_next_refresh()
