"""The audit log's chain: every entry keyed to the one written before it.

hash = HMAC-SHA256(previous entry's hash + canonical JSON of the entry) under
GRIDCASE_CHAIN_KEY, which the database never holds; the first entry chains from 64 zeros.
Entries are appended one at a time across the whole installation (a transaction-scoped
advisory lock), so the chain is one line in id order. Deleting an entry in the middle breaks
the link after it; deleting the newest ones is found against the signed checkpoints
(gridcase.cases.integrity); pruning past the retention period starts the chain later and says
so in its own entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC

import sqlalchemy as sa

from gridcase import locks
from gridcase.locks import lock_key
from gridcase.settings import chain_key

GENESIS_HASH = "0" * 64
CHAINED_FIELDS = (
    "at",
    "actor_id",
    "actor_username",
    "city_code",
    "ip",
    "action",
    "target",
    "result",
    "details",
)


def canonical_entry(values) -> bytes:
    """The bytes an entry's hash covers: its fields, sorted, UTC time to the microsecond."""
    document = {name: _get(values, name) for name in CHAINED_FIELDS}
    document["at"] = document["at"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def _get(values, name):
    return values[name] if isinstance(values, Mapping) else getattr(values, name)


def link_hash(prev_hash: str, values) -> str:
    return hmac.new(
        chain_key(), prev_hash.encode("ascii") + canonical_entry(values), hashlib.sha256
    ).hexdigest()


def take_the_pen(execute) -> str:
    """Lock the chain for the rest of this transaction and return its last hash. `execute` runs
    a statement on the connection that will insert the entries."""
    execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(locks.AUDIT_CHAIN))))
    last = execute(sa.text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()
    return last or GENESIS_HASH


def chain(prev_hash: str, entries: Iterable) -> str:
    """Link `entries` (dicts or AuditEntry rows, in writing order) after `prev_hash`; returns the
    new last hash."""
    for entry in entries:
        digest = link_hash(prev_hash, entry)
        if isinstance(entry, dict):
            entry["prev_hash"], entry["hash"] = prev_hash, digest
        else:
            entry.prev_hash, entry.hash = prev_hash, digest
        prev_hash = digest
    return prev_hash


@dataclass(frozen=True)
class AuditBreak:
    entry_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit entry {self.entry_id}: {self.reason}"


def verify_audit_chain(connection, batch_size: int = 2000) -> tuple[int, list[AuditBreak]]:
    """Walk the audit log in id order; (entries checked, breaks). The first entry kept after a
    prune chains from the hash its AUDIT_PRUNED entry recorded."""
    pruned_from = {
        row[0]
        for row in connection.execute(
            sa.text(
                "SELECT details->>'first_kept_prev_hash' FROM audit_log "
                "WHERE action = 'audit_pruned' AND details ? 'first_kept_prev_hash'"
            )
        )
    }
    checked, breaks, after_id, prev_hash = 0, [], 0, None
    while True:
        rows = connection.execute(
            sa.text(
                f"SELECT id, prev_hash, hash, {', '.join(CHAINED_FIELDS)} FROM audit_log "
                "WHERE id > :after ORDER BY id LIMIT :batch"
            ),
            {"after": after_id, "batch": batch_size},
        ).mappings()
        rows = list(rows)
        if not rows:
            return checked, breaks
        for row in rows:
            checked += 1
            expected_prev = prev_hash if prev_hash is not None else row["prev_hash"]
            if prev_hash is None and row["prev_hash"] != GENESIS_HASH and row["prev_hash"] not in pruned_from:
                breaks.append(AuditBreak(row["id"], "entries before it are missing (no prune says so)"))
            elif row["prev_hash"] != expected_prev:
                breaks.append(AuditBreak(row["id"], "an entry before it is missing or was changed"))
            if link_hash(row["prev_hash"], row) != row["hash"]:
                breaks.append(
                    AuditBreak(row["id"], "its content does not match its hash (the row was altered)")
                )
            prev_hash = row["hash"]
        after_id = rows[-1]["id"]
