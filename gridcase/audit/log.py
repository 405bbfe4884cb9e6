"""Writing and reading the security audit log.

`record()` adds an entry to the current transaction, so it commits with what it describes.
A request that fails afterwards (a refused login, a denied permission) rolls its transaction
back, and its audit entries with it; the error handlers then call `keep_after_failure()`,
which writes them again in a transaction of their own. Nothing worth auditing is lost.

Every entry is chained to the one before it when it is written (gridcase.audit.chain): a
session's new entries when it flushes, the others as they are inserted.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import g, has_request_context, request

from gridcase.audit.chain import chain, take_the_pen
from gridcase.audit.models import AuditEntry
from gridcase.extensions import db
from gridcase.settings import setting, utcnow

# The database refuses to delete younger rows whatever the configuration says (migration 0006).
MINIMUM_RETENTION_DAYS = 180


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_BLOCKED = "login_blocked"  # a locked account or a throttled address
    LOCKOUT = "lockout"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    TWO_FACTOR_ENROLLED = "two_factor_enrolled"
    RECOVERY_CODE_USED = "recovery_code_used"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    PERMISSION_DENIED = "permission_denied"
    REVEAL = "reveal_personal_data"
    USER_CREATED = "user_created"
    USER_CHANGED = "user_changed"
    CATALOGUE_CHANGED = "catalogue_changed"
    CALENDAR_CHANGED = "calendar_changed"
    GEODATA_IMPORTED = "geodata_imported"
    UNITS_IMPORTED = "units_imported"
    UNIT_CREATED = "unit_created"  # by an administrator (gridcase.units.admin)
    UNIT_CHANGED = "unit_changed"  # its fields, active or not, its categories and defaults
    CHANNEL_ADDED = "channel_added"  # a notification channel (e-mail, SMS, group robot)
    CHANNEL_REMOVED = "channel_removed"  # by its owner (their own e-mail or SMS)
    CONFIGURATION_CHANGED = "configuration_changed"
    KEYS_ROTATED = "keys_rotated"
    PARTIES_ANONYMISED = "parties_anonymised"
    AUDIT_EXPORTED = "audit_exported"
    DATA_EXPORTED = "data_exported"
    AUDIT_PRUNED = "audit_pruned"


def client_ip() -> str | None:
    """The client's address as the WSGI server saw it (configure a proxy fix behind a proxy)."""
    return request.remote_addr if has_request_context() else None


def _entry_values(
    action: AuditAction | str,
    *,
    result: str = "ok",
    target: str = "",
    details: dict | None = None,
    actor=None,
    username: str | None = None,
    at: datetime | None = None,
    city: str | None = None,
) -> dict:
    return {
        "city_code": city or _city_of(actor),
        "at": at or utcnow(),
        "actor_id": actor.id if actor is not None else None,
        "actor_username": username or (actor.username if actor is not None else None),
        "ip": client_ip(),
        "action": AuditAction(action).value,
        "target": target[:200],
        "result": result,
        "details": details or {},
    }


def _city_of(actor) -> str | None:
    """The city an entry concerns by default: its actor's (an auditor reads their city's)."""
    if actor is None or actor.scope is None:
        return None
    return actor.scope.city_code or actor.scope.code


_written = itertools.count()  # the order a session's new entries were recorded in


def record(action: AuditAction | str, **kwargs) -> AuditEntry:
    """Add an audit entry to the current transaction (see the module docstring). Keyword
    arguments: result ("ok", "failed", "denied"), target, details, actor, username, at, and
    city (default: the actor's; none for what concerns no city, such as a sign-in attempt
    under a username nobody has)."""
    values = _entry_values(action, **kwargs)
    entry = AuditEntry(**values)
    entry.written = next(_written)
    db.session.add(entry)
    if has_request_context():
        g.setdefault("audit_entries", []).append((entry, values))
    return entry


