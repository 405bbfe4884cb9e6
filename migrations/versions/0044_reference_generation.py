"""The reference data's generation: a number every change of the working calendar, the categories,
the webhook subscriptions or the grid workers' grids moves on, so that each process may keep
them and still see a change at once (issue 20, gridcase/reference.py)

Statement-level triggers on the three tables set the one row of reference_generation to the
next value of a sequence, in the writer's transaction: the new number is seen exactly when the
change is. A sequence never gives a number twice, so a change rolled back cannot leave a number
that a later change takes again with other contents. A webhook subscription's delivery counters
(consecutive failures) do not move it; what decides who is told does (status, event types,
scope).

Revision ID: 0044_reference_generation
Revises: 0043_queue_indexes
Create Date: 2026-12-07 01:30:00

"""

from alembic import op

revision = "0044_reference_generation"
down_revision = "0043_queue_indexes"
branch_labels = None
depends_on = None

WATCHED = {
    "calendar_days": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "categories": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "webhook_subscriptions": "INSERT OR UPDATE OF status, event_types, scope_code OR DELETE OR TRUNCATE",
    "grid_assignments": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
}


def upgrade():
    op.execute(
        "CREATE TABLE reference_generation ("
        " generation bigint NOT NULL, only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row))"
    )
    # (owned by the column: dropped with the table)
    op.execute("CREATE SEQUENCE reference_generation_numbers OWNED BY reference_generation.generation")
    op.execute("INSERT INTO reference_generation (generation) VALUES (nextval('reference_generation_numbers'))")
    op.execute(
        """
        CREATE FUNCTION next_reference_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE reference_generation SET generation = nextval('reference_generation_numbers');
            RETURN NULL;
        END
        $$
        """
    )
    for table, events in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER {table}_reference_generation AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION next_reference_generation()"
        )


def downgrade():
    for table in WATCHED:
        op.execute(f"DROP TRIGGER {table}_reference_generation ON {table}")
    op.execute("DROP FUNCTION next_reference_generation()")
    op.execute("DROP TABLE reference_generation")  # (and its sequence)
