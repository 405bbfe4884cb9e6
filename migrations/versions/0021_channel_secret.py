"""A 钉钉 group robot's signing secret (加签), encrypted (issue 14)

Revision ID: 0021_channel_secret
Revises: 0020_revisit_codes
Create Date: 2026-12-05 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021_channel_secret"
down_revision = "0020_revisit_codes"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("notification_channels", sa.Column("secret_encrypted", sa.LargeBinary(), nullable=True))


def downgrade():
    op.drop_column("notification_channels", "secret_encrypted")
