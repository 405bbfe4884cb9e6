"""The by-unit indicators read the assignments dispatched in a period: an index on
case_assignments.dispatched_at (the alert kind returned_twice needs no change: alerts.kind has no
CHECK)

Revision ID: 0013_unit_stats
Revises: 0012_unit_roles
Create Date: 2026-12-08 10:00:00

"""

from alembic import op

revision = "0013_unit_stats"
down_revision = "0012_unit_roles"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        op.f("ix_case_assignments_dispatched_at"), "case_assignments", ["dispatched_at"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_case_assignments_dispatched_at"), table_name="case_assignments")
