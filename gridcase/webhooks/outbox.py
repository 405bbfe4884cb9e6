"""Filling the webhook outbox: one row per (subscriber, case event), in the event's transaction.

`append_event` calls `enqueue_case_event` right after it writes an event, so a delivery exists
exactly when its event was committed: a rolled-back action leaves no delivery behind, and a
committed one cannot lose its delivery. Nothing is sent here; the scheduler's delivery job sends
(gridcase.webhooks.delivery), so no web request ever waits for a subscriber.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gridcase.cases.models import Case, CaseEvent
from gridcase.cases.schemas import WEBHOOK_CASE_FIELDS, CaseSchema
from gridcase.extensions import db
from gridcase.reference import kept
from gridcase.webhooks.models import WebhookDelivery, WebhookSubscription
from gridcase.webhooks.rules import event_types

_WEBHOOK_CASE = CaseSchema(only=WEBHOOK_CASE_FIELDS)


def event_document(case: Case, event: CaseEvent) -> dict:
    """What a subscriber is told: the event and the case's state after it (the case schema's
    webhook fields).

    No free text of the log (notes, mediation records, reasons) and no parties: those may name
    people, and a subscriber with the right to read them reads them through the API.
    """
    at = event.at.isoformat()
    return {
        "types": event_types(
            event.action, event.from_status, event.to_status, event.from_level, event.to_level
        ),
        "occurred_at": at,
        "event": {
            "id": event.id,
            "seq": event.seq,
            "action": event.action,
            "at": at,
            "actor_id": event.actor_id,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "from_level": event.from_level,
            "to_level": event.to_level,
            "hash": event.hash,
        },
        "case": _WEBHOOK_CASE.dump(case),
    }


# The outbox rows of one event: one INSERT … SELECT over the subscriptions, built once (building
# it cost more Python time per action than PostgreSQL's answer).
_ENQUEUE = (
    # (the table, not the entity: given parameters, an ORM INSERT would be a bulk insert)
    insert(WebhookDelivery.__table__)
    .from_select(
        [
            "subscription_id",
            "case_event_id",
            "event_types",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
        ],
        sa.select(
            WebhookSubscription.id,
            sa.bindparam("event_id", type_=sa.BigInteger),
            sa.bindparam("types", type_=WebhookDelivery.event_types.type),
            sa.bindparam("document", type_=WebhookDelivery.payload.type),
            sa.literal("pending"),
            sa.literal(0),
            # Due at once; a sweep run "as if" at a later time (CLI --at) still delivers now.
            sa.func.least(sa.bindparam("at", type_=WebhookDelivery.next_attempt_at.type), sa.func.now()),
            sa.bindparam("at", type_=WebhookDelivery.created_at.type),
        ).where(
            WebhookSubscription.status == "active",
            WebhookSubscription.event_types.overlap(
                sa.bindparam("types", type_=WebhookSubscription.event_types.type)
            ),
            WebhookSubscription.scope_code.in_(sa.bindparam("territory", expanding=True)),
        ),
    )
    .on_conflict_do_nothing(constraint="uq_webhook_deliveries_subscription_event")
)


@dataclass(frozen=True)
class Subscribed:
    """What an active subscription asked for: its event types, inside its scope node."""

    event_types: frozenset[str]
    scope_code: str


def active_subscriptions() -> tuple[Subscribed, ...]:
    """The active subscriptions, kept in the process until one changes (gridcase.reference):
    most installations have none, and most events concern none."""
    return kept("webhook subscriptions", _read_subscriptions)


def _read_subscriptions() -> tuple[Subscribed, ...]:
    rows = db.session.execute(
        sa.select(WebhookSubscription.event_types, WebhookSubscription.scope_code).where(
            WebhookSubscription.status == "active"
        )
    )
    return tuple(Subscribed(frozenset(types), scope) for types, scope in rows)


def enqueue_case_event(case: Case, event: CaseEvent) -> None:
    """Queue the event for every active subscriber that asked for one of its types and whose
    scope holds the case (one INSERT … SELECT; no statement and no document when none did)."""
    territory = [
        code
        for code in (
            case.city_code,
            case.district_code,
            case.township_code,
            case.community_code,
            case.grid_code,
        )
        if code
    ]
    types = event_types(event.action, event.from_status, event.to_status, event.from_level, event.to_level)
    if not any(
        subscribed.scope_code in territory and subscribed.event_types.intersection(types)
        for subscribed in active_subscriptions()
    ):
        return
    document = event_document(case, event)
    db.session.execute(
        _ENQUEUE,
        {
            "event_id": event.id,
            "types": document["types"],
            "document": document,
            "at": event.at,
            "territory": territory,
        },
    )


def enqueue_case_events(events: list[CaseEvent]) -> None:
    """The outbox rows of a batch of events written set-based (the sweep's), as
    `enqueue_case_event` writes them one by one. The active subscriptions are kept in the
    process (at most the reference generation is read); with none (most installations) no
    document is built. Otherwise only the events some subscriber asked for are queued, with
    their cases loaded once."""
    if not events:
        return
    asked = [subscribed.event_types for subscribed in active_subscriptions()]
    if not asked:
        return

    def asked_for(event: CaseEvent) -> bool:
        types = set(
            event_types(event.action, event.from_status, event.to_status, event.from_level, event.to_level)
        )
        return any(types & subscribed for subscribed in asked)

    wanted = [event for event in events if asked_for(event)]
    if not wanted:
        return
    cases = {
        case.id: case
        for case in db.session.scalars(sa.select(Case).where(Case.id.in_({e.case_id for e in wanted})))
    }
    for event in wanted:  # the subscriber's scope is matched by enqueue_case_event's own statement
        enqueue_case_event(cases[event.case_id], event)
