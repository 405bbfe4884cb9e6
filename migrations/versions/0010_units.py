"""Units cases are dispatched to: 站所, 职能部门 and 专业调委会, the categories each handles
(with the region's default unit per category, one at most), and their limits in working days

Revision ID: 0010_units
Revises: 0009_tamper_evidence
Create Date: 2026-12-04 18:33:38.096940

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_units"
down_revision = "0009_tamper_evidence"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "units",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("city_code", sa.String(length=15), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("sign_days", sa.Integer(), nullable=False),
        sa.Column("finish_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('station', 'department', 'mediation_committee')", name=op.f("ck_units_kind")
        ),
        sa.CheckConstraint("level IN ('township', 'district', 'city')", name=op.f("ck_units_level")),
        sa.CheckConstraint("finish_days BETWEEN 1 AND 366", name=op.f("ck_units_finish_days")),
        sa.CheckConstraint("sign_days BETWEEN 1 AND finish_days", name=op.f("ck_units_sign_days")),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_units_region_code_regions"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_city_code"), ["city_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_units_region_code"), ["region_code"], unique=False)

    op.create_table(
        "unit_categories",
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("category_code", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("sign_days", sa.Integer(), nullable=True),
        sa.Column("finish_days", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "finish_days IS NULL OR finish_days BETWEEN 1 AND 366",
            name=op.f("ck_unit_categories_finish_days"),
        ),
        sa.CheckConstraint(
            "sign_days IS NULL OR sign_days BETWEEN 1 AND 366", name=op.f("ck_unit_categories_sign_days")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["categories.code"],
            name=op.f("fk_unit_categories_category_code_categories"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_unit_categories_unit_code_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("unit_code", "category_code", name=op.f("pk_unit_categories")),
    )
    with op.batch_alter_table("unit_categories", schema=None) as batch_op:
        batch_op.create_index("ix_unit_categories_category", ["category_code"], unique=False)
        batch_op.create_index(
            "uq_unit_categories_default",
            ["region_code", "category_code"],
            unique=True,
            postgresql_where=sa.text("is_default"),
        )


def downgrade():
    with op.batch_alter_table("unit_categories", schema=None) as batch_op:
        batch_op.drop_index("uq_unit_categories_default", postgresql_where=sa.text("is_default"))
        batch_op.drop_index("ix_unit_categories_category")

    op.drop_table("unit_categories")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_region_code"))
        batch_op.drop_index(batch_op.f("ix_units_city_code"))

    op.drop_table("units")
