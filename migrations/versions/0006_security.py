"""Security: the audit log (append-only, pruned only past 180 days), sign-in protection and
two-factor columns on users

Revision ID: 0006_security
Revises: 0005_open311_webhooks
Create Date: 2026-11-25 16:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_security"
down_revision = "0005_open311_webhooks"
branch_labels = None
depends_on = None

# UPDATE is never allowed; DELETE only of rows at least 180 days old (等保 2.0 level 3 keeps
# the security audit log six months at least), whatever the application's configuration says.
AUDIT_GUARD = """
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade():
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("result IN ('ok', 'failed', 'denied')", name=op.f("ck_audit_log_result")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    for column in ("at", "actor_id", "ip", "action"):
        op.create_index(op.f(f"ix_audit_log_{column}"), "audit_log", [column], unique=False)
    op.execute(AUDIT_GUARD)
    op.execute(
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_guard()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard()"
    )

    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "credentials_changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("totp_secret_encrypted", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("recovery_code_hashes", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        for column in (
            "recovery_code_hashes", "totp_last_step", "totp_confirmed_at", "totp_secret_encrypted",
            "credentials_changed_at", "locked_until", "failed_logins",
        ):
            batch_op.drop_column(column)
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_guard()")
