"""A 督办单 may name the person of the level addressed who answers for it (责任人, issue 14)

Revision ID: 0023_supervision_person
Revises: 0022_revisit_sms
Create Date: 2026-12-05 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023_supervision_person"
down_revision = "0022_revisit_sms"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("supervisions", sa.Column("target_user_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_supervisions_target_user_id_users"), "supervisions", "users", ["target_user_id"], ["id"]
    )
    op.create_check_constraint(
        op.f("ck_supervisions_person_of_a_level"),
        "supervisions",
        "target_user_id IS NULL OR target_level IS NOT NULL",
    )


def downgrade():
    op.drop_constraint(op.f("ck_supervisions_person_of_a_level"), "supervisions", type_="check")
    op.drop_constraint(op.f("fk_supervisions_target_user_id_users"), "supervisions", type_="foreignkey")
    op.drop_column("supervisions", "target_user_id")
