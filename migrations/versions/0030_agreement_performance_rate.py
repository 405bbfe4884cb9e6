"""协议履行率 in the indicator rollups (issue 15): per rollup row, the 人民调解协议书 whose
performance was recorded and those performed in full. Existing rows start at 0: run
`flask gridcase refresh-stats --full` once after upgrading to count the agreements already made.

Revision ID: 0030_agreement_performance_rate
Revises: 0029_case_files
Create Date: 2026-12-06 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0030_agreement_performance_rate"
down_revision = "0029_case_files"
branch_labels = None
depends_on = None

COLUMNS = ("agreements_checked", "agreements_performed")


def upgrade():
    for name in COLUMNS:
        op.add_column("stats_rollups", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    for name in COLUMNS:
        op.drop_column("stats_rollups", name)
