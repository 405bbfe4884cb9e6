"""Open311 clients: the other city systems allowed to post requests, and their jurisdictions.

Who reports a public case? Each client (another city system: the 12345 hotline platform, a
WeChat mini-program's back end, a district's 随手拍 app …) is linked to a dedicated system user
with the role `open311_client`, scoped to the client's city. The alternative, a nullable
reporter for public cases, was rejected: every case keeps a reporter, so nothing that reads
`cases.reporter_id` or the event log's actor needs a special case; the timeline says which system
brought a case in; and the intake's own rules apply unchanged — the point must lie in the
reporter's (the client's) city, the source is forced to `public`, and an Idempotency-Key is
scoped per reporter, that is per client. The role reads no case content and its password is a
random value nobody knows, so the user cannot sign in; deactivating a client deactivates it too.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import sqlalchemy as sa

from gridcase.channels.models import Open311Client
from gridcase.errors import Forbidden, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.auth import create_user
from gridcase.people.roles import Role
from gridcase.settings import setting, utcnow


def jurisdictions() -> dict[str, str]:
    """Configured jurisdiction_id → the code of the city it covers."""
    return dict(setting("GRIDCASE_OPEN311_JURISDICTIONS"))


def _key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def _username(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    # Names in Chinese have no ASCII slug; a digest of the name keeps the username stable.
    return f"open311-{slug or hashlib.sha256(name.encode()).hexdigest()[:12]}"


def create_client(
    name: str, jurisdiction_id: str | None = None, now: datetime | None = None
) -> tuple[Open311Client, str]:
    """A new client, its system user, and its API key: returned this once, only its hash is kept.

    Raises:
        Unprocessable: an empty or taken name, or an unknown jurisdiction.
    """
    name = name.strip()
    known = jurisdictions()
    jurisdiction_id = jurisdiction_id or (next(iter(known)) if len(known) == 1 else None)
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 100:
        errors["name"] = ["A client's name has 1 to 100 characters."]
    elif db.session.scalar(sa.select(Open311Client.id).where(Open311Client.name == name)):
        errors["name"] = [f"An Open311 client named {name!r} exists."]
    if jurisdiction_id not in known:
        errors["jurisdiction"] = [f"Choose one of the configured jurisdictions: {', '.join(known)}."]
    if errors:
        raise Unprocessable("The Open311 client cannot be created.", errors)
    user = create_user(
        _username(name),
        secrets.token_urlsafe(32),  # never shown: the system user does not sign in
        Role.OPEN311_CLIENT.value,
        known[jurisdiction_id],
        display_name=f"{name}（系统接入）"[:100],
    )
    api_key = secrets.token_urlsafe(32)
    client = Open311Client(
        name=name,
        key_hash=_key_digest(api_key),
        jurisdiction_id=jurisdiction_id,
        user_id=user.id,
        active=True,
        created_at=now or utcnow(),
    )
    db.session.add(client)
    db.session.flush()
    return client, api_key


def authenticate_client(
    api_key: str | None, jurisdiction_id: str, now: datetime | None = None
) -> Open311Client:
    """The active client with this key, allowed in this jurisdiction.

    Raises:
        Forbidden: a missing, unknown or inactive key, or one of another jurisdiction.
    """
    api_key = (api_key or "").strip()
    if not api_key:
        raise Forbidden("api_key was not provided -- can't proceed with create_request.")
    client = db.session.scalar(sa.select(Open311Client).where(Open311Client.key_hash == _key_digest(api_key)))
    if client is None or not client.active or not client.user.active:
        raise Forbidden("Invalid api_key received -- can't proceed with create_request.")
    if client.jurisdiction_id != jurisdiction_id:
        raise Forbidden(
            Message(
                "This api_key is not valid for jurisdiction_id %(jurisdiction_id)s.",
                jurisdiction_id=repr(jurisdiction_id),
            )
        )
    client.last_used_at = now or utcnow()
    return client


def list_clients() -> list[Open311Client]:
    return list(db.session.scalars(sa.select(Open311Client).order_by(Open311Client.id)))


def set_client_active(name: str, active: bool) -> Open311Client:
    """Enable or disable a client (and its system user).

    Raises:
        Unprocessable: no client has the name.
    """
    client = db.session.scalar(sa.select(Open311Client).where(Open311Client.name == name.strip()))
    if client is None:
        raise Unprocessable(
            Message("No Open311 client is named %(name)s.", name=repr(name)), {"name": ["Unknown client."]}
        )
    client.active = active
    client.user.active = active
    db.session.flush()
    return client
