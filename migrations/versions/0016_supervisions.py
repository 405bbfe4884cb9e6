"""督办单 (issue 14): the city's supervision of a case as a document — target, requirement,
reply deadline, grade; the target's reply; the city's evaluation

Revision ID: 0016_supervisions
Revises: 0015_alert_assessment
Create Date: 2026-12-04 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_supervisions"
down_revision = "0015_alert_assessment"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "supervisions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("target_level", sa.String(length=16), nullable=True),
        sa.Column("target_unit_code", sa.String(length=40), nullable=True),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_by_id", sa.Integer(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluation_note", sa.Text(), nullable=True),
        sa.Column("evaluated_by_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("grade IN ('yellow', 'red')", name=op.f("ck_supervisions_grade")),
        sa.CheckConstraint(
            "status IN ('open', 'replied', 'accepted', 'again')", name=op.f("ck_supervisions_status")
        ),
        sa.CheckConstraint(
            "(target_level IS NULL) <> (target_unit_code IS NULL)", name=op.f("ck_supervisions_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_supervisions_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["target_unit_code"], ["units.code"], name=op.f("fk_supervisions_target_unit_code_units")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_supervisions_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["replied_by_id"], ["users.id"], name=op.f("fk_supervisions_replied_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["evaluated_by_id"], ["users.id"], name=op.f("fk_supervisions_evaluated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisions")),
    )
    op.create_index(op.f("ix_supervisions_case_id"), "supervisions", ["case_id"], unique=False)
    op.create_index(
        "uq_supervisions_case_open",
        "supervisions",
        ["case_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('open', 'replied')"),
    )


def downgrade():
    op.drop_index("uq_supervisions_case_open", table_name="supervisions")
    op.drop_index(op.f("ix_supervisions_case_id"), table_name="supervisions")
    op.drop_table("supervisions")
