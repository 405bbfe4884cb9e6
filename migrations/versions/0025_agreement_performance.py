"""履行 of a 人民调解协议书 (issue 15): the reminder at its deadline and the recorded outcome

Revision ID: 0025_agreement_performance
Revises: 0024_mediation_agreements
Create Date: 2026-12-05 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0025_agreement_performance"
down_revision = "0024_mediation_agreements"
branch_labels = None
depends_on = None

TABLE = "mediation_agreements"


def upgrade():
    op.add_column(TABLE, sa.Column("performance_reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(TABLE, sa.Column("performance", sa.String(length=16), nullable=True))
    op.add_column(TABLE, sa.Column("performance_note", sa.Text(), nullable=True))
    op.add_column(TABLE, sa.Column("performance_recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_mediation_agreements_performance"),
        TABLE,
        "performance IN ('performed', 'partly', 'not_performed')",
    )
    op.create_index(
        "ix_mediation_agreements_to_remind",
        TABLE,
        ["performance_deadline"],
        postgresql_where=sa.text("performance IS NULL AND performance_reminded_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_mediation_agreements_to_remind", table_name=TABLE)
    op.drop_constraint(op.f("ck_mediation_agreements_performance"), TABLE, type_="check")
    for column in ("performance_recorded_at", "performance_note", "performance", "performance_reminded_at"):
        op.drop_column(TABLE, column)
