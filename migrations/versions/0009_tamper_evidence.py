"""Tamper evidence: keyed chain links for the event log, a chain for the audit log, and pruning
through the owner's function

Until now the event log's links were plain SHA-256 (anyone able to write the table could
re-hash a rewritten chain) and the audit log had no chain. Links are now HMAC-SHA256 under
GRIDCASE_CHAIN_KEY, kept outside the database; the existing links are recomputed under it here,
once, by the operator's migration. The app's role loses UPDATE and DELETE on both logs
(migrations/env.py), so pruning old audit entries goes through `prune_audit_log`, a function of
the owner's that deletes only what the retention allows.

(This migration uses gridcase's own chain functions: the canonical form of a link must never
change, or every chain would break.)

Revision ID: 0009_tamper_evidence
Revises: 0008_sessions
Create Date: 2026-12-04 17:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_tamper_evidence"
down_revision = "0008_sessions"
branch_labels = None
depends_on = None

BATCH = 5000

PRUNE = """
CREATE FUNCTION prune_audit_log(older_than timestamptz) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    -- The oldest entries only, up to the first one still within retention (never less than
    -- 180 days), so what stays is one unbroken chain.
    WITH cutoff AS (
        SELECT least(older_than, now() - interval '180 days') AS at
    ), first_kept AS (
        SELECT coalesce(min(id), 9223372036854775807) AS id FROM audit_log
        WHERE at >= (SELECT at FROM cutoff)
    ), gone AS (
        DELETE FROM audit_log
        WHERE at < (SELECT at FROM cutoff) AND id < (SELECT id FROM first_kept) RETURNING 1
    )
    SELECT count(*) FROM gone
$$
"""


def upgrade():
    from gridcase.audit.chain import chain
    from gridcase.cases.events import CHAINED_EVENT_FIELDS, GENESIS_HASH, canonical_event, link_hash

    connection = op.get_bind()
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(length=64), nullable=True))

    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
    prev_hash, after = GENESIS_HASH, 0
    while (
        rows := connection.execute(
            sa.text(
                "SELECT id, at, actor_id, actor_username, city_code, ip, action, target, result, details "
                "FROM audit_log WHERE id > :after ORDER BY id LIMIT :batch"
            ),
            {"after": after, "batch": BATCH},
        )
        .mappings()
        .all()
    ):
        entries = [dict(row) for row in rows]
        prev_hash = chain(prev_hash, entries)
        connection.execute(
            sa.text("UPDATE audit_log SET prev_hash = :prev_hash, hash = :hash WHERE id = :id"), entries
        )
        after = entries[-1]["id"]
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    op.alter_column("audit_log", "prev_hash", nullable=False)
    op.alter_column("audit_log", "hash", nullable=False)

    op.execute("ALTER TABLE case_events DISABLE TRIGGER case_events_no_change")
    fields = CHAINED_EVENT_FIELDS
    position, previous = (0, 0), GENESIS_HASH
    while (
        rows := connection.execute(
            sa.text(
                f"SELECT id, {', '.join(fields)} FROM case_events WHERE (case_id, seq) > (:case_id, :seq) "
                "ORDER BY case_id, seq LIMIT :batch"
            ),
            {"case_id": position[0], "seq": position[1], "batch": BATCH},
        )
        .mappings()
        .all()
    ):
        updates = []
        for row in rows:  # each case's chain in order, one case after another
            if row["seq"] == 1:
                previous = GENESIS_HASH
            digest = link_hash(previous, canonical_event(**{name: row[name] for name in fields}))
            updates.append({"id": row["id"], "prev_hash": previous, "hash": digest})
            previous = digest
        connection.execute(
            sa.text("UPDATE case_events SET prev_hash = :prev_hash, hash = :hash WHERE id = :id"), updates
        )
        position = (rows[-1]["case_id"], rows[-1]["seq"])
    op.execute("ALTER TABLE case_events ENABLE TRIGGER case_events_no_change")

    op.execute(PRUNE)
    op.execute("REVOKE ALL ON FUNCTION prune_audit_log(timestamptz) FROM PUBLIC")


def downgrade():
    op.execute("DROP FUNCTION prune_audit_log(timestamptz)")
    op.drop_column("audit_log", "hash")
    op.drop_column("audit_log", "prev_hash")
