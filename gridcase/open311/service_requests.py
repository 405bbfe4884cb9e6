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
from gridcase.channels.models import Open311Client, Open311Request, PublicReport
from gridcase.channels.triage import by_token, new_token, note_extra_attributes
from gridcase.errors import Forbidden, Unprocessable
from gridcase.extensions import db
from gridcase.geo import point_lonlat
from gridcase.open311.reporter import encrypted_reporter
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
    parse_w3c,
    repeated,
    status_notes,
    update_description,
    w3c,
)
from gridcase.settings import local_tz, utcnow
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region
from gridcase.text import full_name
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


def _point(form: Mapping) -> tuple[float, float] | None:
    """(lon, lat) of the request; None when it gives only an address (address_string or
    address_id), which the city centre places (triage): the spec's location is "lat & long or
    address_string or address_id".

    Raises:
        Open311Error: 400 without any location, with half a point, or a bad coordinate.
    """
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not lat and not lon:
        if (form.get("address_string") or "").strip() or (form.get("address_id") or "").strip():
            return None
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
    """The case's title: the request's first line (the category is shown beside every title:
    writing it in front again read "暴露垃圾：市民来电：…", the review's 86); the category alone
    when the request says nothing."""
    first_line = description.splitlines()[0].strip() if description else ""
    if not first_line:
        return f"{category_name}（市民上报）"
    return first_line if len(first_line) <= TITLE_CHARS else first_line[: TITLE_CHARS - 1] + "…"


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
    """POST Service Request: register the case and answer its public number at once — or, for a
    request that cannot be placed in a grid (an address without a point, a point outside every
    grid), keep it for the city centre's triage and answer a token (the spec's answer for a
    request not registered at once).

    Raises:
        Open311Error: 400 for a missing or bad field, 404 for an unknown service_code, 403 when
            the client may not report.
    """
    now = now or utcnow()
    category = public_service(form.get("service_code"))
    point = _point(form)
    attributes, extra = attribute_values(parse_attributes(form))
    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, f"description is limited to {DESCRIPTION_MAX} characters.")
    kept = {
        "client_id": client.id,
        "media_url": _media_url(form),
        "attributes": attributes,
        "extra_attributes": extra,
        "address_id": (form.get("address_id") or "").strip()[:100] or None,
        **encrypted_reporter(form),
    }
    fields = {
        "kind": category.kind,
        "category": category.code,
        "title": _title(description, category.name),
        "description": description,
        "address": (form.get("address_string") or "").strip()[:300],
        "source": Source.PUBLIC.value,
        **attributes,
    }
    if point is not None:
        caller = _caller(form)
        data = {
            **fields,
            "location": {"lon": point[0], "lat": point[1], "crs": "wgs84", "accuracy_m": None},
            **({"informant": caller} if caller else {}),
        }
        try:
            result = create_case(client.user, data, idempotency_key=idempotency_key, now=now)
        except Forbidden as exc:
            raise Open311Error(403, exc.message) from exc
        except Unprocessable as exc:
            if "location" not in exc.errors:
                details = " ".join(" ".join(map(str, m)) for m in exc.errors.values()) if exc.errors else ""
                raise Open311Error(400, f"{exc.message} {details}".strip()) from exc
            result = None  # outside every grid of the city: the centre places it
        if result is not None:
            case = result.case
            if result.created:
                db.session.add(Open311Request(case_id=case.id, created_at=case.created_at, **kept))
                if extra:
                    note_extra_attributes(case, extra, now)
                db.session.flush()
            return {
                "service_request_id": case.public_number,
                "service_notice": service_notice(
                    case, agency_names([case]).get(handling_code(case), case.level)
                ),
                "account_id": None,  # the reporter's account id is personal data: never answered
            }
    return _triage(client, kept, fields, point, idempotency_key, now)


def _triage(
    client: Open311Client,
    kept: dict,
    fields: dict,
    point: tuple[float, float] | None,
    idempotency_key: str | None,
    now: datetime,
) -> dict:
    """Keep the request for the city centre to place, once per client and Idempotency-Key."""
    row = None
    if idempotency_key:
        # Retries of one request arrive together: one at a time, so they all get one token.
        lock = f"open311-triage:{client.id}:{idempotency_key}"
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(lock))))
        row = db.session.scalar(
            sa.select(Open311Request).where(
                Open311Request.client_id == client.id, Open311Request.idempotency_key == idempotency_key
            )
        )
    if row is None:
        row = Open311Request(
            **kept,
            token=new_token(),
            city_code=client.user.scope.city_code or client.user.scope_code,
            category_code=fields["category"],
            description=fields["description"],
            address_string=fields["address"] or None,
            lon=point[0] if point else None,
            lat=point[1] if point else None,
            case_fields=fields,
            idempotency_key=idempotency_key,
            created_at=now,
        )
        db.session.add(row)
        db.session.flush()
    return {
        "token": row.token,
        "service_notice": "已收到。该位置需由市级中心在地图上确定后登记办理；可凭 token 查询登记编号。",
        "account_id": None,
    }


