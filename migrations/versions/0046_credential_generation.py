"""The sign-in data's generation: a number every change of a user, an API token or a region moves
on, so that each process may keep the token check's answer (the user and their scope node) and
still refuse a revoked token, a disabled user or an old role at once (issue 20,
gridcase/people/auth.py)

As 0044's reference generation: statement-level triggers on users, api_tokens and regions set
the one row of credential_generation to the next value of a sequence, in the writer's
transaction, so the new number is seen exactly when the change is, and a change rolled back
leaves no number a later change could take. Every UPDATE of a user moves it, the sign-in
bookkeeping included (a kept user is the whole row, as the request reads it). So does a new
token: a token checked in the transaction that made it and then rolled back must not be kept as
valid. A table of its own, not a column of reference_generation: a sign-in's transaction holds
this row until it commits, and must not hold up a change of the calendar or the categories.

Revision ID: 0046_credential_generation
Revises: 0045_group_rollups
Create Date: 2026-12-07 07:00:00

"""

from alembic import op

revision = "0046_credential_generation"
down_revision = "0045_group_rollups"
branch_labels = None
depends_on = None

WATCHED = {
    "users": "UPDATE OR DELETE OR TRUNCATE",
    "api_tokens": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    # (a kept user carries their scope node: a territory import's new name or households are
    # seen at once too)
    "regions": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
}


def upgrade():
    op.execute(
        "CREATE TABLE credential_generation ("
        " generation bigint NOT NULL, only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row))"
    )
    # (owned by the column: dropped with the table)
    op.execute("CREATE SEQUENCE credential_generation_numbers OWNED BY credential_generation.generation")
    op.execute("INSERT INTO credential_generation (generation) VALUES (nextval('credential_generation_numbers'))")
    op.execute(
        """
        CREATE FUNCTION next_credential_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE credential_generation SET generation = nextval('credential_generation_numbers');
            RETURN NULL;
        END
        $$
        """
    )
    for table, events in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER {table}_credential_generation AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION next_credential_generation()"
        )


def downgrade():
    for table in WATCHED:
        op.execute(f"DROP TRIGGER {table}_credential_generation ON {table}")
    op.execute("DROP FUNCTION next_credential_generation()")
    op.execute("DROP TABLE credential_generation")  # (and its sequence)
