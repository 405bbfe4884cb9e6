"""The public pages' channel (群众随手拍, issue 18): a citizen reports a problem with no account,
follows it by its number and a tracking code, answers its 回访 with the same code, and sees the
public incidents of the city on a map.

- A report goes through the same intake as every case (the point placed in its grid, the level
  by the category, the handlers told), reported by the city's public-pages system user, with the
  source `public`; the contact the citizen leaves is the case's 反映人, encrypted like a party.
- Abuse is held off here, with nothing from outside: a proof of work the browser computes
  (a SHA-256 with leading zero bits over a challenge the server signed, each spent once), a
  number of reports per address per hour and per day, the form's size limits, and duplicates
  nearby offered before saving. Addresses are kept only as keyed hashes.
- What a citizen reads: the number, category, status in fixed words, due time and the timeline
  of status and level changes (gridcase.cases.public_words) — never a party, the reporter, a
  handler's note or any free text a handler wrote.
- The map: public categories' incidents only (never disputes), positions rounded to about 50 m,
  the category and status only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.cases.attachments import store_photo
from gridcase.cases.domain import CaseKind, Satisfaction, Source
from gridcase.cases.intake import create_case
from gridcase.cases.models import Case, CaseEvent, Category
from gridcase.cases.public_words import status_notes, update_description
from gridcase.cases.revisit_codes import ALPHABET, record_own_answer
from gridcase.channels.models import PublicLookupFailure, PublicReport
from gridcase.errors import NotFound, TooManyRequests, Unprocessable
from gridcase.extensions import db
from gridcase.geo import SRID, point_lonlat
from gridcase.messages import Message
from gridcase.people.auth import create_user
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.settings import cipher, local_tz, setting
from gridcase.territory.levels import RegionLevel
from gridcase.territory.queries import locate_grid

CODE_LENGTH = 8  # 31^8 ≈ 8.5 × 10^11, and look-ups are limited per address
CHALLENGE_MINUTES = 30
NEARBY_METRES = 100
NEARBY_DAYS = 14
MAP_DAYS = 90
# About 50 m: a public point says which street, not which door.
MAP_GRID_DEGREES = 0.0005
DESCRIPTION_MAX = 1000
CONTACT_MAX = 50
PHOTOS_MAX = 3
_NONCE = re.compile(r"^[0-9a-f]{16}$")


def _keyed(purpose: str, value: str) -> str:
    return cipher().lookup_hash(f"public-{purpose}:{value}")


# --- the system user the public pages report as -------------------------------------------------


def public_reporter(city_code: str) -> User:
    """The city's public-pages system user (role open311_client: it logs public cases only,
    reads nothing and never signs in), made the first time it is needed."""
    username = f"public-web-{city_code}"
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        user = create_user(
            username,
            secrets.token_urlsafe(32),
            Role.OPEN311_CLIENT.value,
            city_code,
            display_name="群众随手拍",
        )
    return user


# --- proof of work -----------------------------------------------------------------------------


def new_challenge(now: datetime) -> dict:
    """A challenge the browser must work on before it sends a report: signed, so the server
    keeps nothing until a report spends it."""
    issued = str(int(now.timestamp()))
    nonce = secrets.token_hex(8)
    signature = cipher().signature(f"challenge:{issued}.{nonce}")[:32]
    return {"challenge": f"{issued}.{nonce}.{signature}", "bits": int(setting("GRIDCASE_PUBLIC_WORK_BITS"))}


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def spent_work(challenge: str, solution: str, now: datetime) -> str:
    """The hash that marks the work spent (each works once), when `solution` solves a fresh
    challenge of ours: SHA-256("challenge:solution") with the required leading zero bits.

    Raises:
        Unprocessable: no challenge, a forged or stale one, or a solution that does not solve it.
    """
    refused = Unprocessable(
        Message("The page's check did not complete; reload the page and send again."),
        {"work": [Message("Reload the page and send again.")]},
    )
    parts = (challenge or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not _NONCE.match(parts[1]) or len(solution or "") > 32:
        raise refused
    issued, nonce, signature = parts
    if not hmac.compare_digest(signature, cipher().signature(f"challenge:{issued}.{nonce}")[:32]):
        raise refused
    age = now.timestamp() - int(issued)
    if not 0 <= age <= CHALLENGE_MINUTES * 60:
        raise refused
    digest = hashlib.sha256(f"{challenge}:{solution}".encode()).digest()
    if leading_zero_bits(digest) < int(setting("GRIDCASE_PUBLIC_WORK_BITS")):
        raise refused
    return hashlib.sha256(challenge.encode()).hexdigest()


# --- reporting ---------------------------------------------------------------------------------


def public_categories() -> list[Category]:
    """What a citizen may report: the public leaf categories of incidents."""
    child = so.aliased(Category)
    has_child = sa.exists().where(child.parent_code == Category.code)
    return list(
        db.session.scalars(
            sa.select(Category)
            .where(Category.public, Category.active, Category.kind == CaseKind.INCIDENT.value, ~has_child)
            .order_by(Category.sort_order, Category.code)
        )
    )


def address_key(address: str) -> str:
    """The keyed hash the per-address limits count by: an IPv4 address, or an IPv6 address's /64
    (one subscriber's network: counting single IPv6 addresses would let anyone step around the
    limits)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return _keyed("address", address or "")
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return _keyed("address", str(ip.ipv4_mapped))
        return _keyed("address", str(ipaddress.ip_network(f"{ip}/64", strict=False)))
    return _keyed("address", str(ip))


