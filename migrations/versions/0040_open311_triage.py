"""Open311 requests that cannot be placed wait for the city centre's triage (issue 18): a row of
its own id with no case yet, the token answered to the client, what the request said, and its
placing or dismissal; address_id and the attributes a service does not define are kept

Revision ID: 0040_open311_triage
Revises: 0039_assessment
Create Date: 2026-12-06 07:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0040_open311_triage"
down_revision = "0039_assessment"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.drop_constraint("pk_open311_requests", "open311_requests", type_="primary")
    op.add_column("open311_requests", sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False))
    op.create_primary_key("pk_open311_requests", "open311_requests", ["id"])
    op.alter_column("open311_requests", "case_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_unique_constraint("uq_open311_requests_case_id", "open311_requests", ["case_id"])
    empty = sa.text("'{}'::jsonb")
    columns = [
        sa.Column("extra_attributes", postgresql.JSONB(), nullable=False, server_default=empty),
        sa.Column("address_id", sa.String(length=100), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=True),
        sa.Column("city_code", sa.String(length=15), nullable=True),
        sa.Column("category_code", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("address_string", sa.String(length=300), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("case_fields", postgresql.JSONB(), nullable=False, server_default=empty),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("placed_at", TZ, nullable=True),
        sa.Column("placed_by_id", sa.Integer(), nullable=True),
        sa.Column("dismissed_at", TZ, nullable=True),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("dismiss_reason", sa.String(length=500), nullable=True),
    ]
    for column in columns:
        op.add_column("open311_requests", column)
    op.create_unique_constraint("uq_open311_requests_token", "open311_requests", ["token"])
    op.create_foreign_key(
        "fk_open311_requests_placed_by_id_users", "open311_requests", "users", ["placed_by_id"], ["id"]
    )
    op.create_foreign_key(
        "fk_open311_requests_dismissed_by_id_users", "open311_requests", "users", ["dismissed_by_id"], ["id"]
    )
    op.create_index("ix_open311_requests_city_code", "open311_requests", ["city_code"])
    op.create_index(
        "ix_open311_requests_triage",
        "open311_requests",
        ["city_code", "created_at"],
        postgresql_where=sa.text("case_id IS NULL AND dismissed_at IS NULL"),
    )
    op.create_index(
        "uq_open311_requests_client_key", "open311_requests", ["client_id", "idempotency_key"], unique=True
    )


def downgrade():
    op.drop_index("uq_open311_requests_client_key", table_name="open311_requests")
    op.drop_index("ix_open311_requests_triage", table_name="open311_requests")
    op.drop_index("ix_open311_requests_city_code", table_name="open311_requests")
    op.execute("DELETE FROM open311_requests WHERE case_id IS NULL")
    for name in (
        "dismiss_reason", "dismissed_by_id", "dismissed_at", "placed_by_id", "placed_at", "idempotency_key",
        "case_fields", "lat", "lon", "address_string", "description", "category_code", "city_code", "token",
        "address_id", "extra_attributes",
    ):  # fmt: skip
        op.drop_column("open311_requests", name)
    op.drop_constraint("uq_open311_requests_case_id", "open311_requests", type_="unique")
    op.drop_constraint("pk_open311_requests", "open311_requests", type_="primary")
    op.drop_column("open311_requests", "id")
    op.alter_column("open311_requests", "case_id", existing_type=sa.BigInteger(), nullable=False)
    op.create_primary_key("pk_open311_requests", "open311_requests", ["case_id"])
