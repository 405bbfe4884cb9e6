"""Webhook rules that need no database: event types, back-off, the signed body and headers.

A subscriber verifies a delivery by computing HMAC-SHA256 of the raw body with its secret and
comparing it, in constant time, with `X-Gridcase-Signature: sha256=<hex>`. The body carries the
delivery's id (also in `X-Gridcase-Delivery`): a receiver that stores the ids it has handled
ignores a repeat, which can only happen when gridcase could not record a 2xx (it crashed, or the
database went away, between the receiver's answer and the commit).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from enum import StrEnum

from gridcase.cases.lifecycle import Action, LoggedAction

SIGNATURE_HEADER = "X-Gridcase-Signature"
TIMESTAMP_HEADER = "X-Gridcase-Timestamp"
DELIVERY_HEADER = "X-Gridcase-Delivery"
EVENT_HEADER = "X-Gridcase-Event"
USER_AGENT = "gridcase-webhooks/1"


class EventType(StrEnum):
    CREATED = "case.created"  # a case was registered
    STATUS_CHANGED = "case.status_changed"  # accepted, resolved, closed, reopened, rejected …
    LEVEL_CHANGED = "case.level_changed"  # it moved on the ladder, up or down
    ESCALATED = "case.escalated"  # it climbed: escalate, the sweep's auto-escalation, take-over
    OVERDUE = "case.overdue"  # overdue at the top level, put under 督办
    ANY = "case.event"  # every event of the log, notes and mediation sessions included


ESCALATING_ACTIONS = frozenset({Action.ESCALATE, LoggedAction.AUTO_ESCALATE, Action.TAKE_OVER})


def event_types(
    action: str, from_status: str | None, to_status: str, from_level: str | None, to_level: str
) -> list[str]:
    """The types one case event has (a subscriber gets it when it asked for any of them)."""
    types = [EventType.ANY]
    if action == LoggedAction.CREATE:
        types.append(EventType.CREATED)
    if from_status is not None and from_status != to_status:
        types.append(EventType.STATUS_CHANGED)
    if from_level is not None and from_level != to_level:
        types.append(EventType.LEVEL_CHANGED)
    if action in ESCALATING_ACTIONS:
        types.append(EventType.ESCALATED)
    if action == LoggedAction.MARK_OVERDUE:
        types.append(EventType.OVERDUE)
    return [t.value for t in types]


def backoff(failed_attempts: int, base_seconds: float, cap_seconds: float) -> timedelta:
    """Wait before the next attempt: base, 2×base, 4×base … never more than the cap."""
    exponent = min(max(failed_attempts - 1, 0), 32)
    return timedelta(seconds=min(cap_seconds, base_seconds * 2**exponent))


def body_bytes(delivery_uid: str, payload: dict) -> bytes:
    """The exact bytes sent and signed; the same for every attempt of a delivery."""
    document = {"delivery_id": delivery_uid, **payload}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the raw body with the subscriber's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header or "")


def headers(delivery_uid: str, types: list[str], secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: delivery_uid,
        EVENT_HEADER: ",".join(types),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, body),
    }
