"""Verification that reaches the verifier (issue 14): who resolved a case, and the verification's
own clock (due some working days after the resolution; when the sweep found it late)

Revision ID: 0014_verification
Revises: 0013_unit_stats
Create Date: 2026-12-04 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_verification"
down_revision = "0013_unit_stats"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cases", sa.Column("resolved_by_id", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("verify_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("cases", sa.Column("verify_overdue_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(op.f("fk_cases_resolved_by_id_users"), "cases", "users", ["resolved_by_id"], ["id"])
    op.create_index(
        "ix_cases_verify_due",
        "cases",
        ["verify_due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'resolved' AND verify_overdue_at IS NULL"),
    )
    # Cases resolved before: the resolver is the RESOLVE event's actor (the last one).
    op.execute(
        """
        UPDATE cases c SET resolved_by_id = (
            SELECT e.actor_id FROM case_events e
            WHERE e.case_id = c.id AND e.action = 'resolve' ORDER BY e.seq DESC LIMIT 1
        )
        WHERE c.resolved_at IS NOT NULL
        """
    )


def downgrade():
    op.drop_index("ix_cases_verify_due", table_name="cases")
    op.drop_constraint(op.f("fk_cases_resolved_by_id_users"), "cases", type_="foreignkey")
    op.drop_column("cases", "verify_overdue_at")
    op.drop_column("cases", "verify_due_at")
    op.drop_column("cases", "resolved_by_id")
