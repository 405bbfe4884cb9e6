"""人民调解协议书 as records (issue 15): each agreement numbered by its committee and year, with
its facts, points in dispute, terms, performance method and deadline, and mediator

Revision ID: 0024_mediation_agreements
Revises: 0023_supervision_person
Create Date: 2026-12-05 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024_mediation_agreements"
down_revision = "0023_supervision_person"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agreement_number_counters",
        sa.Column("committee_code", sa.String(length=15), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("committee_code", "year", name=op.f("pk_agreement_number_counters")),
    )
    op.create_table(
        "mediation_agreements",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("committee_code", sa.String(length=15), nullable=False),
        sa.Column("committee_name", sa.String(length=120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("disputed_points", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("performance_method", sa.Text(), nullable=False),
        sa.Column("performance_deadline", sa.Date(), nullable=False),
        sa.Column("signed_at", sa.Date(), nullable=True),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mediation_agreements_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["committee_code"], ["regions.code"], name=op.f("fk_mediation_agreements_committee_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["users.id"], name=op.f("fk_mediation_agreements_mediator_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_agreements")),
        sa.UniqueConstraint("committee_code", "year", "sequence", name=op.f("uq_mediation_agreements_number")),
    )
    op.create_index(op.f("ix_mediation_agreements_case_id"), "mediation_agreements", ["case_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_mediation_agreements_case_id"), table_name="mediation_agreements")
    op.drop_table("mediation_agreements")
    op.drop_table("agreement_number_counters")
