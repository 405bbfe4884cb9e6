"""The people and places of a grid (人房事物, issue 16): houses, the residents living in them
(name, ID number and phone encrypted; tags as data) and the units and places of the grid

Revision ID: 0036_grid_register
Revises: 0035_watch_and_screening
Create Date: 2026-12-06 08:00:00

"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0036_grid_register"
down_revision = "0035_watch_and_screening"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _placed() -> list[sa.Column]:
    return [
        sa.Column("city_code", sa.String(length=15), nullable=False),
        sa.Column("district_code", sa.String(length=15), nullable=True),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("community_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
    ]


def upgrade():
    op.create_table(
        "houses",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("location", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=True),
        sa.Column("outline", Geometry(geometry_type="POLYGON", srid=4326, spatial_index=False), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        *_placed(),
        sa.CheckConstraint(
            "kind IN ('self_built', 'apartment', 'mixed', 'other')", name=op.f("ck_houses_kind")
        ),
        sa.ForeignKeyConstraint(["grid_code"], ["regions.code"], name=op.f("fk_houses_grid_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_houses")),
        sa.UniqueConstraint("grid_code", "ref", name="uq_houses_grid_ref"),
    )
    op.create_table(
        "residents",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("house_id", sa.BigInteger(), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("name_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("name_masked", sa.String(length=60), nullable=False),
        sa.Column("id_number_masked", sa.String(length=24), nullable=False),
        sa.Column("phone_masked", sa.String(length=16), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("residence", sa.String(length=12), nullable=False),
        sa.Column("tags", sa.ARRAY(sa.String(length=24)), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("residence IN ('registered', 'floating')", name=op.f("ck_residents_residence")),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_residents_house_id_houses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["grid_code"], ["regions.code"], name=op.f("fk_residents_grid_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("grid_code", "id_number_hash", name="uq_residents_grid_id_number"),
    )
    op.create_index(op.f("ix_residents_house_id"), "residents", ["house_id"])
    op.create_index(op.f("ix_residents_grid_code"), "residents", ["grid_code"])
    op.create_index(op.f("ix_residents_id_number_hash"), "residents", ["id_number_hash"])
    op.create_table(
        "places",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("location", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=True),
        sa.Column("contact_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("contact_phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("contact_masked", sa.String(length=60), nullable=False),
        sa.Column("contact_phone_masked", sa.String(length=16), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        *_placed(),
        sa.CheckConstraint(
            "kind IN ('shop', 'nine_small', 'school', 'rental', 'enterprise', 'clinic', 'other')",
            name=op.f("ck_places_kind"),
        ),
        sa.ForeignKeyConstraint(["grid_code"], ["regions.code"], name=op.f("fk_places_grid_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("grid_code", "name", name="uq_places_grid_name"),
    )
    for table in ("houses", "places"):
        for column in ("city_code", "township_code", "community_code", "grid_code"):
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def downgrade():
    op.drop_table("places")
    op.drop_table("residents")
    op.drop_table("houses")