def record_now(action: AuditAction | str, **kwargs) -> None:
    """Write an audit entry at once on a connection of its own, for read-only requests (an
    export may read from a replica and stream its answer after the request's session ends).
    Not for a request whose session has written audit entries already: that transaction holds
    the chain's lock, which this connection would wait for."""
    _insert_chained([_entry_values(action, **kwargs)])


def _insert_chained(values: list[dict]) -> None:
    """Insert entries in a transaction of their own, chained (gridcase.audit.chain): on a fresh
    connection of the primary; or, when the session is bound to one connection (a test runs in
    one transaction it rolls back), in a savepoint of it, since another connection would wait
    for the chain's lock that transaction holds."""
    bound = db.session.bind
    if isinstance(bound, sa.Connection):
        with bound.begin_nested():
            chain(take_the_pen(bound.execute), values)
            bound.execute(sa.insert(AuditEntry), values)
        return
    with db.engine.begin() as connection:
        chain(take_the_pen(connection.execute), values)
        connection.execute(sa.insert(AuditEntry), values)


def keep_after_failure() -> None:
    """Write this request's uncommitted audit entries on a connection of their own: the
    request's transaction is about to be thrown away. Called by the error handlers."""
    recorded = g.pop("audit_entries", None) if has_request_context() else None
    if not recorded:
        return
    if isinstance(db.session.bind, sa.Connection):
        # A test's one transaction (see _insert_chained): it stays; the entries it has not yet
        # written leave the session, so that they are not written twice.
        for entry, _values in recorded:
            if entry in db.session and sa.inspect(entry).pending:
                db.session.expunge(entry)
    else:
        # The failed request's transaction goes now (its teardown would roll it back anyway):
        # it may hold the chain's lock, which the connection below must take.
        db.session.rollback()
    _insert_chained([dict(values) for _entry, values in recorded])


@sa.event.listens_for(so.Session, "before_flush")
def _chain_new_entries(session, flush_context, instances) -> None:
    """Chain the session's new entries as they are written. (During a flush the session reads
    from the primary, whatever routes the request's other reads.)"""
    new = sorted(
        (o for o in session.new if isinstance(o, AuditEntry) and o.hash is None),
        key=lambda entry: getattr(entry, "written", 0),
    )
    if new:
        chain(take_the_pen(session.execute), new)


@sa.event.listens_for(so.Session, "after_commit")
def _forget_committed(session) -> None:
    """Entries that committed with their request need no second write."""
    if has_request_context():
        g.pop("audit_entries", None)


def entries(
    city: str | None, filters: dict, page: int = 1, page_size: int = 50
) -> tuple[list[AuditEntry], int]:
    """The entries an auditor of `city` reads, newest first, filtered by action, actor name,
    result and period: their city's, and those that concern no city."""
    conditions = [sa.or_(AuditEntry.city_code == city, AuditEntry.city_code.is_(None))]
    if filters.get("action"):
        conditions.append(AuditEntry.action == filters["action"])
    if filters.get("actor"):
        conditions.append(AuditEntry.actor_username == filters["actor"])
    if filters.get("result"):
        conditions.append(AuditEntry.result == filters["result"])
    if filters.get("from"):
        conditions.append(AuditEntry.at >= filters["from"])
    if filters.get("to"):
        conditions.append(AuditEntry.at < filters["to"])
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*conditions))
    rows = db.session.scalars(
        sa.select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), total


def prune(now: datetime | None = None) -> int:
    """Delete entries older than the retention period (never less than 180 days)."""
    now = now or utcnow()
    days = max(int(setting("GRIDCASE_AUDIT_RETENTION_DAYS")), MINIMUM_RETENTION_DAYS)
    # Through the owner's function (migration 0009): the app's role may not delete entries.
    removed = db.session.scalar(
        sa.text("SELECT prune_audit_log(:before)"), {"before": now - timedelta(days=days)}
    )
    if removed:
        first_kept = db.session.scalar(sa.text("SELECT prev_hash FROM audit_log ORDER BY id LIMIT 1"))
        record(
            AuditAction.AUDIT_PRUNED,
            details={"removed": removed, "retention_days": days, "first_kept_prev_hash": first_kept},
        )
    return removed
