"""The workbench queue at millions of cases (issue 20): the open cases by level and due time and
by area, and the resolved cases awaiting verification

The queue a coordinator starts from (open cases at their level, most urgent first) counted its
cases by intersecting the open cases with every case ever at that level (425,000 at 5 million);
the 待核查 count on every queue page read every resolved case of the city (half a million) to
find those whose verification falls to the viewer; the queue of a township intersected its open
cases with the half million the township ever had. Each now has a partial index as small as
the work: the open cases by level and due time, and by township, community and grid; and the
resolved cases whose resolver is known (the verification rule names the resolver, so a case
without one is never awaited).

Revision ID: 0043_queue_indexes
Revises: 0042_rollup_grains
Create Date: 2026-12-06 23:00:00

"""

from alembic import op

revision = "0043_queue_indexes"
down_revision = "0042_rollup_grains"
branch_labels = None
depends_on = None

OPEN = "status IN ('pending', 'in_progress')"


def upgrade():
    op.execute(f"CREATE INDEX ix_cases_open_level_due ON cases (level, due_at, id) WHERE {OPEN}")
    op.execute(
        f"CREATE INDEX ix_cases_open_area ON cases (township_code, community_code, grid_code) WHERE {OPEN}"
    )
    op.execute(
        "CREATE INDEX ix_cases_awaiting_verification ON cases (resolved_level) "
        "WHERE status = 'resolved' AND resolved_by_id IS NOT NULL"
    )


def downgrade():
    op.execute("DROP INDEX ix_cases_awaiting_verification")
    op.execute("DROP INDEX ix_cases_open_area")
    op.execute("DROP INDEX ix_cases_open_level_due")
