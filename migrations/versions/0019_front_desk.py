"""The front desk (一窗受理, issue 14): the sources a desk records (来访, 来电, 来信, 网上), when the
matter happened (事发时间) and the person who brought it (反映人), encrypted like a party

Revision ID: 0019_front_desk
Revises: 0018_outbound_channels
Create Date: 2026-12-05 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_front_desk"
down_revision = "0018_outbound_channels"
branch_labels = None
depends_on = None

SOURCES_BEFORE = "('grid_worker', 'public', 'hotline', 'referral')"
SOURCES = "('grid_worker', 'public', 'hotline', 'referral', 'visit', 'call', 'letter', 'online')"


def upgrade():
    op.add_column("cases", sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f("ck_cases_source"), "cases", type_="check")
    op.create_check_constraint(op.f("ck_cases_source"), "cases", f"source IN {SOURCES}")
    op.create_table(
        "case_informants",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("name_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("name_masked", sa.String(length=64), nullable=False),
        sa.Column("id_number_masked", sa.String(length=32), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_informants_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_informants")),
    )
    op.create_index(
        op.f("ix_case_informants_id_number_hash"), "case_informants", ["id_number_hash"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_case_informants_id_number_hash"), table_name="case_informants")
    op.drop_table("case_informants")
    op.execute("UPDATE cases SET source = 'referral' WHERE source IN ('visit', 'call', 'letter', 'online')")
    op.drop_constraint(op.f("ck_cases_source"), "cases", type_="check")
    op.create_check_constraint(op.f("ck_cases_source"), "cases", f"source IN {SOURCES_BEFORE}")
    op.drop_column("cases", "occurred_at")
