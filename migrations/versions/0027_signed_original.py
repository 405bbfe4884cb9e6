"""The signed 人民调解协议书 uploaded back as the archived original (issue 15)

Revision ID: 0027_signed_original
Revises: 0026_judicial_confirmation
Create Date: 2026-12-05 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0027_signed_original"
down_revision = "0026_judicial_confirmation"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("mediation_agreements", sa.Column("signed_original_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_mediation_agreements_signed_original_id_case_attachments"),
        "mediation_agreements",
        "case_attachments",
        ["signed_original_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def downgrade():
    op.drop_constraint(
        op.f("fk_mediation_agreements_signed_original_id_case_attachments"), "mediation_agreements", type_="foreignkey"
    )
    op.drop_column("mediation_agreements", "signed_original_id")
