"""Messages that reach people outside the app (issue 14): channels (a person's e-mail or SMS, a
centre's 企业微信 / 钉钉 group robot) with quiet hours, and the outbox the scheduler sends

Revision ID: 0018_outbound_channels
Revises: 0017_external_ref
Create Date: 2026-12-04 21:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_outbound_channels"
down_revision = "0017_external_ref"
branch_labels = None
depends_on = None


def upgrade():
    # What was notified before has been read in the app: only new notifications go out.
    op.add_column(
        "notifications", sa.Column("fanned_out", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.alter_column("notifications", "fanned_out", server_default=sa.false())
    op.create_index(
        "ix_notifications_to_fan_out", "notifications", ["id"], postgresql_where=sa.text("NOT fanned_out")
    )
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=15), nullable=True),
        sa.Column("address_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("address_masked", sa.String(length=120), nullable=False),
        sa.Column("quiet_from", sa.Time(), nullable=True),
        sa.Column("quiet_until", sa.Time(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('email', 'sms', 'wecom', 'dingtalk')", name=op.f("ck_notification_channels_kind")
        ),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (region_code IS NULL)", name=op.f("ck_notification_channels_one_owner")
        ),
        sa.CheckConstraint(
            "(quiet_from IS NULL) = (quiet_until IS NULL)", name=op.f("ck_notification_channels_quiet_hours")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_channels_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_notification_channels_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channels")),
    )
    op.create_index(op.f("ix_notification_channels_user_id"), "notification_channels", ["user_id"])
    op.create_index(op.f("ix_notification_channels_region_code"), "notification_channels", ["region_code"])
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_outbound_messages_status")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["notification_channels.id"],
            name=op.f("fk_outbound_messages_channel_id_notification_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_outbound_messages_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
    )
    op.create_index(op.f("ix_outbound_messages_channel_id"), "outbound_messages", ["channel_id"])
    op.create_index(
        "ix_outbound_messages_due",
        "outbound_messages",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade():
    op.drop_table("outbound_messages")
    op.drop_table("notification_channels")
    op.drop_index("ix_notifications_to_fan_out", table_name="notifications")
    op.drop_column("notifications", "fanned_out")