def _serialise(address_hash: str) -> None:
    """One request from an address at a time past the limits' count: parallel requests must not
    all read the count before any of them writes."""
    db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"public:{address_hash}"))))


def _limit_reports(address_hash: str, now: datetime) -> None:
    _serialise(address_hash)
    for window, name in ((timedelta(hours=1), "PER_HOUR"), (timedelta(days=1), "PER_DAY")):
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PublicReport)
            .where(PublicReport.address_hash == address_hash, PublicReport.created_at > now - window)
        )
        if count >= int(setting(f"GRIDCASE_PUBLIC_REPORTS_{name}")):
            raise TooManyRequests(Message("Too many reports from your connection; please try again later."))


def submit_report(data: dict, photos: list[bytes], address: str, now: datetime) -> tuple[Case, str]:
    """Register a citizen's report; returns the case and its tracking code (shown once).

    `data`: category, description, lon, lat, and optionally name and phone (the contact).

    Raises:
        Unprocessable: a category not open to the public, a point outside every grid, a
            description too long, too many photos or not a photo, or the proof of work missing.
        TooManyRequests: the address's limit of reports.
    """
    work_hash = spent_work(data.get("challenge", ""), data.get("solution", ""), now)
    address_hash = address_key(address)
    _limit_reports(address_hash, now)
    if db.session.scalar(sa.select(PublicReport.case_id).where(PublicReport.work_hash == work_hash)):
        raise Unprocessable(
            Message("The page's check did not complete; reload the page and send again."),
            {"work": [Message("Reload the page and send again.")]},
        )
    category = next((c for c in public_categories() if c.code == data.get("category")), None)
    if category is None:
        raise Unprocessable(
            Message("Choose what kind of problem it is."), {"category": [Message("Choose one.")]}
        )
    description = (data.get("description") or "").strip()
    if not description or len(description) > DESCRIPTION_MAX:
        problem = Message("Say what you saw, in at most %(n)s characters.", n=str(DESCRIPTION_MAX))
        raise Unprocessable(problem, {"description": [problem]})
    if len(photos) > PHOTOS_MAX:
        problem = Message("At most %(limit)s photos.", limit=str(PHOTOS_MAX))
        raise Unprocessable(problem, {"photos": [problem]})
    lon, lat = data["lon"], data["lat"]
    grid = locate_grid(lon, lat)
    if grid is None:
        problem = Message("That place is outside the city's grids; put the pin where the problem is.")
        raise Unprocessable(problem, {"location": [problem]})
    contact = {
        "name": (data.get("name") or "").strip()[:CONTACT_MAX],
        "phone": (data.get("phone") or "").strip()[:20],
    }
    # The title is the report's first line: the category is shown beside every title.
    first_line = (description.strip().splitlines() or [category.name])[0].strip()[:40]
    fields = {
        "kind": CaseKind.INCIDENT.value,
        "category": category.code,
        "title": first_line,
        "description": description,
        "location": {"lon": lon, "lat": lat, "crs": "wgs84", "accuracy_m": data.get("accuracy")},
        "address": (data.get("address") or "").strip()[:300],
        "source": Source.PUBLIC.value,
    }
    if contact["name"] or contact["phone"]:
        fields["informant"] = {"name": contact["name"] or "群众", "phone": contact["phone"] or None}
    reporter = public_reporter(grid.city_code or grid.code)
    case = create_case(reporter, fields, now=now).case
    for raw in photos:
        store_photo(case, reporter, raw, None, now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    # The address's hash is needed for a day's limits only, then forgotten.
    db.session.execute(
        sa.update(PublicReport)
        .where(PublicReport.created_at < now - timedelta(days=1), PublicReport.address_hash != "")
        .values(address_hash="")
    )
    db.session.add(
        PublicReport(
            case_id=case.id,
            code_hash=_keyed("code", f"{case.public_number}:{code}"),
            address_hash=address_hash,
            work_hash=work_hash,
            created_at=now,
        )
    )
    db.session.flush()
    return case, code


def normalised_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


# --- following a report --------------------------------------------------------------------------


def find_report(number: str, code: str, address: str, now: datetime, lock: bool = False) -> Case:
    """The case a number and its tracking code open.

    Raises:
        NotFound: no such pair (one answer for all: it says nothing of which half was wrong).
        TooManyRequests: the address failed too often in the last hour.
    """
    address_hash = address_key(address)
    _serialise(address_hash)
    failures = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PublicLookupFailure)
        .where(
            PublicLookupFailure.address_hash == address_hash,
            PublicLookupFailure.at > now - timedelta(hours=1),
        )
    )
    if failures >= int(setting("GRIDCASE_PUBLIC_TRACK_FAILURES_PER_HOUR")):
        raise TooManyRequests(
            Message("Too many wrong numbers or codes from your connection; try again in an hour.")
        )
    number = (number or "").strip()
    expected = _keyed("code", f"{number}:{normalised_code(code)}")
    query = (
        sa.select(Case)
        .join(PublicReport, PublicReport.case_id == Case.id)
        .where(Case.public_number == number, PublicReport.code_hash == expected)
    )
    if lock:
        query = query.with_for_update(of=Case)
    case = db.session.scalar(query)
    if case is None:
        db.session.execute(
            sa.delete(PublicLookupFailure).where(PublicLookupFailure.at < now - timedelta(days=1))
        )
        db.session.add(PublicLookupFailure(address_hash=address_hash, at=now))
        raise NotFound(Message("No report with that number and code."))
    return case


