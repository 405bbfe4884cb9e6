"""Indexes over open cases only, so that intake and the sweep cost the same whatever the history

The duplicate search at intake (same category, open, within 100 m, last 7 days) used the
location index of every case ever logged: at 5 million cases a busy spot holds thousands of
closed ones, each fetched and thrown away. The sweep's question (open, past due, not yet
marked overdue) read past every case already under 督办 at the top level, every minute. Both
now have a partial index of their own, as small as the open workload.

Revision ID: 0007_open_case_indexes
Revises: 0006_security
Create Date: 2026-11-25 17:40:00

"""

from alembic import op

revision = "0007_open_case_indexes"
down_revision = "0006_security"
branch_labels = None
depends_on = None

OPEN = "status IN ('pending', 'in_progress')"


def upgrade():
    op.execute(f"CREATE INDEX ix_cases_open_location ON cases USING gist (location) WHERE {OPEN}")
    op.execute(f"CREATE INDEX ix_cases_sweep_due ON cases (due_at, id) WHERE {OPEN} AND overdue_at IS NULL")


def downgrade():
    op.execute("DROP INDEX ix_cases_sweep_due")
    op.execute("DROP INDEX ix_cases_open_location")
