"""Signed checkpoints of the event log and the audit log, kept outside the database.

The chains (gridcase.cases.events, gridcase.audit.chain) show a changed or removed entry in the
middle; what they cannot show is a cut tail: the newest events of a case, or the newest audit
entries, deleted by someone with the tables' owner's rights. A checkpoint, taken every
GRIDCASE_CHECKPOINT_MINUTES by the scheduler (or `flask gridcase checkpoint`), writes down, as a
file in GRIDCASE_CHECKPOINT_DIR (default: checkpoints/ in the instance folder):

- the audit log's newest entry (id and hash);
- the head (last seq and hash) of every case with events since the previous checkpoint;
- the SHA-256 of the previous checkpoint file, so a checkpoint removed from the series shows;

signed with HMAC-SHA256 under a key derived from GRIDCASE_CHAIN_KEY. `verify_checkpoints`
checks every file against the database: each recorded head and audit entry must still be there
with the same hash (an audit entry may be gone only if a recorded prune took it).

Heads are collected from events with ids above the previous checkpoint's watermark less
WATERMARK_OVERLAP: ids are handed out when an event is inserted, not when its transaction
commits, so an event of a transaction still open at one checkpoint has an id below its
watermark; the overlap takes it in at the next one.

The files are as safe as the folder they are in: copy them off the database's machine (a
backup, another host) so that whoever controls the database cannot also rewrite them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from gridcase import locks
from gridcase.extensions import db
from gridcase.locks import try_job_lock
from gridcase.settings import chain_key, setting, utcnow

FORMAT = 1
WATERMARK_OVERLAP = 1000
FILE_PREFIX = "checkpoint-"
HEADS_BATCH = 5000


class CheckpointRefused(Exception):
    """The newest checkpoint on file is not one of ours (signature, format): no new checkpoint
    is chained to it until someone looks."""


def checkpoint_dir() -> Path:
    configured = setting("GRIDCASE_CHECKPOINT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "checkpoints"


def _signing_key() -> bytes:
    # A key of its own, derived from the chain key: a checkpoint's signature can never pass for
    # a link of either chain.
    return hmac.new(chain_key(), b"gridcase checkpoint signing key", hashlib.sha256).digest()


def _signature(document: dict) -> str:
    body = {name: value for name, value in document.items() if name != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(_signing_key(), canonical, hashlib.sha256).hexdigest()


@dataclass
class CheckpointFile:
    path: Path
    raw: bytes
    document: dict | None  # None: not JSON at all
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.path.name


def _read(path: Path) -> CheckpointFile:
    raw = path.read_bytes()
    try:
        document = json.loads(raw)
    except ValueError:
        return CheckpointFile(path, raw, None, "it is not a checkpoint (not JSON)")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return CheckpointFile(path, raw, None, "it is not a checkpoint of this format")
    if not hmac.compare_digest(str(document.get("signature", "")), _signature(document)):
        return CheckpointFile(path, raw, document, "its signature does not match (the file was altered)")
    return CheckpointFile(path, raw, document)


def checkpoint_files() -> list[CheckpointFile]:
    """Every checkpoint in the folder, oldest first (the names sort by time)."""
    folder = checkpoint_dir()
    if not folder.is_dir():
        return []
    return [_read(path) for path in sorted(folder.glob(f"{FILE_PREFIX}*.json"))]


@dataclass(frozen=True)
class CheckpointReport:
    ran: bool = True  # False: another host is taking one
    path: Path | None = None
    heads: int = 0

    def line(self) -> str:
        return f"Checkpoint {self.path.name}: {self.heads} case head(s) recorded."


def take_checkpoint(now: datetime | None = None) -> CheckpointReport:
    """Write the next checkpoint (see the module docstring); one host at a time. Raises
    CheckpointRefused when the newest checkpoint on file does not verify."""
    if not try_job_lock(locks.CHECKPOINT):
        return CheckpointReport(ran=False)
    files = checkpoint_files()
    previous = files[-1] if files else None
    if previous is not None and previous.problem:
        raise CheckpointRefused(f"{previous.name}: {previous.problem}")
    since = previous.document["events"]["watermark"] - WATERMARK_OVERLAP if previous else 0

    watermark = db.session.scalar(sa.text("SELECT coalesce(max(id), 0) FROM case_events"))
    heads = [
        [row.case_id, row.seq, row.hash]
        for row in db.session.execute(
            sa.text(
                "SELECT DISTINCT ON (case_id) case_id, seq, hash FROM case_events "
                "WHERE id > :since ORDER BY case_id, seq DESC"
            ),
            {"since": max(since, 0)},
        )
    ]
    audit = db.session.execute(sa.text("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")).first()
    taken_at = (now or utcnow()).astimezone(UTC)
    document = {
        "format": FORMAT,
        "taken_at": taken_at.isoformat(timespec="microseconds"),
        "previous": hashlib.sha256(previous.raw).hexdigest() if previous else None,
        "audit": {"last_id": audit.id, "last_hash": audit.hash} if audit else None,
        "events": {"watermark": watermark, "heads": heads},
    }
    document["signature"] = _signature(document)

    folder = checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{FILE_PREFIX}{taken_at.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    partial.replace(path)  # a reader never sees half a checkpoint
    return CheckpointReport(True, path, len(heads))


@dataclass
class CheckpointVerification:
    files: int = 0
    heads: int = 0
    problems: list[str] = field(default_factory=list)


def verify_checkpoints(case_id: int | None = None) -> CheckpointVerification:
    """Check every checkpoint file against the database (see the module docstring); with
    `case_id`, only what the files recorded of that case (and the files themselves)."""
    result = CheckpointVerification()
    files = checkpoint_files()
    pruned_below = _first_audit_id_kept_after_a_prune()
    previous_raw = None
    for file in files:
        result.files += 1
        if file.problem:
            result.problems.append(f"checkpoint {file.name}: {file.problem}")
            previous_raw = file.raw
            continue
        document = file.document
        expected_previous = hashlib.sha256(previous_raw).hexdigest() if previous_raw is not None else None
        if document["previous"] != expected_previous:
            result.problems.append(
                f"checkpoint {file.name}: the checkpoint before it is missing or was replaced"
            )
        previous_raw = file.raw
        if case_id is None:
            result.problems.extend(_audit_problems(file.name, document["audit"], pruned_below))
        heads = [head for head in document["events"]["heads"] if case_id in (None, head[0])]
        result.heads += len(heads)
        result.problems.extend(_head_problems(file.name, heads))
    return result


def _first_audit_id_kept_after_a_prune() -> int | None:
    """Entries below this id may be gone: a prune recorded in the (chained) log took them."""
    pruned = db.session.scalar(sa.text("SELECT 1 FROM audit_log WHERE action = 'audit_pruned' LIMIT 1"))
    if not pruned:
        return None
    return db.session.scalar(sa.text("SELECT min(id) FROM audit_log"))


def _audit_problems(name: str, audit: dict | None, pruned_below: int | None) -> list[str]:
    if audit is None:
        return []
    stored = db.session.scalar(sa.text("SELECT hash FROM audit_log WHERE id = :id"), {"id": audit["last_id"]})
    if stored is None:
        if pruned_below is not None and audit["last_id"] < pruned_below:
            return []
        return [f"checkpoint {name}: audit entry {audit['last_id']} is missing"]
    if stored != audit["last_hash"]:
        return [f"checkpoint {name}: audit entry {audit['last_id']} was changed"]
    return []


def _head_problems(name: str, heads: list) -> list[str]:
    problems = []
    for start in range(0, len(heads), HEADS_BATCH):
        batch = heads[start : start + HEADS_BATCH]
        stored = {
            (row.case_id, row.seq): row.hash
            for row in db.session.execute(
                sa.text(
                    "SELECT e.case_id, e.seq, e.hash FROM case_events e "
                    "JOIN unnest(CAST(:case_ids AS bigint[]), CAST(:seqs AS integer[])) AS h(case_id, seq) "
                    "ON e.case_id = h.case_id AND e.seq = h.seq"
                ),
                {"case_ids": [h[0] for h in batch], "seqs": [h[1] for h in batch]},
            )
        }
        for case_id, seq, digest in batch:
            found = stored.get((case_id, seq))
            if found is None:
                problems.append(f"checkpoint {name}: case id {case_id}: event {seq} is missing")
            elif found != digest:
                problems.append(f"checkpoint {name}: case id {case_id}: event {seq} was changed")
    return problems
