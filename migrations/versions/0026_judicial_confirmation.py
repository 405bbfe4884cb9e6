"""司法确认 of a 人民调解协议书 (issue 15): the 30-day window, its reminder, the application to a
court (a unit) and the ruling

Revision ID: 0026_judicial_confirmation
Revises: 0025_agreement_performance
Create Date: 2026-12-05 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0026_judicial_confirmation"
down_revision = "0025_agreement_performance"
branch_labels = None
depends_on = None

TABLE = "mediation_agreements"


def upgrade():
    op.add_column(TABLE, sa.Column("confirmation_due", sa.Date(), nullable=True))
    # Agreements made before: 30 days from their signing, or from when they were recorded.
    op.execute(
        "UPDATE mediation_agreements SET confirmation_due = "
        "coalesce(signed_at, (created_at AT TIME ZONE 'Asia/Shanghai')::date) + 30"
    )
    op.alter_column(TABLE, "confirmation_due", nullable=False)
    op.add_column(TABLE, sa.Column("confirmation_reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(TABLE, sa.Column("confirmation", sa.String(length=12), nullable=True))
    op.add_column(TABLE, sa.Column("confirmation_unit_code", sa.String(length=40), nullable=True))
    op.add_column(TABLE, sa.Column("confirmation_applied_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(TABLE, sa.Column("confirmation_decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(TABLE, sa.Column("confirmation_note", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_mediation_agreements_confirmation_unit_code_units"),
        TABLE,
        "units",
        ["confirmation_unit_code"],
        ["code"],
    )
    op.create_check_constraint(
        op.f("ck_mediation_agreements_confirmation"), TABLE, "confirmation IN ('applied', 'confirmed', 'rejected')"
    )


def downgrade():
    op.drop_constraint(op.f("ck_mediation_agreements_confirmation"), TABLE, type_="check")
    op.drop_constraint(op.f("fk_mediation_agreements_confirmation_unit_code_units"), TABLE, type_="foreignkey")
    for column in (
        "confirmation_note",
        "confirmation_decided_at",
        "confirmation_applied_at",
        "confirmation_unit_code",
        "confirmation",
        "confirmation_reminded_at",
        "confirmation_due",
    ):
        op.drop_column(TABLE, column)
