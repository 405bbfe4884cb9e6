"""Server-side sessions, the authenticator's secret kept on the server while it is set up, and
the city of each audit entry

A page session was a signed cookie: signing out only cleared the browser's copy, and anyone
holding the session key could forge one. Now the cookie carries a random token and the session
lives in `user_sessions`, where signing out, a password change, a role change or a disable ends
it. The TOTP secret of an enrolment in progress moves from the cookie to the user's row,
encrypted. Audit entries carry the city they concern, so an auditor reads their own city's.

Revision ID: 0008_sessions
Revises: 0007_open_case_indexes
Create Date: 2026-12-04 17:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_sessions"
down_revision = "0007_open_case_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)
    op.add_column("users", sa.Column("totp_enrolment_encrypted", sa.LargeBinary(), nullable=True))
    op.add_column("audit_log", sa.Column("city_code", sa.String(length=15), nullable=True))
    op.create_index(op.f("ix_audit_log_city_code"), "audit_log", ["city_code"], unique=False)
    # Failed sign-ins under a username nobody has are counted by that username (the lock-out).
    op.create_index(op.f("ix_audit_log_actor_username"), "audit_log", ["actor_username"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_audit_log_actor_username"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_city_code"), table_name="audit_log")
    op.drop_column("audit_log", "city_code")
    op.drop_column("users", "totp_enrolment_encrypted")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
