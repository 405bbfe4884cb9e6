"""The reporting system's own work-order number of a case (a 12345 hotline's 工单号), one case per
number and reporting system (issue 14)

Revision ID: 0017_external_ref
Revises: 0016_supervisions
Create Date: 2026-12-04 21:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_external_ref"
down_revision = "0016_supervisions"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cases", sa.Column("external_ref", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_cases_reporter_external_ref",
        "cases",
        ["reporter_id", "external_ref"],
        unique=True,
        postgresql_where=sa.text("external_ref IS NOT NULL"),
    )


def downgrade():
    op.drop_index("uq_cases_reporter_external_ref", table_name="cases")
    op.drop_column("cases", "external_ref")
