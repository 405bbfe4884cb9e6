"""Managing webhook subscribers (admin only) and reading their delivery log.

An admin manages the subscribers of their own city; another city's subscriber answers 404.
Admins read no case content (DESIGN §1): the delivery log shows what happened to each attempt,
not the bodies sent.

Lock order: the delivery job locks a delivery, then its subscriber. Operations here that touch
deliveries do so before they lock the subscriber, and skip a delivery the job holds, so an admin
and the job never wait on each other in a circle.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.audit.log import AuditAction, record
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.people.scope import covers_region, user_city_code
from gridcase.settings import cipher, utcnow
from gridcase.territory.models import Region
from gridcase.webhooks.destinations import DestinationRefused, check_url
from gridcase.webhooks.models import WebhookDelivery, WebhookSubscription

MIN_SECRET_LENGTH = 16


def _audit(admin: User, subscription: WebhookSubscription, change: str, **details) -> None:
    """Webhook subscribers are configuration: every change goes to the security audit log
    (never the secret)."""
    record(
        AuditAction.CONFIGURATION_CHANGED,
        actor=admin,
        target=f"webhook {subscription.id} {subscription.name}"[:200],
        details={"change": change, "url": subscription.url, "events": subscription.event_types, **details},
    )


def require_admin(user: User) -> None:
    """Raises:
    Forbidden: the user is not an admin."""
    if user.role != Role.ADMIN:
        raise Forbidden("Only an administrator manages webhooks.")


def _scope(admin: User, code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None or not covers_region(admin, region):
        raise Unprocessable(
            "The scope must be a territory node of your city.",
            {"scope": [f"No territory node {code} in your city."]},
        )
    return region


def _secret(data: dict, errors: dict) -> str | None:
    secret = data.get("secret")
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        errors["secret"] = [f"A secret has at least {MIN_SECRET_LENGTH} characters; leave it out to get one."]
    return secret


def list_subscriptions(admin: User) -> list[WebhookSubscription]:
    return list(
        db.session.scalars(
            sa.select(WebhookSubscription)
            .where(WebhookSubscription.city_code == user_city_code(admin))
            .order_by(WebhookSubscription.id)
        )
    )


def get_subscription(admin: User, subscription_id: int, *, lock: bool = False) -> WebhookSubscription:
    """Raises:
    NotFound: no such subscriber in the admin's city."""
    query = sa.select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, WebhookSubscription.city_code == user_city_code(admin)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    subscription = db.session.scalar(query)
    if subscription is None:
        raise NotFound(
            Message("No webhook subscriber %(subscription_id)s.", subscription_id=str(subscription_id))
        )
    return subscription


def _destination(url: str, errors: dict) -> None:
    """A URL the policy of gridcase.webhooks.destinations refuses is a field error."""
    try:
        check_url(url)
    except DestinationRefused as exc:
        errors["url"] = [str(exc)]


def create_subscription(
    admin: User, data: dict, now: datetime | None = None
) -> tuple[WebhookSubscription, str]:
    """A new subscriber and its signing secret (generated when not given).

    Raises:
        Unprocessable: a scope outside the admin's city, a short secret, or a URL the
            destination policy refuses (an address inside the network, user:password …).
    """
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    secret = _secret(data, errors) or secrets.token_urlsafe(32)
    _destination(data["url"], errors)
    if errors:
        raise Unprocessable("The webhook subscriber cannot be saved; see errors.", errors)
    region = _scope(admin, data.get("scope") or admin.scope_code)
    subscription = WebhookSubscription(
        name=data["name"].strip(),
        url=data["url"],
        secret_encrypted=cipher().encrypt(secret, "webhook_secret"),
        event_types=sorted(set(data["event_types"])),
        scope_code=region.code,
        city_code=user_city_code(admin),
        status="active" if data.get("active", True) else "paused",
        consecutive_failures=0,
        paused_at=None if data.get("active", True) else now,
        pause_reason=None if data.get("active", True) else "created paused",
        created_by_id=admin.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(subscription)
    db.session.flush()
    _audit(admin, subscription, "created")
    return subscription, secret


def update_subscription(
    admin: User, subscription_id: int, data: dict, now: datetime | None = None
) -> WebhookSubscription:
    """Change the name, URL, secret, event types or scope of a subscriber.

    Raises:
        NotFound: no such subscriber in the admin's city.
        Unprocessable: a scope outside the admin's city, or a short secret.
    """
    subscription = get_subscription(admin, subscription_id, lock=True)
    errors: dict[str, list[str]] = {}
    secret = _secret(data, errors)
    if data.get("url") is not None:
        _destination(data["url"], errors)
    if errors:
        raise Unprocessable("The webhook subscriber cannot be saved; see errors.", errors)
    if data.get("name") is not None:
        subscription.name = data["name"].strip()
    if data.get("url") is not None:
        subscription.url = data["url"]
    if secret is not None:
        subscription.secret_encrypted = cipher().encrypt(secret, "webhook_secret")
    if data.get("event_types") is not None:
        subscription.event_types = sorted(set(data["event_types"]))
    if data.get("scope") is not None:
        subscription.scope_code = _scope(admin, data["scope"]).code
    subscription.updated_at = now or utcnow()
    db.session.flush()
    _audit(admin, subscription, "changed", secret_changed=secret is not None)
    return subscription


def delete_subscription(admin: User, subscription_id: int) -> None:
    """Remove a subscriber with its outbox and delivery log.

    Raises:
        NotFound: no such subscriber in the admin's city.
    """
    subscription = get_subscription(admin, subscription_id)
    # Deliveries first (waiting for one being sent right now), the subscriber last.
    db.session.execute(
        sa.delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id),
        execution_options={"synchronize_session": False},
    )
    _audit(admin, subscription, "deleted")
    db.session.delete(subscription)
    db.session.flush()


