"""Which process does a job: PostgreSQL advisory locks, one per job.

Every host may run a scheduler; each job takes its lock in its own transaction and the others
find it taken and return at once. The lock ends with the transaction, so a process that dies
never leaves it held.
"""

from __future__ import annotations

import sqlalchemy as sa

from gridcase.extensions import db

# The jobs' lock names: eight ASCII characters each, read as one bigint key.
SWEEP = "gridcase"
ALERT_SCAN = "gcalerts"
STATS_REFRESH = "gcstats1"
HOUSEKEEPING = "gchouse1"
CHECKPOINT = "gcchkpt1"
CASE_FILES = "gcfiles1"
# Not a job's: appending to the audit log's chain, one entry at a time (a blocking lock).
AUDIT_CHAIN = "gcaudit1"


def lock_key(name: str) -> int:
    """The bigint key of a lock name (the eight bytes read big-endian, sign bit cleared)."""
    return int.from_bytes(name.encode("ascii"), "big") & 0x7FFFFFFFFFFFFFFF


def try_job_lock(name: str) -> bool:
    """Take the job's lock for this transaction; False when another process holds it."""
    return bool(db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(lock_key(name)))))
