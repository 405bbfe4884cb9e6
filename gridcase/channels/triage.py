"""Triage (待定位): requests from other systems that cannot be placed in a grid wait for the city
centre, which places them on the map — then the case is registered in the grid holding the
point, its community and township follow, and the ladder starts — or dismisses them.

A request lands here when it carries an address (address_string or address_id) but no point,
or a point outside every grid of the city. It is never refused for that, and its place is never
guessed from the address: a person who knows the city puts it on the map. The client was given
a token, which names the case once it is registered (GET /open311/v2/tokens/{token}).
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa

from gridcase.cases.events import append_event
from gridcase.cases.intake import create_case
from gridcase.cases.lifecycle import Action
from gridcase.cases.models import Case
from gridcase.channels.models import Open311Request
from gridcase.errors import Conflict, Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.people.scope import user_city_code
from gridcase.settings import cipher
from gridcase.text import full_name

TOKEN_BYTES = 12  # 16 URL-safe characters: unguessable, short enough to read out


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _centre_of_the_city(viewer: User) -> str:
    """The viewer's city, when they are its command centre.

    Raises:
        Forbidden: anyone else (triage is the city centre's).
    """
    if viewer.role != Role.CITY_COMMANDER:
        raise Forbidden(Message("Placing requests from other systems is the city centre's."))
    return user_city_code(viewer)


def waiting(viewer: User) -> list[Open311Request]:
    """The city's requests waiting to be placed, oldest first."""
    city = _centre_of_the_city(viewer)
    return list(
        db.session.scalars(
            sa.select(Open311Request)
            .where(
                Open311Request.city_code == city,
                Open311Request.case_id.is_(None),
                Open311Request.dismissed_at.is_(None),
            )
            .order_by(Open311Request.created_at, Open311Request.id)
        )
    )


def _waiting_request(viewer: User, request_id: int) -> Open311Request:
    """One request of the viewer's city still waiting, locked against a second placing.

    Raises:
        Forbidden / NotFound: not the city centre, or no such request in the city.
        Conflict: it was placed or dismissed already.
    """
    city = _centre_of_the_city(viewer)
    row = db.session.scalar(
        sa.select(Open311Request)
        .where(Open311Request.id == request_id, Open311Request.city_code == city)
        .with_for_update(of=Open311Request)
    )
    if row is None:
        raise NotFound(Message("No request %(id)s waiting in your city.", id=str(request_id)))
    if row.case_id is not None or row.dismissed_at is not None:
        raise Conflict(Message("This request was placed or dismissed already."))
    return row


def _informant(row: Open311Request) -> dict | None:
    """The person who sent it, as the case's 反映人 (encrypted again by the intake)."""
    box = cipher()

    def clear(name: str) -> str:
        value = getattr(row, f"{name}_encrypted")
        return box.decrypt(value, f"open311_{name}") if value else ""

    first, last, phone = clear("first_name"), clear("last_name"), clear("phone")
    if not (first or last or phone):
        return None
    return {"name": (full_name(first, last) or "群众")[:50], "phone": phone[:20] or None}


def place(viewer: User, request_id: int, lon: float, lat: float, now: datetime) -> Case:
    """Register the waiting request as a case at the point the centre chose.

    Raises:
        Unprocessable: the point lies outside every grid of the city.
    """
    row = _waiting_request(viewer, request_id)
    informant = _informant(row)
    data = {
        **row.case_fields,
        "location": {"lon": lon, "lat": lat, "crs": "wgs84", "accuracy_m": None},
        **({"informant": informant} if informant else {}),
    }
    try:
        # No idempotency key: the row's lock and the 409 above already make a second placing
        # impossible, and a key would share the client's own keys' namespace.
        result = create_case(row.client.user, data, now=now)
    except Unprocessable as exc:
        if "location" in exc.errors:
            raise Unprocessable(
                Message("That point lies outside every grid of the city."),
                {"location": [Message("Place it inside a grid.")]},
            ) from exc
        raise
    row.case_id, row.placed_at, row.placed_by_id = result.case.id, now, viewer.id
    if row.extra_attributes:
        note_extra_attributes(result.case, row.extra_attributes, now)
    # The case holds what the request said now; the row keeps only what Open311 answers.
    row.case_fields, row.description, row.address_string = {}, None, None
    db.session.flush()
    return result.case


def note_extra_attributes(case: Case, extra: dict[str, list[str]], now: datetime) -> None:
    """The attributes a service does not define, as a note on the case's timeline: the
    handlers read them; Open311 and the public pages never show notes."""
    pairs = "；".join(f"{code}={'、'.join(values)}" for code, values in extra.items())
    append_event(
        case,
        action=Action.NOTE.value,
        at=now,
        actor_id=None,
        from_status=case.status,
        from_level=case.level,
        payload={"text": f"[来件系统附带的其他属性] {pairs}"[:1000]},
    )


def dismiss(viewer: User, request_id: int, reason: str, now: datetime) -> None:
    """Set a waiting request aside (a test message, nonsense, a matter for no office here), with
    the reason; its token then never names a case."""
    row = _waiting_request(viewer, request_id)
    row.dismissed_at, row.dismissed_by_id, row.dismiss_reason = now, viewer.id, reason.strip()[:500]
    db.session.flush()


def by_token(city_code: str, token: str) -> Open311Request | None:
    return db.session.scalar(
        sa.select(Open311Request).where(Open311Request.token == token, Open311Request.city_code == city_code)
    )