def public_view(case: Case) -> dict:
    """What the citizen reads of their report: never a person, never a handler's words."""
    columns = ("at", "action", "from_status", "to_status", "from_level", "to_level", "payload")
    events = db.session.execute(
        sa.select(*(getattr(CaseEvent, name) for name in columns))
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.seq)
    ).all()
    timeline = []
    for event in events:
        if event.from_status is None:
            timeline.append({"at": event.at, "text": "已登记。"})
        elif event.from_status != event.to_status:
            timeline.append(
                {
                    "at": event.at,
                    "text": update_description(event.action, event.to_status, event.payload or {}),
                }
            )
        elif event.from_level != event.to_level:
            timeline.append({"at": event.at, "text": f"转由{RegionLevel(event.to_level).zh}办理。"})
    return {
        "number": case.public_number,
        "category": case.category.name,
        "status": case.status,
        "status_text": status_notes(case.status, case.resolution_outcome, case.duplicate_of_id is not None),
        "created_at": case.created_at,
        "due_at": case.due_at if case.status in ("pending", "in_progress") else None,
        "timeline": timeline,
        "may_answer": may_answer(case),
        "satisfaction": case.satisfaction if case.revisit_method else None,
    }


def may_answer(case: Case) -> bool:
    """The reporter's 回访 is open once the case is resolved or closed (not rejected, not a
    duplicate) and nobody has revisited it since."""
    return (
        case.status in ("resolved", "closed") and case.duplicate_of_id is None and case.revisited_at is None
    )


def answer_report_revisit(
    number: str, code: str, satisfaction: Satisfaction, comment: str, address: str, now: datetime
) -> Case:
    """The reporter's 回访 with their tracking code.

    Raises:
        NotFound / TooManyRequests: as find_report.
        Unprocessable: not open for an answer (not resolved yet, or answered already).
    """
    case = find_report(number, code, address, now, lock=True)
    if not may_answer(case):
        raise Unprocessable(
            Message("This report cannot be rated now: it is not resolved, or it was rated already.")
        )
    record_own_answer(case, satisfaction, comment, "public_reporter", now)
    return case


# --- nearby and the map --------------------------------------------------------------------------


def _public_incidents():
    return [
        Case.kind == CaseKind.INCIDENT.value,
        Case.category_code.in_(sa.select(Category.code).where(Category.public)),
        Case.duplicate_of_id.is_(None),
        Case.status != "rejected",
    ]


def _rounded(lon: float, lat: float) -> tuple[float, float]:
    step = MAP_GRID_DEGREES
    return round(round(lon / step) * step, 4), round(round(lat / step) * step, 4)


def nearby_reports(category: str, lon: float, lat: float, now: datetime) -> list[dict]:
    """Open public incidents of the category within about 100 m in the last two weeks: what the
    citizen may be about to report twice."""
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), SRID)
    rows = db.session.scalars(
        sa.select(Case)
        .where(
            *_public_incidents(),
            Case.category_code == category,
            Case.status.in_(("pending", "in_progress")),
            Case.created_at > now - timedelta(days=NEARBY_DAYS),
            sa.func.ST_DWithin(sa.func.geography(Case.location), sa.func.geography(point), NEARBY_METRES),
        )
        .order_by(Case.created_at.desc())
        .limit(5)
    ).all()
    return [_map_item(case) for case in rows]


def _map_item(case: Case) -> dict:
    lon, lat = _rounded(*point_lonlat(case.location))
    tz = local_tz()
    return {
        "number": case.public_number,
        "category": case.category.name,
        "status_text": status_notes(case.status, case.resolution_outcome),
        "open": case.status in ("pending", "in_progress"),
        "reported_on": case.created_at.astimezone(tz).date().isoformat(),
        "lon": lon,
        "lat": lat,
    }


def public_map(now: datetime, limit: int = 2000) -> dict:
    """The public incidents of the last 90 days as GeoJSON points, rounded to about 50 m."""
    rows = db.session.scalars(
        sa.select(Case)
        .where(*_public_incidents(), Case.created_at > now - timedelta(days=MAP_DAYS))
        .order_by(Case.created_at.desc())
        .limit(limit)
    ).all()
    features = []
    for case in rows:
        item = _map_item(case)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [item.pop("lon"), item.pop("lat")]},
                "properties": item,
            }
        )
    return {"type": "FeatureCollection", "features": features}
