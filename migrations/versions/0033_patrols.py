"""Patrols of grid workers (巡查, issue 16): the GPS track as a line with the seconds since the
start as M, its length, the grids it covered, and the findings along the way (each may become
a case)

Revision ID: 0033_patrols
Revises: 0032_court_referrals
Create Date: 2026-12-06 05:00:00

"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0033_patrols"
down_revision = "0032_court_referrals"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "patrols",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("client_key", sa.String(length=128), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column(
            "track",
            Geometry(geometry_type="LINESTRINGM", srid=4326, dimension=3, spatial_index=False),
            nullable=True,
        ),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("city_code", sa.String(length=15), nullable=False),
        sa.Column("district_code", sa.String(length=15), nullable=True),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("community_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.CheckConstraint("ended_at >= started_at", name=op.f("ck_patrols_period")),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_patrols_worker_id_users")),
        sa.ForeignKeyConstraint(["grid_code"], ["regions.code"], name=op.f("fk_patrols_grid_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrols")),
        sa.UniqueConstraint("worker_id", "client_key", name="uq_patrols_worker_key"),
    )
    for column in ("worker_id", "city_code", "township_code", "community_code", "grid_code"):
        op.create_index(op.f(f"ix_patrols_{column}"), "patrols", [column])
    op.create_index("ix_patrols_started_at", "patrols", ["started_at"])
    op.create_table(
        "patrol_grids",
        sa.Column("patrol_id", sa.BigInteger(), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"], ["patrols.id"], name=op.f("fk_patrol_grids_patrol_id_patrols"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["grid_code"], ["regions.code"], name=op.f("fk_patrol_grids_grid_code_regions")),
        sa.PrimaryKeyConstraint("patrol_id", "grid_code", name=op.f("pk_patrol_grids")),
    )
    op.create_index(op.f("ix_patrol_grids_grid_code"), "patrol_grids", ["grid_code"])
    op.create_table(
        "patrol_findings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("patrol_id", sa.BigInteger(), nullable=False),
        sa.Column("found_at", TZ, nullable=False),
        sa.Column("location", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(length=16), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patrol_id"], ["patrols.id"], name=op.f("fk_patrol_findings_patrol_id_patrols"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name=op.f("fk_patrol_findings_category_code_categories")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_patrol_findings_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_findings")),
    )
    op.create_index(op.f("ix_patrol_findings_patrol_id"), "patrol_findings", ["patrol_id"])


def downgrade():
    op.drop_table("patrol_findings")
    op.drop_table("patrol_grids")
    op.drop_table("patrols")
