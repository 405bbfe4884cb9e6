"""Open311 service requests.

A POST becomes a case through the same intake as every other case (`create_case`: the point is
placed in its grid by PostGIS, the public number is drawn, the level follows the category's
default severity, the handlers of that level are notified), reported by the client's system
user with the source `public`. GET requests, GET a request and the updates feed show only what
a citizen may see: cases of public categories that came in as public requests, in the
jurisdiction's city — never parties, never the reporter's personal data, never free text that
handlers wrote (status notes come from a fixed vocabulary).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.cases.domain import Source
from gridcase.cases.intake import create_case
from gridcase.cases.models import Case, CaseEvent
from gridcase.channels.models import Open311Client, Open311Request
from gridcase.errors import Forbidden, Unprocessable
from gridcase.extensions import db
from gridcase.geo import point_lonlat
from gridcase.open311.reporter import encrypted_reporter, full_name
from gridcase.open311.services import public_codes, public_service
from gridcase.open311.spec import (
    DESCRIPTION_MAX,
    MEDIA_URL_MAX,
    Open311Error,
    attribute_values,
    date_range,
    internal_statuses,
    open311_status,
    parse_attributes,
    parse_list,
    parse_page,
    status_notes,
    update_description,
    w3c,
)
from gridcase.settings import local_tz, utcnow
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region
from gridcase.units.queries import lead_unit_names

TITLE_CHARS = 60


def _float(form: Mapping, name: str, low: float, high: float) -> float:
    try:
        value = float(form.get(name, ""))
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise Open311Error(400, f"{name} must be a WGS84 decimal degree between {low:g} and {high:g}.")
    return value


def _location(form: Mapping) -> tuple[float, float]:
    """(lon, lat) of the request.

    Raises:
        Open311Error: 400 without a location, with half of one, or with only an address: a case
            lives in the grid containing its point, and no address is guessed into a point.
    """
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not lat and not lon:
        if (form.get("address_string") or "").strip() or (form.get("address_id") or "").strip():
            raise Open311Error(
                400,
                "lat and long (WGS84) are required in this jurisdiction: a request is placed in the "
                "grid containing its point, and address_string or address_id alone cannot be placed. "
                "Send the point, with address_string as its description if you like.",
            )
        raise Open311Error(400, "lat/long, address_string, or address_id were not provided.")
    if not lat or not lon:
        raise Open311Error(400, "lat and long must both be sent.")
    return _float(form, "long", -180, 180), _float(form, "lat", -90, 90)


def _media_url(form: Mapping) -> str | None:
    url = (form.get("media_url") or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MEDIA_URL_MAX:
        raise Open311Error(
            400, f"media_url must be an http or https URL of at most {MEDIA_URL_MAX} characters."
        )
    return url


def _title(description: str, category_name: str) -> str:
    first_line = description.splitlines()[0].strip() if description else ""
    if not first_line:
        return f"{category_name}（市民上报）"
    snippet = first_line if len(first_line) <= TITLE_CHARS else first_line[: TITLE_CHARS - 1] + "…"
    return f"{category_name}：{snippet}"


def agency_names(cases: list[Case]) -> dict[str, str]:
    """Names of the territory nodes handling the cases at their current levels (one query)."""
    codes = {handling_code(case) for case in cases}
    return dict(db.session.execute(sa.select(Region.code, Region.name).where(Region.code.in_(codes))).all())


def handling_code(case: Case) -> str:
    return getattr(case, ANCESTOR_COLUMNS[RegionLevel(case.level)])


def submit_request(
    client: Open311Client,
    form: Mapping,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> dict:
    """POST Service Request: register the case and answer its public number at once.

    Raises:
        Open311Error: 400 for a missing or bad field or a point outside every grid of the
            jurisdiction, 404 for an unknown service_code, 403 when the client may not report.
    """
    category = public_service(form.get("service_code"))
    lon, lat = _location(form)
    attributes = attribute_values(parse_attributes(form))
    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, f"description is limited to {DESCRIPTION_MAX} characters.")
    media_url = _media_url(form)
    reporter = encrypted_reporter(form)
    caller = _caller(form)
    data = {
        "kind": category.kind,
        "category": category.code,
        "title": _title(description, category.name),
        "description": description,
        "location": {"lon": lon, "lat": lat, "crs": "wgs84", "accuracy_m": None},
        "address": (form.get("address_string") or "").strip()[:300],
        "source": Source.PUBLIC.value,
        **({"informant": caller} if caller else {}),
        **attributes,
    }
    try:
        result = create_case(client.user, data, idempotency_key=idempotency_key, now=now)
    except Forbidden as exc:
        raise Open311Error(403, exc.message) from exc
    except Unprocessable as exc:
        if "location" in exc.errors:
            raise Open311Error(
                400,
                f"The point lat={lat}, long={lon} lies outside every grid of {client.jurisdiction_id}; "
                "a request must be located inside the city's grids.",
            ) from exc
        details = " ".join(" ".join(messages) for messages in exc.errors.values()) if exc.errors else ""
        raise Open311Error(400, f"{exc.message} {details}".strip()) from exc
    case = result.case
    if result.created:
        db.session.add(
            Open311Request(
                case_id=case.id,
                client_id=client.id,
                media_url=media_url,
                attributes=attributes,
                created_at=case.created_at,
                **reporter,
            )
        )
        db.session.flush()
    agency = agency_names([case]).get(handling_code(case), case.level)
    due = case.due_at.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")
    return {
        "service_request_id": case.public_number,
        "service_notice": f"已登记为 {case.public_number}，由{agency}办理，办理时限至 {due}。",
        "account_id": None,  # the reporter's account id is personal data: never answered
    }


def _caller(form: Mapping) -> dict | None:
    """The reporter as the case's person who brought it (反映人): their name and phone, so that
    the handler can call them back (revealed with a reason) and a revisit code can reach them;
    stored encrypted like a party's, never answered by Open311."""
    name = full_name((form.get("first_name") or "").strip(), (form.get("last_name") or "").strip())
    phone = (form.get("phone") or "").strip()
    if not (name or phone):
        return None
    return {"name": (name or "群众")[:50], "phone": phone[:20] or None}


