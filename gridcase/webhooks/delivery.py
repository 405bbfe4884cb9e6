"""The delivery job: sends due outbox rows to their subscribers. It runs in the scheduler
process (gridcase.jobs), never in a web request.

Each delivery is taken with FOR UPDATE SKIP LOCKED in its own short transaction, sent, its
attempt logged, and committed at once: two scheduler processes never send the same delivery at
the same time, and once a 2xx is recorded the row is no longer pending, so it is never sent
again. Failures wait with exponential back-off; after the configured number of attempts the
delivery is given up (an admin may retry it), and a subscriber failing that many times in a
row is paused until an admin resumes it.
"""

from __future__ import annotations

import http.client
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from gridcase.extensions import db
from gridcase.settings import cipher, setting, utcnow
from gridcase.webhooks.destinations import SCHEMES, Destination, DestinationRefused, resolve
from gridcase.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from gridcase.webhooks.rules import backoff, body_bytes, headers

log = logging.getLogger(__name__)

# Read of an answer's body, so the connection closes cleanly; the bytes are thrown away.
RESPONSE_DRAIN_BYTES = 64 * 1024


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    paused: list[str] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return self.delivered + self.failed_attempts

    def lines(self) -> list[str]:
        lines = [
            f"Webhooks: {self.delivered} delivered, {self.failed_attempts} failed attempt(s), "
            f"{self.gave_up} given up."
        ]
        lines += [f"  paused after repeated failures: {name}" for name in self.paused]
        return lines


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the one address resolved, with the URL's host as the TLS server name (the
    certificate is checked against the host, not the address)."""

    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = destination.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _connection(destination: Destination, timeout: float) -> http.client.HTTPConnection:
    if destination.scheme == "https":
        return _PinnedHTTPSConnection(destination, timeout)
    return http.client.HTTPConnection(destination.address, destination.port, timeout=timeout)


def post(
    url: str,
    body: bytes,
    request_headers: dict[str, str],
    timeout: float,
    check_answer: Callable[[bytes], str | None] | None = None,
) -> Outcome:
    """POST the body once, to the address the URL's host resolves to now if the destination
    policy allows it (gridcase.webhooks.destinations). No redirects are followed and no proxy
    is used: a subscriber's URL is where its events go, and a 3xx counts as a failure the admin
    can see. The outcome keeps the status code and never the body of the answer; a receiver
    that says "failed" inside a 2xx (a group robot's errcode) is read by `check_answer`, which
    returns the error, or None."""
    started = time.monotonic()
    connection = None
    try:
        destination = resolve(url)
        connection = _connection(destination, timeout)
        default_port = destination.port == SCHEMES[destination.scheme]
        host = destination.host if default_port else f"{destination.host}:{destination.port}"
        if ":" in destination.host:  # an IPv6 literal
            host = f"[{destination.host}]" if default_port else f"[{destination.host}]:{destination.port}"
        connection.request("POST", destination.target, body=body, headers={**request_headers, "Host": host})
        response = connection.getresponse()
        answer = response.read(RESPONSE_DRAIN_BYTES)  # not kept: it may carry another host's data
        status, error = response.status, None
        if not 200 <= status < 300:
            error = f"HTTP {status} {response.reason}"
        elif check_answer is not None and (error := check_answer(answer)):
            status = None  # a failure the receiver reported in its answer
    except DestinationRefused as exc:
        status, error = None, f"Destination refused: {exc}"
    except Exception as exc:
        # Whatever goes wrong with one subscriber (refused, timed out, a bad port, TLS) is that
        # attempt's failure, logged for the admin; it must never stop the queue behind it.
        status, error = None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        if connection is not None:
            connection.close()
    return Outcome(status, error[:500] if error else None, round((time.monotonic() - started) * 1000))


def _next_due(moment: datetime) -> tuple[WebhookDelivery, WebhookSubscription] | None:
    row = db.session.execute(
        sa.select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= moment,
            WebhookSubscription.status == "active",
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()
    return (row[0], row[1]) if row else None


def deliver_due(now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Send the due deliveries, up to `limit` (GRIDCASE_WEBHOOK_BATCH), each committed on its own.

    `now` fixes the job's clock, for attempts and back-off, so tests skip the waits; without
    it each delivery is sent at the real time.
    """
    report = DeliveryReport()
    limit = limit or int(setting("GRIDCASE_WEBHOOK_BATCH"))
    timeout = float(setting("GRIDCASE_WEBHOOK_TIMEOUT_SECONDS"))
    box = cipher()
    for _ in range(limit):
        moment = now or utcnow()
        due = _next_due(moment)
        if due is None:
            break
        delivery, subscription = due
        body = body_bytes(str(delivery.uid), delivery.payload)
        try:
            secret = box.decrypt(subscription.secret_encrypted, "webhook_secret")
        except (ValueError, InvalidTag):  # e.g. GRIDCASE_DATA_KEY changed since it was stored
            outcome = Outcome(None, "The subscriber's secret cannot be decrypted; set it again.", 0)
        else:
            outcome = post(
                subscription.url,
                body,
                headers(str(delivery.uid), delivery.event_types, secret, body, int(moment.timestamp())),
                timeout,
            )
        _record(delivery, subscription, outcome, moment, report)
        db.session.commit()
    db.session.commit()  # end the last read, so no snapshot is held between runs
    return report


def _record(
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    outcome: Outcome,
    moment: datetime,
    report: DeliveryReport,
) -> None:
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=moment,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    # The subscriber's row is locked for the failure count, so counts from two processes at
    # once are never lost; the lock lasts until the commit right after.
    subscriber = db.session.scalar(
        sa.select(WebhookSubscription)
        .where(WebhookSubscription.id == subscription.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if outcome.ok:
        delivery.status = "delivered"
        delivery.delivered_at = moment
        subscriber.consecutive_failures = 0
        report.delivered += 1
        return
    report.failed_attempts += 1
    if delivery.attempts >= int(setting("GRIDCASE_WEBHOOK_MAX_ATTEMPTS")):
        delivery.status = "failed"
        report.gave_up += 1
    else:
        delivery.next_attempt_at = moment + backoff(
            delivery.attempts,
            float(setting("GRIDCASE_WEBHOOK_BACKOFF_BASE_SECONDS")),
            float(setting("GRIDCASE_WEBHOOK_BACKOFF_CAP_SECONDS")),
        )
    subscriber.consecutive_failures += 1
    if subscriber.status == "active" and subscriber.consecutive_failures >= int(
        setting("GRIDCASE_WEBHOOK_PAUSE_AFTER")
    ):
        subscriber.status = "paused"
        subscriber.paused_at = moment
        subscriber.pause_reason = (
            f"{subscriber.consecutive_failures} consecutive failed attempts; last: {outcome.error}"
        )[:300]
        report.paused.append(subscriber.name)
        log.warning(
            "Webhook subscriber %s (%s) paused after repeated failures.", subscriber.id, subscriber.name
        )


def prune_deliveries(now: datetime | None = None) -> int:
    """Delete finished deliveries (delivered, or given up) older than
    GRIDCASE_WEBHOOK_RETENTION_DAYS, with their attempt logs; returns how many. Pending ones stay
    whatever their age: a paused subscriber still gets them when an admin resumes it."""
    before = (now or utcnow()) - timedelta(days=int(setting("GRIDCASE_WEBHOOK_RETENTION_DAYS")))
    return db.session.execute(
        sa.delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(("delivered", "failed")), WebhookDelivery.created_at < before
        )
    ).rowcount