def pause_subscription(admin: User, subscription_id: int, now: datetime | None = None) -> WebhookSubscription:
    """Stop queueing and sending events to the subscriber until it is resumed."""
    now = now or utcnow()
    subscription = get_subscription(admin, subscription_id, lock=True)
    if subscription.status != "paused":
        subscription.status = "paused"
        subscription.paused_at = now
        subscription.pause_reason = f"paused by {admin.username}"
    subscription.updated_at = now
    db.session.flush()
    _audit(admin, subscription, "paused")
    return subscription


def resume_subscription(
    admin: User, subscription_id: int, now: datetime | None = None
) -> WebhookSubscription:
    """Send again: the failure count starts afresh and waiting deliveries are due at once."""
    now = now or utcnow()
    get_subscription(admin, subscription_id)
    waiting = (
        sa.select(WebhookDelivery.id)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at > now,
        )
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        sa.update(WebhookDelivery).where(WebhookDelivery.id.in_(waiting)).values(next_attempt_at=now),
        execution_options={"synchronize_session": False},
    )
    subscription = get_subscription(admin, subscription_id, lock=True)
    subscription.status = "active"
    subscription.consecutive_failures = 0
    subscription.paused_at = None
    subscription.pause_reason = None
    subscription.updated_at = now
    db.session.flush()
    _audit(admin, subscription, "resumed")
    return subscription


def list_deliveries(
    admin: User, subscription_id: int, status: str | None = None, page: int = 1, page_size: int = 20
) -> tuple[list[WebhookDelivery], int]:
    """The subscriber's deliveries, newest first, each with every attempt; and their count.

    Raises:
        NotFound: no such subscriber in the admin's city.
    """
    subscription = get_subscription(admin, subscription_id)
    conditions = [WebhookDelivery.subscription_id == subscription.id]
    if status:
        conditions.append(WebhookDelivery.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery).where(*conditions))
    items = list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(*conditions)
            .options(so.selectinload(WebhookDelivery.attempt_log))
            .order_by(WebhookDelivery.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    return items, total


def retry_delivery(
    admin: User, subscription_id: int, delivery_id: int, now: datetime | None = None
) -> WebhookDelivery:
    """Send a given-up delivery again, with a fresh count of attempts.

    Raises:
        NotFound: no such delivery of a subscriber in the admin's city.
        Unprocessable: the delivery was acknowledged (never sent twice) or is still being tried.
    """
    subscription = get_subscription(admin, subscription_id)
    delivery = db.session.scalar(
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == subscription.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if delivery is None:
        raise NotFound(
            Message(
                "No delivery %(delivery_id)s of webhook subscriber %(subscription_id)s.",
                delivery_id=str(delivery_id),
                subscription_id=str(subscription_id),
            )
        )
    if delivery.status != "failed":
        reason = (
            "It was delivered (acknowledged with a 2xx) and is never sent again."
            if delivery.status == "delivered"
            else "It is still being tried; it will be sent at its next attempt."
        )
        raise Unprocessable(f"Only a given-up delivery can be retried. {reason}", {"delivery": [reason]})
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now or utcnow()
    db.session.flush()
    return delivery
