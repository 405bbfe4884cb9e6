"""Revisit codes by SMS (issue 14): each such invitation is its own outbox row — the code
encrypted until it is sent, its status, attempts and next attempt

Revision ID: 0022_revisit_sms
Revises: 0021_channel_secret
Create Date: 2026-12-05 11:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022_revisit_sms"
down_revision = "0021_channel_secret"
branch_labels = None
depends_on = None

TABLE = "revisit_invitations"


def upgrade():
    op.add_column(TABLE, sa.Column("code_encrypted", sa.LargeBinary(), nullable=True))
    op.add_column(TABLE, sa.Column("sms_status", sa.String(length=8), nullable=True))
    op.add_column(TABLE, sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column(TABLE, sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(TABLE, sa.Column("last_error", sa.String(length=500), nullable=True))
    op.add_column(TABLE, sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_revisit_invitations_sms_status"), TABLE, "sms_status IN ('pending', 'sent', 'failed')"
    )
    op.create_index(
        "ix_revisit_invitations_sms_due",
        TABLE,
        ["next_attempt_at"],
        postgresql_where=sa.text("sms_status = 'pending'"),
    )


def downgrade():
    op.drop_index("ix_revisit_invitations_sms_due", table_name=TABLE)
    op.drop_constraint(op.f("ck_revisit_invitations_sms_status"), TABLE, type_="check")
    for column in ("sent_at", "last_error", "next_attempt_at", "attempts", "sms_status", "code_encrypted"):
        op.drop_column(TABLE, column)
