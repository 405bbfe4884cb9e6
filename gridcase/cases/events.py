"""The case event log: append-only, hash-chained per case, and its verification.

Each event's hash is HMAC-SHA256(previous hash + canonical JSON of the event) under
GRIDCASE_CHAIN_KEY, which the database never holds; the first event chains from 64 zeros.
Changing, inserting or removing any event behind the application's back breaks every later
link, and `verify_chain` names the first broken one; cutting a chain's last events is found
against the signed checkpoints of gridcase.cases.integrity.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from gridcase.cases.models import Case, CaseEvent
from gridcase.extensions import db
from gridcase.settings import chain_key
from gridcase.webhooks.outbox import enqueue_case_event, enqueue_case_events

GENESIS_HASH = "0" * 64
# The columns an event's hash covers (the arguments of canonical_event).
CHAINED_EVENT_FIELDS = (
    "case_id",
    "seq",
    "at",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "from_level",
    "to_level",
    "payload",
)


def _json_value(value):
    """Values a loaded request carries that JSON has no type for: times and dates as ISO 8601."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def normalise_payload(payload: dict | None) -> dict:
    """The payload as it will come back from JSONB: plain JSON types only (enums as their
    values, times and dates as ISO 8601 text)."""
    return json.loads(json.dumps(payload or {}, default=_json_value, ensure_ascii=False))


def canonical_event(
    *,
    case_id: int,
    seq: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    from_status: str | None,
    to_status: str,
    from_level: str | None,
    to_level: str,
    payload: dict,
) -> bytes:
    """The bytes an event's hash covers: sorted keys, no spaces, UTC time to the microsecond."""
    document = {
        "case_id": case_id,
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "from_level": from_level,
        "to_level": to_level,
        "payload": payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev_hash: str, canonical: bytes) -> str:
    """HMAC-SHA256, under a key the database never holds, of the previous hash and the event:
    whoever can write the table but lacks the key cannot make a rewritten chain verify."""
    return hmac.new(chain_key(), prev_hash.encode("ascii") + canonical, hashlib.sha256).hexdigest()


