"""A screening round opened by the scheduler each month has nobody who opened it (issue 16)

Revision ID: 0037_monthly_screening
Revises: 0036_grid_register
Create Date: 2026-12-06 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0037_monthly_screening"
down_revision = "0036_grid_register"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("screening_rounds", "opened_by_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM screening_rounds WHERE opened_by_id IS NULL")
    op.alter_column("screening_rounds", "opened_by_id", existing_type=sa.Integer(), nullable=False)
