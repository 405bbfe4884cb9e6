"""回访 by the person themselves (issue 14): one-time codes for the informant or a party, and how
each case's last revisit reached the person (only revisits by someone other than the handler
set it, and only those count for satisfaction)

Revision ID: 0020_revisit_codes
Revises: 0019_front_desk
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_revisit_codes"
down_revision = "0019_front_desk"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cases", sa.Column("revisit_method", sa.String(length=16), nullable=True))
    op.create_table(
        "revisit_invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.BigInteger(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("delivery IN ('slip', 'sms')", name=op.f("ck_revisit_invitations_delivery")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_revisit_invitations_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["case_parties.id"],
            name=op.f("fk_revisit_invitations_party_id_case_parties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_revisit_invitations_issued_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisit_invitations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_revisit_invitations_code_hash")),
    )
    op.create_index(op.f("ix_revisit_invitations_case_id"), "revisit_invitations", ["case_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_revisit_invitations_case_id"), table_name="revisit_invitations")
    op.drop_table("revisit_invitations")
    op.drop_column("cases", "revisit_method")
