"""Case assignments: a case dispatched to a unit as lead (主办) or assisting (协办) unit, with
its own signing and finishing clocks

Revision ID: 0011_case_assignments
Revises: 0010_units
Create Date: 2026-12-04 18:41:39.903957

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0011_case_assignments"
down_revision = "0010_units"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_assignments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("dispatched_by_id", sa.Integer(), nullable=False),
        sa.Column("dispatched_level", sa.String(length=16), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sign_days", sa.Integer(), nullable=False),
        sa.Column("finish_days", sa.Integer(), nullable=False),
        sa.Column("sign_warn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sign_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finish_warn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finish_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.String(length=24), nullable=True),
        sa.Column("return_note", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rework_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sign_overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finish_overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "return_reason IS NULL OR return_reason IN ('not_our_duty', 'outside_area', 'information_missing')",
            name=op.f("ck_case_assignments_return_reason"),
        ),
        sa.CheckConstraint("role IN ('lead', 'assist')", name=op.f("ck_case_assignments_role")),
        sa.CheckConstraint(
            "status IN ('pending', 'signed', 'done', 'returned', 'withdrawn')",
            name=op.f("ck_case_assignments_status"),
        ),
        sa.CheckConstraint("rework_count >= 0", name=op.f("ck_case_assignments_rework_count")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_assignments_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["dispatched_by_id"], ["users.id"], name=op.f("fk_case_assignments_dispatched_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_case_assignments_done_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["users.id"], name=op.f("fk_case_assignments_signed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
            name=op.f("fk_case_assignments_unit_code_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_assignments")),
    )
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_assignments_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_case_assignments_open_due",
            ["finish_due_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('pending', 'signed')"),
        )
        batch_op.create_index("ix_case_assignments_unit_status", ["unit_code", "status"], unique=False)
        batch_op.create_index(
            "uq_case_assignments_open_lead",
            ["case_id"],
            unique=True,
            postgresql_where=sa.text("role = 'lead' AND status IN ('pending', 'signed')"),
        )
        batch_op.create_index(
            "uq_case_assignments_open_unit",
            ["case_id", "unit_code"],
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'signed')"),
        )


def downgrade():
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_case_assignments_open_unit", postgresql_where=sa.text("status IN ('pending', 'signed')")
        )
        batch_op.drop_index(
            "uq_case_assignments_open_lead",
            postgresql_where=sa.text("role = 'lead' AND status IN ('pending', 'signed')"),
        )
        batch_op.drop_index("ix_case_assignments_unit_status")
        batch_op.drop_index(
            "ix_case_assignments_open_due", postgresql_where=sa.text("status IN ('pending', 'signed')")
        )
        batch_op.drop_index(batch_op.f("ix_case_assignments_case_id"))

    op.drop_table("case_assignments")
