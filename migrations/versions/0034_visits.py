"""Visits to households and places (走访) and the 民情日志 of grid workers (issue 16): whom they
met (encrypted, masked), what they saw and heard, a photo, the case a concern became

Revision ID: 0034_visits
Revises: 0033_patrols
Create Date: 2026-12-06 06:00:00

"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0034_visits"
down_revision = "0033_patrols"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "visits",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("client_key", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("topic", sa.String(length=20), nullable=True),
        sa.Column("visited_at", TZ, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("people_met_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("people_met_masked", sa.String(length=400), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("concerns", sa.Text(), nullable=False),
        sa.Column("location", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("anonymised_at", TZ, nullable=True),
        sa.Column("city_code", sa.String(length=15), nullable=False),
        sa.Column("district_code", sa.String(length=15), nullable=True),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("community_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.CheckConstraint("kind IN ('household', 'place', 'diary')", name=op.f("ck_visits_kind")),
        sa.CheckConstraint(
            "topic IN ('routine', 'care', 'dispute_screening', 'safety', 'policy', 'opinion')",
            name=op.f("ck_visits_topic"),
        ),
        sa.CheckConstraint("(kind = 'diary') = (topic IS NULL)", name=op.f("ck_visits_topic_of_a_visit")),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_visits_worker_id_users")),
        sa.ForeignKeyConstraint(["grid_code"], ["regions.code"], name=op.f("fk_visits_grid_code_regions")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_visits_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("worker_id", "client_key", name="uq_visits_worker_key"),
    )
    for column in ("worker_id", "visited_at", "city_code", "township_code", "community_code", "grid_code"):
        op.create_index(op.f(f"ix_visits_{column}"), "visits", [column])


def downgrade():
    op.drop_table("visits")
