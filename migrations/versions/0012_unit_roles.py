"""The people of units: the unit_handler (承办人) and unit_head (负责人) roles, each user of them
belonging to one unit

Revision ID: 0012_unit_roles
Revises: 0011_case_assignments
Create Date: 2026-12-04 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_unit_roles"
down_revision = "0011_case_assignments"
branch_labels = None
depends_on = None

ROLES_BEFORE = (
    "role IN ('grid_worker', 'community_mediator', 'township_coordinator', "
    "'district_coordinator', 'city_commander', 'admin', 'auditor', 'open311_client')"
)
ROLES_AFTER = (
    "role IN ('grid_worker', 'community_mediator', 'township_coordinator', "
    "'district_coordinator', 'city_commander', 'admin', 'auditor', 'open311_client', "
    "'unit_handler', 'unit_head')"
)


def upgrade():
    op.add_column("users", sa.Column("unit_code", sa.String(length=40), nullable=True))
    op.create_index(op.f("ix_users_unit_code"), "users", ["unit_code"], unique=False)
    op.create_foreign_key(op.f("fk_users_unit_code_units"), "users", "units", ["unit_code"], ["code"])
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", ROLES_AFTER)
    op.create_check_constraint(
        op.f("ck_users_unit_code"), "users", "(role IN ('unit_handler', 'unit_head')) = (unit_code IS NOT NULL)"
    )


def downgrade():
    op.execute("DELETE FROM users WHERE role IN ('unit_handler', 'unit_head')")
    op.drop_constraint(op.f("ck_users_unit_code"), "users", type_="check")
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", ROLES_BEFORE)
    op.drop_constraint(op.f("fk_users_unit_code_units"), "users", type_="foreignkey")
    op.drop_index(op.f("ix_users_unit_code"), table_name="users")
    op.drop_column("users", "unit_code")
