"""People and hazards under watch with their follow-ups, and the rounds of 矛盾纠纷排查 with each
grid's report (issue 16)

Revision ID: 0035_watch_and_screening
Revises: 0034_visits
Create Date: 2026-12-06 07:00:00

"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0035_watch_and_screening"
down_revision = "0034_visits"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
CATEGORIES = (
    "community_correction", "released_prisoner", "severe_mental_illness", "drug_user", "petitioner",
    "dispute_party", "elderly_alone", "left_behind_child", "fire", "gas", "building", "road", "geological",
)  # fmt: skip


def upgrade():
    op.create_table(
        "watch_items",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("name_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_masked", sa.String(length=24), nullable=False),
        sa.Column("phone_masked", sa.String(length=16), nullable=False),
        sa.Column("location", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("responsible_id", sa.Integer(), nullable=False),
        sa.Column("rhythm_days", sa.Integer(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=False),
        sa.Column("last_followed_at", TZ, nullable=True),
        sa.Column("overdue_alerted_for", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("city_code", sa.String(length=15), nullable=False),
        sa.Column("district_code", sa.String(length=15), nullable=True),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("community_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.CheckConstraint("kind IN ('person', 'hazard')", name=op.f("ck_watch_items_kind")),
        sa.CheckConstraint(f"category IN {CATEGORIES}", name=op.f("ck_watch_items_category")),
        sa.CheckConstraint("grade IN ('high', 'medium', 'low')", name=op.f("ck_watch_items_grade")),
        sa.CheckConstraint("rhythm_days BETWEEN 1 AND 366", name=op.f("ck_watch_items_rhythm")),
        sa.ForeignKeyConstraint(["responsible_id"], ["users.id"], name=op.f("fk_watch_items_responsible_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_watch_items_created_by_id_users")),
        sa.ForeignKeyConstraint(["grid_code"], ["regions.code"], name=op.f("fk_watch_items_grid_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_items")),
    )
    for column in ("responsible_id", "city_code", "township_code", "community_code", "grid_code"):
        op.create_index(op.f(f"ix_watch_items_{column}"), "watch_items", [column])
    op.create_index("ix_watch_items_due", "watch_items", ["next_due"], postgresql_where=sa.text("closed_at IS NULL"))
    op.create_table(
        "watch_follow_ups",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("followed_at", TZ, nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["watch_items.id"], name=op.f("fk_watch_follow_ups_item_id_watch_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_watch_follow_ups_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_follow_ups")),
    )
    op.create_index(op.f("ix_watch_follow_ups_item_id"), "watch_follow_ups", ["item_id"])
    op.create_table(
        "screening_rounds",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("city_code", sa.String(length=15), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("missing_checked_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_screening_rounds_region_code_regions")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"], name=op.f("fk_screening_rounds_opened_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_rounds")),
        sa.UniqueConstraint("region_code", "period", name="uq_screening_rounds_region_period"),
    )
    op.create_index(op.f("ix_screening_rounds_region_code"), "screening_rounds", ["region_code"])
    op.create_index(op.f("ix_screening_rounds_city_code"), "screening_rounds", ["city_code"])
    op.create_table(
        "screening_reports",
        sa.Column("round_id", sa.BigInteger(), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", TZ, nullable=False),
        sa.Column("disputes_found", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("disputes_found >= 0", name=op.f("ck_screening_reports_disputes_found")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["screening_rounds.id"],
            name=op.f("fk_screening_reports_round_id_screening_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["grid_code"], ["regions.code"], name=op.f("fk_screening_reports_grid_code_regions")),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_screening_reports_reported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("round_id", "grid_code", name=op.f("pk_screening_reports")),
    )


def downgrade():
    op.drop_table("screening_reports")
    op.drop_table("screening_rounds")
    op.drop_table("watch_follow_ups")
    op.drop_table("watch_items")
