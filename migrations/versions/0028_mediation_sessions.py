"""Mediation sessions and inquiries with their records (调解笔录, 调查记录), the mediators and
parties at each, and mediators invited from outside the offices (特邀调解员, issue 15)

Revision ID: 0028_mediation_sessions
Revises: 0027_signed_original
Create Date: 2026-12-06 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0028_mediation_sessions"
down_revision = "0027_signed_original"
branch_labels = None
depends_on = None

ROLES_BEFORE = (
    "role IN ('grid_worker', 'community_mediator', 'township_coordinator', "
    "'district_coordinator', 'city_commander', 'admin', 'auditor', 'open311_client', "
    "'unit_handler', 'unit_head')"
)
ROLES_AFTER = ROLES_BEFORE[:-1] + ", 'external_mediator')"


def upgrade():
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", ROLES_AFTER)
    op.create_table(
        "mediation_invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mediation_invitations_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["users.id"], name=op.f("fk_mediation_invitations_mediator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_mediation_invitations_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["users.id"], name=op.f("fk_mediation_invitations_withdrawn_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_invitations")),
    )
    op.create_index(op.f("ix_mediation_invitations_case_id"), "mediation_invitations", ["case_id"])
    op.create_index(op.f("ix_mediation_invitations_mediator_id"), "mediation_invitations", ["mediator_id"])
    op.create_index(
        "uq_mediation_invitations_standing",
        "mediation_invitations",
        ["case_id", "mediator_id"],
        unique=True,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.create_table(
        "mediation_sessions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("record_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('mediation', 'investigation')", name=op.f("ck_mediation_sessions_kind")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mediation_sessions_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_mediation_sessions_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_sessions")),
    )
    op.create_index(op.f("ix_mediation_sessions_case_id"), "mediation_sessions", ["case_id"])
    op.create_table(
        "mediation_session_mediators",
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["mediation_sessions.id"],
            name=op.f("fk_mediation_session_mediators_session_id_mediation_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mediation_session_mediators_user_id_users")
        ),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_mediation_session_mediators")),
    )
    op.create_table(
        "mediation_session_parties",
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["mediation_sessions.id"],
            name=op.f("fk_mediation_session_parties_session_id_mediation_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["case_parties.id"], name=op.f("fk_mediation_session_parties_party_id_case_parties")
        ),
        sa.PrimaryKeyConstraint("session_id", "party_id", name=op.f("pk_mediation_session_parties")),
    )


def downgrade():
    op.drop_table("mediation_session_parties")
    op.drop_table("mediation_session_mediators")
    op.drop_index(op.f("ix_mediation_sessions_case_id"), table_name="mediation_sessions")
    op.drop_table("mediation_sessions")
    op.drop_index("uq_mediation_invitations_standing", table_name="mediation_invitations")
    op.drop_index(op.f("ix_mediation_invitations_mediator_id"), table_name="mediation_invitations")
    op.drop_index(op.f("ix_mediation_invitations_case_id"), table_name="mediation_invitations")
    op.drop_table("mediation_invitations")
    op.execute("DELETE FROM users WHERE role = 'external_mediator'")
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", ROLES_BEFORE)