def published(city_code: str) -> list[sa.ColumnElement[bool]]:
    """Conditions on `cases`: what Open311 shows of a jurisdiction."""
    return [
        Case.city_code == city_code,
        Case.source == Source.PUBLIC.value,
        Case.category_code.in_(public_codes()),
    ]


def _request_document(
    case: Case, media_url: str | None, agencies: dict[str, str], lead_units: dict[int, str]
) -> dict:
    tz = local_tz()
    lon, lat = point_lonlat(case.location)
    status = open311_status(case.status)
    finished = case.closed_at or case.resolved_at or case.updated_at
    return {
        "service_request_id": case.public_number,
        "status": status,
        "status_notes": status_notes(case.status, case.resolution_outcome, case.duplicate_of_id is not None),
        "service_name": case.category.name,
        "service_code": case.category_code,
        "description": case.description or None,
        # The unit doing the work (主办单位) once the case is dispatched, else the level's centre.
        "agency_responsible": lead_units.get(case.id) or agencies.get(handling_code(case)),
        "service_notice": None,
        "requested_datetime": w3c(case.created_at, tz),
        "updated_datetime": w3c(finished if status == "closed" else case.updated_at, tz),
        "expected_datetime": w3c(case.due_at, tz) if status == "open" else None,
        "address": case.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": round(lat, 7),
        "long": round(lon, 7),
        "media_url": media_url,
    }


def _documents(query: sa.Select) -> list[dict]:
    rows = db.session.execute(
        query.outerjoin(Open311Request, Open311Request.case_id == Case.id).options(
            so.lazyload(Case.reporter), so.lazyload(Case.assignee), so.lazyload(Case.grid)
        )
    ).all()
    cases = [case for case, _ in rows]
    agencies, lead_units = agency_names(cases), lead_unit_names([case.id for case in cases])
    return [_request_document(case, media_url, agencies, lead_units) for case, media_url in rows]


def list_requests(city_code: str, args: Mapping, now: datetime | None = None) -> list[dict]:
    """GET Service Requests with the spec's filters and the page/page_size extension, newest
    first. `service_request_id` (comma-delimited) overrides the other filters.

    Raises:
        Open311Error: 400 for a malformed filter or a period over 90 days.
    """
    page, page_size = parse_page(args)
    conditions = published(city_code)
    numbers = parse_list(args.get("service_request_id"))
    if numbers:
        conditions.append(Case.public_number.in_(numbers))
    else:
        start, end = date_range(args.get("start_date"), args.get("end_date"), now or utcnow())
        conditions += [Case.created_at >= start, Case.created_at <= end]
        codes = parse_list(args.get("service_code"))
        if codes:
            conditions.append(Case.category_code.in_(codes))
        statuses = parse_list(args.get("status"))
        if statuses:
            conditions.append(Case.status.in_(internal_statuses(statuses)))
    return _documents(
        sa.select(Case, Open311Request.media_url)
        .where(*conditions)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )


def get_request(city_code: str, number: str) -> list[dict]:
    """GET Service Request: a list of one, as the spec shows it.

    Raises:
        Open311Error: 404 when the jurisdiction shows no such request.
    """
    found = _documents(
        sa.select(Case, Open311Request.media_url).where(*published(city_code), Case.public_number == number)
    )
    if not found:
        raise Open311Error(404, f"service_request_id {number!r} was not found.")
    return found


def list_updates(city_code: str, args: Mapping, now: datetime | None = None) -> list[dict]:
    """GET servicerequestupdates (the widely used updates extension): one item per status change
    of a published request, oldest first, in the period (default the last 90 days).

    Raises:
        Open311Error: 400 for a malformed date, page or a period over 90 days.
    """
    page, page_size = parse_page(args)
    start, end = date_range(args.get("start_date"), args.get("end_date"), now or utcnow())
    rows = db.session.execute(
        sa.select(
            CaseEvent.id,
            CaseEvent.at,
            CaseEvent.action,
            CaseEvent.to_status,
            CaseEvent.payload,
            Case.public_number,
        )
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            *published(city_code),
            CaseEvent.from_status.is_not(None),
            CaseEvent.from_status != CaseEvent.to_status,
            CaseEvent.at >= start,
            CaseEvent.at <= end,
        )
        .order_by(CaseEvent.at, CaseEvent.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    tz = local_tz()
    return [
        {
            "update_id": str(row.id),
            "service_request_id": row.public_number,
            "status": open311_status(row.to_status),
            "updated_datetime": w3c(row.at, tz),
            "description": update_description(row.action, row.to_status, row.payload or {}),
            "media_url": None,
        }
        for row in rows
    ]
