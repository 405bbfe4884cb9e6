"""Alerts one can act on (issue 14): 研判 (assessment, risk grade, who answers for it, by when)
and the outcome of closing (销号)

Revision ID: 0015_alert_assessment
Revises: 0014_verification
Create Date: 2026-12-04 21:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_alert_assessment"
down_revision = "0014_verification"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("alerts", sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("alerts", sa.Column("assessed_by_id", sa.Integer(), nullable=True))
    op.add_column("alerts", sa.Column("assessment", sa.Text(), nullable=True))
    op.add_column("alerts", sa.Column("risk_grade", sa.String(length=8), nullable=True))
    op.add_column("alerts", sa.Column("responsible", sa.String(length=100), nullable=True))
    op.add_column("alerts", sa.Column("response_due", sa.Date(), nullable=True))
    op.add_column("alerts", sa.Column("close_outcome", sa.String(length=16), nullable=True))
    op.create_foreign_key(
        op.f("fk_alerts_assessed_by_id_users"), "alerts", "users", ["assessed_by_id"], ["id"]
    )
    op.create_check_constraint(
        op.f("ck_alerts_risk_grade"),
        "alerts",
        "risk_grade IS NULL OR risk_grade IN ('high', 'medium', 'low')",
    )
    op.create_check_constraint(
        op.f("ck_alerts_close_outcome"),
        "alerts",
        "close_outcome IS NULL OR close_outcome IN ('defused', 'controlled', 'unfounded')",
    )


def downgrade():
    op.drop_constraint(op.f("ck_alerts_close_outcome"), "alerts", type_="check")
    op.drop_constraint(op.f("ck_alerts_risk_grade"), "alerts", type_="check")
    op.drop_constraint(op.f("fk_alerts_assessed_by_id_users"), "alerts", type_="foreignkey")
    for column in (
        "close_outcome",
        "response_due",
        "responsible",
        "risk_grade",
        "assessment",
        "assessed_by_id",
        "assessed_at",
    ):
        op.drop_column("alerts", column)