def append_event(
    case: Case,
    *,
    action: str,
    at: datetime,
    actor_id: int | None,
    from_status: str | None,
    from_level: str | None,
    payload: dict | None = None,
) -> CaseEvent:
    """Append the next event of `case` (its current status and level are the "to" side).

    The caller holds the case row (locked FOR UPDATE), so no other writer can take the same
    sequence number; the unique (case_id, seq) constraint backs that up.
    """
    last = db.session.execute(
        sa.select(CaseEvent.seq, CaseEvent.hash)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    event = _chained(case, seq, prev_hash, action, at, actor_id, from_status, from_level, payload)
    db.session.add(event)
    db.session.flush()
    db.session.expire(case, ["events"])  # the timeline read next includes this event
    # The webhook outbox, in this same transaction: a delivery exists if and only if its event
    # was committed. Sending is the scheduler's job, never the caller's.
    enqueue_case_event(case, event)
    return event


def first_event(
    case: Case, event_id: int, *, action: str, at: datetime, actor_id: int, payload: dict
) -> CaseEvent:
    """The event that creates `case` (the first of its chain), under its reserved key, built but
    not written: intake writes it in the case's own INSERT (gridcase.inserts.insert_together),
    then queues it for the webhooks (`enqueue_case_event`), as `append_event` does."""
    event = _chained(case, 1, GENESIS_HASH, action, at, actor_id, None, None, payload)
    event.id = event_id
    return event


def _chained(
    case: Case,
    seq: int,
    prev_hash: str,
    action: str,
    at: datetime,
    actor_id: int | None,
    from_status: str | None,
    from_level: str | None,
    payload: dict | None,
) -> CaseEvent:
    """Event `seq` of `case`, linked to the hash before it."""
    fields = dict(
        case_id=case.id,
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=case.status,
        from_level=from_level,
        to_level=case.level,
        payload=normalise_payload(payload),
    )
    return CaseEvent(**fields, prev_hash=prev_hash, hash=link_hash(prev_hash, canonical_event(**fields)))


@dataclass(frozen=True)
class NewEvent:
    """One event of a batch (`append_events`): the fields `append_event` takes, with the "to"
    side given, since the batch's cases are changed set-based and not loaded."""

    case_id: int
    action: str
    at: datetime
    actor_id: int | None
    from_status: str | None
    to_status: str
    from_level: str | None
    to_level: str
    payload: dict


# Each case's last link, for a batch of cases, in one statement.
_LAST_LINKS = sa.text(
    """
    SELECT c.id, last.seq, last.hash
    FROM unnest(CAST(:case_ids AS bigint[])) AS c(id)
    JOIN LATERAL (
        SELECT seq, hash FROM case_events e WHERE e.case_id = c.id ORDER BY seq DESC LIMIT 1
    ) AS last ON true
    """
)
# A batch of events in one statement, whatever its size: one array a column.
_EVENT_COLUMNS = (*CHAINED_EVENT_FIELDS, "prev_hash", "hash")
_EVENT_ARRAY_TYPES = dict(
    case_id="bigint",
    seq="integer",
    at="timestamptz",
    actor_id="integer",
    payload="jsonb",
)
_INSERT_EVENTS = sa.text(
    f"INSERT INTO case_events ({', '.join(_EVENT_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"CAST(:{name} AS {_EVENT_ARRAY_TYPES.get(name, 'text')}[])" for name in _EVENT_COLUMNS)
    + ") RETURNING id, case_id"
)


def append_events(new: list[NewEvent]) -> dict[int, int]:
    """Append one event to each of many cases (the sweep's batch) in two statements: every
    case's last link read at once, every event written at once, each chained exactly as
    `append_event` chains it. Returns the new event id of each case id.

    The caller holds every case row locked, and a batch has at most one event a case (the links
    are read before any is written)."""
    if not new:
        return {}
    case_ids = [e.case_id for e in new]
    if len(set(case_ids)) != len(case_ids):
        raise ValueError("append_events takes at most one event a case")
    last = {row.id: (row.seq, row.hash) for row in db.session.execute(_LAST_LINKS, {"case_ids": case_ids})}
    events = []
    for e in new:
        seq, prev_hash = last.get(e.case_id, (0, GENESIS_HASH))
        fields = dict(
            case_id=e.case_id,
            seq=seq + 1,
            at=e.at,
            actor_id=e.actor_id,
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            from_level=e.from_level,
            to_level=e.to_level,
            payload=normalise_payload(e.payload),
        )
        events.append(
            {**fields, "prev_hash": prev_hash, "hash": link_hash(prev_hash, canonical_event(**fields))}
        )
    # One array a column; the payloads as JSON text, cast to jsonb by the statement.
    columns = {name: [event[name] for event in events] for name in _EVENT_COLUMNS}
    columns["payload"] = [json.dumps(payload, ensure_ascii=False) for payload in columns["payload"]]
    ids = {row.case_id: row.id for row in db.session.execute(_INSERT_EVENTS, columns)}
    enqueue_case_events([CaseEvent(id=ids[event["case_id"]], **event) for event in events])
    return ids


def log_beside(case: Case, action: str, actor_id: int | None, payload: dict, at: datetime) -> CaseEvent:
    """An event recorded beside the case's course — a session held, a mediator invited, an
    agreement followed up: its status and level stay as they are; the case has changed."""
    event = append_event(
        case,
        action=action,
        at=at,
        actor_id=actor_id,
        from_status=case.status,
        from_level=case.level,
        payload=payload,
    )
    case.updated_at = at
    return event


@dataclass(frozen=True)
class BrokenLink:
    case_id: int
    public_number: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"case {self.public_number} (id {self.case_id}): event {self.seq}: {self.reason}"


def _verify_events(events: list[CaseEvent]) -> tuple[int, str] | None:
    """(seq, why) of the first bad event in one case's chain, or None when it verifies."""
    prev_hash = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return event.seq, f"sequence jumps from {expected_seq - 1} to {event.seq}"
        if event.prev_hash != prev_hash:
            return event.seq, "its previous-hash does not match the event before it"
        canonical = canonical_event(
            case_id=event.case_id,
            seq=event.seq,
            at=event.at,
            actor_id=event.actor_id,
            action=event.action,
            from_status=event.from_status,
            to_status=event.to_status,
            from_level=event.from_level,
            to_level=event.to_level,
            payload=event.payload,
        )
        if link_hash(prev_hash, canonical) != event.hash:
            return event.seq, "its content does not match its hash (the row was altered)"
        prev_hash = event.hash
    return None


def verify_chain(case_id: int | None = None, batch_size: int = 500) -> tuple[int, list[BrokenLink]]:
    """Verify the event chain of one case, or of every case. Returns (cases checked, breaks).

    Walks the cases in id order, a batch at a time, so memory stays flat at any size.
    """
    checked, broken, after_id = 0, [], 0
    while True:
        query = sa.select(Case.id, Case.public_number).where(Case.id > after_id)
        if case_id is not None:
            query = query.where(Case.id == case_id)
        batch = db.session.execute(query.order_by(Case.id).limit(batch_size)).all()
        if not batch:
            return checked, broken
        after_id = batch[-1].id
        events: dict[int, list[CaseEvent]] = {row.id: [] for row in batch}
        for event in db.session.scalars(
            sa.select(CaseEvent)
            .where(CaseEvent.case_id.in_(events))
            .order_by(CaseEvent.case_id, CaseEvent.seq)
            .execution_options(populate_existing=True)
        ):
            events[event.case_id].append(event)
        for row in batch:
            checked += 1
            problem = _verify_events(events[row.id]) if events[row.id] else (0, "the case has no events")
            if problem:
                broken.append(BrokenLink(row.id, row.public_number, *problem))