def service_notice(case: Case, agency: str) -> str:
    """What the city says of a registered request, the same on POST and on GET."""
    due = case.due_at.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")
    return f"已登记为 {case.public_number}，由{agency}办理，办理时限至 {due}。"


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
    """Conditions on `cases`: what Open311 shows of a jurisdiction. Reports from the public
    pages stay out: their exact pin and their words are the citizen's, whom the public pages
    promise a place rounded to about 50 m and no published text."""
    return [
        Case.city_code == city_code,
        Case.source == Source.PUBLIC.value,
        Case.category_code.in_(public_codes()),
        ~sa.exists().where(PublicReport.case_id == Case.id),
    ]


def _request_document(
    case: Case, kept: Open311Request | None, agencies: dict[str, str], lead_units: dict[int, str]
) -> dict:
    tz = local_tz()
    lon, lat = point_lonlat(case.location)
    status = open311_status(case.status)
    finished = case.closed_at or case.resolved_at or case.updated_at
    agency = agencies.get(handling_code(case), case.level)
    return {
        "service_request_id": case.public_number,
        "status": status,
        "status_notes": status_notes(case.status, case.resolution_outcome, case.duplicate_of_id is not None),
        "service_name": case.category.name,
        "service_code": case.category_code,
        "description": case.description or None,
        # The unit doing the work (主办单位) once the case is dispatched, else the level's centre.
        "agency_responsible": lead_units.get(case.id) or agency,
        "service_notice": service_notice(case, agency),
        # When the request came in (a request placed by the centre's triage came in before its case).
        "requested_datetime": w3c(kept.created_at if kept else case.created_at, tz),
        "updated_datetime": w3c(finished if status == "closed" else case.updated_at, tz),
        "expected_datetime": w3c(case.due_at, tz) if status == "open" else None,
        "address": case.address or None,
        "address_id": kept.address_id if kept else None,
        "zipcode": None,
        "lat": round(lat, 7),
        "long": round(lon, 7),
        "media_url": kept.media_url if kept else None,
    }


def _documents(query: sa.Select) -> list[dict]:
    rows = db.session.execute(
        query.outerjoin(Open311Request, Open311Request.case_id == Case.id).options(
            so.lazyload(Case.reporter), so.lazyload(Case.assignee), so.lazyload(Case.grid)
        )
    ).all()
    cases = [case for case, _ in rows]
    agencies, lead_units = agency_names(cases), lead_unit_names([case.id for case in cases])
    return [_request_document(case, kept, agencies, lead_units) for case, kept in rows]


def list_requests(city_code: str, args: Mapping, now: datetime | None = None) -> list[dict]:
    """GET Service Requests with the spec's filters, the page/page_size extension and the
    updated_after/updated_before extension (Chicago's, by last change), newest first.
    `service_request_id` (comma-delimited) overrides the other filters; every list argument may
    also be repeated.

    Raises:
        Open311Error: 400 for a malformed filter or a period over 90 days.
    """
    tz = local_tz()
    page, page_size = parse_page(args)
    conditions = published(city_code)
    numbers = parse_list(repeated(args, "service_request_id"))
    if numbers:
        conditions.append(Case.public_number.in_(numbers))
    else:
        updated_after, updated_before = (
            parse_w3c(args[name], name, tz) if (args.get(name) or "").strip() else None
            for name in ("updated_after", "updated_before")
        )
        if updated_after:
            conditions.append(Case.updated_at > updated_after)
        if updated_before:
            conditions.append(Case.updated_at < updated_before)
        if args.get("start_date") or args.get("end_date") or not (updated_after or updated_before):
            start, end = date_range(args.get("start_date"), args.get("end_date"), now or utcnow(), tz)
            conditions += [Case.created_at >= start, Case.created_at <= end]
        codes = parse_list(repeated(args, "service_code"))
        if codes:
            conditions.append(Case.category_code.in_(codes))
        statuses = parse_list(repeated(args, "status"))
        if statuses:
            conditions.append(Case.status.in_(internal_statuses(statuses)))
    return _documents(
        sa.select(Case, Open311Request)
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
        sa.select(Case, Open311Request).where(*published(city_code), Case.public_number == number)
    )
    if not found:
        raise Open311Error(404, f"service_request_id {number!r} was not found.")
    return found


def request_for_token(city_code: str, token: str) -> list[dict]:
    """GET service_request_id from a token: the case's number once the centre placed the
    request, null while it waits (or when it was set aside).

    Raises:
        Open311Error: 404 for a token the jurisdiction never gave.
    """
    row = by_token(city_code, token)
    if row is None:
        raise Open311Error(404, f"token {token!r} was not found.")
    number = (
        db.session.scalar(sa.select(Case.public_number).where(Case.id == row.case_id))
        if row.case_id
        else None
    )
    return [{"service_request_id": number, "token": token}]


def list_updates(city_code: str, args: Mapping, now: datetime | None = None) -> list[dict]:
    """GET servicerequestupdates (the widely used updates extension): one item per status change
    of a published request, oldest first, in the period (default the last 90 days).

    Raises:
        Open311Error: 400 for a malformed date, page or a period over 90 days.
    """
    page, page_size = parse_page(args)
    start, end = date_range(args.get("start_date"), args.get("end_date"), now or utcnow(), local_tz())
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
