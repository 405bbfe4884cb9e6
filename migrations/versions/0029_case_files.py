"""The archived case file of a dispute (人民调解卷宗, issue 15): its PDF and SHA-256; a session's
attendance goes with the party it names

Revision ID: 0029_case_files
Revises: 0028_mediation_sessions
Create Date: 2026-12-06 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0029_case_files"
down_revision = "0028_mediation_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mediation_case_files",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mediation_case_files_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_mediation_case_files")),
    )
    _attendance_foreign_key("CASCADE")


def downgrade():
    _attendance_foreign_key(None)
    op.drop_table("mediation_case_files")


def _attendance_foreign_key(ondelete):
    name = op.f("fk_mediation_session_parties_party_id_case_parties")
    op.drop_constraint(name, "mediation_session_parties", type_="foreignkey")
    op.create_foreign_key(
        name, "mediation_session_parties", "case_parties", ["party_id"], ["id"], ondelete=ondelete
    )
