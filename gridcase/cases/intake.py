"""Case intake (受理登记): from a validated request to a stored case in its grid."""

from __future__ import annotations

import hashlib
import json
import math
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from geoalchemy2 import Geography
from sqlalchemy.orm.attributes import set_committed_value

from gridcase.cases.domain import (
    DESK_SOURCES,
    CaseKind,
    Outcome,
    Severity,
    Source,
    Status,
    initial_level,
    public_number,
)
from gridcase.cases.events import append_event, first_event
from gridcase.cases.lifecycle import Action, LoggedAction
from gridcase.cases.models import Case, Category, is_open, unindexed
from gridcase.cases.parties import build_informant, build_party, in_clear
from gridcase.cases.queries import visible_cases
from gridcase.cases.verification import await_verification
from gridcase.errors import Conflict, Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.geo import SRID, Crs, point_element, to_wgs84
from gridcase.gridwork.models import Resident
from gridcase.gridwork.register import register_grid
from gridcase.inserts import NewRows, insert_together
from gridcase.ladder.clock import clock_for_level
from gridcase.ladder.limits import level_rank
from gridcase.messages import Message
from gridcase.notifications.inbox import Kind, handlers_told
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.people.scope import user_city_code
from gridcase.reference import kept
from gridcase.settings import ladder, local_tz, setting, utcnow
from gridcase.stats.alerts import raise_case_alert, raise_intake_alerts
from gridcase.stats.models import AlertKind
from gridcase.territory.levels import RegionLevel
from gridcase.territory.models import Region
from gridcase.territory.queries import GRID_AT_POINT
from gridcase.webhooks.outbox import enqueue_case_event

# Which sources each role may record; the first is the default.
SOURCES_BY_ROLE = {
    Role.GRID_WORKER: (Source.GRID_WORKER,),
    Role.OPEN311_CLIENT: (Source.PUBLIC,),  # another city system's public requests
    # A centre's staff: a referral by default (the API's first use), or anything its front
    # desk receives.
    **{
        role: (Source.REFERRAL, *(s for s in DESK_SOURCES if s is not Source.REFERRAL))
        for role in HANDLER_ROLES
    },
}


@dataclass
class IntakeResult:
    case: Case
    created: bool  # False when an Idempotency-Key replayed an earlier request
    duplicates: list[dict]


def fingerprint(data: dict) -> str:
    """A stable digest of the request body, to tell a replay from a reused key."""
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def _with_residents(reporter: User, parties: list[dict], errors: dict) -> list[dict]:
    """Parties picked from a grid's residents (人房事物) take the register's name, ID number and
    phone; the resident must live in a grid the reporter sees (their own grids for a worker)."""
    result = []
    for index, party in enumerate(parties):
        if not party.get("resident_id"):
            result.append(party)
            continue
        resident = db.session.get(Resident, party["resident_id"])
        try:
            register_grid(reporter, resident.grid_code if resident else "")
        except NotFound:
            errors.setdefault("parties", {})[index] = {
                "resident_id": [Message("No such resident in your grids.")]
            }
            continue
        result.append({**party, **in_clear(resident)})
    return result


def create_case(
    reporter: User,
    data: dict,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    at_level: str | None = None,
) -> IntakeResult:
    """Register a case from validated input; see DESIGN §2 for the fields. `at_level` starts it
    at a level above the one the rules give (a township's front desk accepting a small matter
    itself); never below.

    Raises:
        Forbidden: the reporter's role does not log cases.
        Unprocessable: field errors the rules find (category, kind, location, parties, source),
            or an Idempotency-Key reused for a different request.
    """
    role = Role(reporter.role)
    if role not in SOURCES_BY_ROLE:
        raise Forbidden(Message("Your role does not log cases."))
    now = now or utcnow()
    # An Idempotency-Key is looked up only when the request cannot make a new case: a retry of
    # one that made its case fails at the unique index (reporter, key) below, or on the rules
    # (a work order logged once) and is answered with the case made first, whatever the rules
    # say now. (A probe before every new case was one round trip in nine of intake's, issue 20.)
    digest = fingerprint(data)
    errors: dict[str, list[str]] = {}
    category = _category(data, errors)
    lon, lat = to_wgs84(
        data["location"]["lon"], data["location"]["lat"], data["location"].get("crs", Crs.WGS84)
    )
    # The grid, and the possible duplicates the answer lists, in one round trip (the case is not
    # written yet, so it is not among them).
    grid, duplicates = _grid_and_duplicates(reporter, data["category"], lon, lat, now)
    if grid is None:
        errors.setdefault("location", []).append(
            Message("The point lies outside every grid of the city; check the location.")
        )
    elif grid.city_code != user_city_code(reporter):
        errors.setdefault("location", []).append(Message("The point lies outside your city."))
    source = _source(role, data.get("source"), errors)
    parties = data.get("parties") or []
    if parties and data["kind"] != CaseKind.DISPUTE:
        errors["parties"] = [Message("Parties are recorded for disputes only.")]
    else:
        parties = _with_residents(reporter, parties, errors)
    severity = Severity(data.get("severity") or (category.default_severity if category else "general"))
    levels = ladder()
    group_dispute = data["kind"] == CaseKind.DISPUTE and data.get("people_involved", 0) >= int(
        setting("GRIDCASE_MASS_INCIDENT_THRESHOLD")
    )
    level = initial_level(severity, levels, group_dispute)
    if at_level is not None and at_level != level:
        if level_rank(levels, at_level) < level_rank(levels, level):
            errors["disposition"] = [
                Message(
                    "A matter of this severity starts at the %(level)s level: register it and it goes there.",
                    level=RegionLevel(level),
                )
            ]
        level = at_level
    on_spot = data.get("resolved_on_spot")
    if on_spot and (role is not Role.GRID_WORKER or level != levels[0]):
        errors["resolved_on_spot"] = [
            Message(
                "Only a grid worker resolves on the spot, and only a matter that starts at the "
                "%(level)s level (severity general).",
                level=RegionLevel(levels[0]),
            )
        ]
    if errors:
        if (replayed := _replay(reporter, idempotency_key, digest)) is not None:
            return replayed
        raise Unprocessable(Message("The case cannot be saved; see errors for each field."), errors)
    if data.get("external_ref"):
        replayed = _refuse_a_second_case_of(reporter, data["external_ref"], idempotency_key, digest)
        if replayed is not None:
            return replayed

    warn_at, due_at = clock_for_level(level, now, category.time_limits)
    number, keys = _next_public_number(grid.city_code, now, parties=len(parties))
    case = Case(
        id=keys.case_id,
        public_number=number,
        kind=data["kind"],
        category_code=category.code,
        title=data["title"].strip(),
        description=(data.get("description") or "").strip(),
        severity=severity.value,
        people_involved=data.get("people_involved", 1),
        may_intensify=bool(data.get("may_intensify", False)),
        source=source.value,
        occurred_at=data["occurred_at"].astimezone(UTC) if data.get("occurred_at") else None,
        location=point_element(lon, lat),
        location_accuracy_m=data["location"].get("accuracy_m"),
        location_crs=Crs(data["location"].get("crs", Crs.WGS84)).value,
        address=(data.get("address") or "").strip(),
        city_code=grid.city_code,
        district_code=grid.district_code,
        township_code=grid.township_code,
        community_code=grid.community_code,
        grid_code=grid.code,
        status=Status.PENDING.value,
        level=level,
        initial_level=level,
        highest_level=level,
        level_started_at=now,
        warn_at=warn_at,
        due_at=due_at,
        reporter_id=reporter.id,
        created_at=now,
        updated_at=now,
        external_ref=data.get("external_ref"),
        idempotency_key=idempotency_key,
        request_fingerprint=digest if idempotency_key else None,
    )
    people = [build_party(p) for p in parties]
    for party, party_id in zip(people, keys.party_ids, strict=True):
        party.id, party.case_id = party_id, case.id
    informant = build_informant(data["informant"]) if data.get("informant") else None
    if informant is not None:
        informant.case_id = case.id
    event = first_event(
        case,
        keys.event_id,
        action=LoggedAction.CREATE,
        at=now,
        actor_id=reporter.id,
        payload={
            "severity": case.severity,
            "category": case.category_code,
            "grid": case.grid_code,
            "source": case.source,
            "parties": len(people),
            **({"external_ref": case.external_ref} if case.external_ref else {}),
        },
    )
    message = f"{case.public_number} 新{CaseKind(case.kind).zh}：{case.title}"
    told = None if on_spot else handlers_told(case, case.level, Kind.NEW_CASE, message, now)
    # The case, its parties and informant, its first event and the handlers told: one statement,
    # written by Core and kept as loaded (gridcase.inserts), their keys reserved with the number.
    # (The unit of work's flush cost more than the rest of the writes; one round trip each
    # was four of intake's ten.) What the case relates to is known, not read again.
    try:
        insert_together(
            [
                NewRows([case], dict(category=category, grid=grid, reporter=reporter, assignee=None)),
                NewRows(people, dict(case=case)),
                NewRows([informant] if informant is not None else [], dict(case=case)),
                NewRows([event], dict(case=case)),
            ],
            also=[told] if told is not None else [],
        )
    except sa.exc.IntegrityError as error:
        # A retry of a request that made its case, or two retries racing each other with one
        # key: the unique index refused this INSERT (after waiting for the other's transaction
        # to commit its case). Answer with that case.
        if idempotency_key is None or "uq_cases_reporter_idempotency_key" not in str(error.orig):
            raise
        db.session.rollback()
        replayed = _replay(reporter, idempotency_key, digest)
        if replayed is None:  # (the index found the other's case: it cannot be gone)
            raise
        return replayed
    set_committed_value(case, "parties", people)
    set_committed_value(case, "informant", informant)
    set_committed_value(case, "events", [event])
    # The webhook outbox, in this same transaction, as append_event does for later events.
    enqueue_case_event(case, event)
    if on_spot:
        _resolve_on_spot(case, reporter, on_spot, now)
    if severity in (Severity.MAJOR, Severity.CRITICAL):
        # 重大/特别重大: straight to the city with an immediate red alert (DESIGN §3).
        raise_case_alert(
            case,
            AlertKind.MAJOR_CASE,
            f"{case.public_number} {severity.zh}{CaseKind(case.kind).zh}：{case.title}",
            now,
        )
    raise_intake_alerts(case, now)  # mass incident, may intensify (DESIGN §5)
    return IntakeResult(case, created=True, duplicates=duplicates)


# Intake's statements are built once, as locate's: building them cost more Python time per
# request than PostgreSQL's answers.
# The Idempotency-Key's case: two columns (the whole case is loaded only for a replay, not for
# every new case), through Core (an ORM select of two columns cost twice as much).
_CASES = Case.__table__
_PROBE = sa.select(_CASES.c.id, _CASES.c.request_fingerprint).where(
    _CASES.c.reporter_id == sa.bindparam("reporter_id"), _CASES.c.idempotency_key == sa.bindparam("key")
)
# The day's next number, and the keys reserved from their sequences (see _next_public_number).
_NEXT_NUMBER_AND_KEYS = sa.text(
    """
    WITH number AS (
        INSERT INTO case_number_counters AS counter (city_code, day, last)
        VALUES (:city_code, :day, 1)
        ON CONFLICT (city_code, day) DO UPDATE SET last = counter.last + 1
        RETURNING counter.last
    )
    SELECT number.last,
           nextval(pg_get_serial_sequence('cases', 'id')) AS case_id,
           nextval(pg_get_serial_sequence('case_events', 'id')) AS event_id,
           ARRAY(
               SELECT nextval(pg_get_serial_sequence('case_parties', 'id'))
               FROM generate_series(1, CAST(:parties AS integer))
           ) AS party_ids
    FROM number
    """
)


@dataclass(frozen=True)
class _Catalogue:
    """The categories as this process keeps them (gridcase.reference): detached copies, never
    changed, merged into a request's session when used."""

    by_code: dict[str, Category]
    groups: frozenset[str]  # codes that have children


def _read_catalogue() -> _Catalogue:
    rows = db.session.execute(sa.select(*Category.__table__.columns)).mappings().all()
    by_code = {}
    for row in rows:
        category = Category(**row)
        so.make_transient_to_detached(category)
        by_code[category.code] = category
    return _Catalogue(by_code, frozenset(row["parent_code"] for row in rows if row["parent_code"]))


def _replay(reporter: User, idempotency_key: str | None, digest: str) -> IntakeResult | None:
    """The case an earlier request with this Idempotency-Key created, if any.

    A retry is found where it fails: the unique index on (reporter, key) refuses its INSERT
    (waiting for the first request's transaction if that one has not committed yet), or a rule
    refuses it first. No lock is taken in advance.

    Raises:
        Unprocessable: the key was used for a different request body.
    """
    if not idempotency_key:
        return None
    # (on the session's connection: a Core statement needs none of the session's work around it)
    parameters = {"reporter_id": reporter.id, "key": idempotency_key}
    existing = db.session.connection().execute(_PROBE, parameters).first()
    if existing is None:
        return None
    if existing.request_fingerprint != digest:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different case; use a new key for a new case.",
            {"Idempotency-Key": ["Reused with a different request body."]},
        )
    return IntakeResult(db.session.get(Case, existing.id), created=False, duplicates=[])


def _category(data: dict, errors: dict) -> Category | None:
    catalogue = kept("categories", _read_catalogue)
    found = catalogue.by_code.get(data["category"])
    # (a copy in this session, without a statement; its children load as usual when asked)
    category = db.session.merge(found, load=False) if found is not None else None
    if category is None or not category.active:
        errors["category"] = [Message("No category has the code '%(code)s'.", code=data["category"])]
        return None
    if category.code in catalogue.groups:
        errors["category"] = [
            Message(
                "%(category)s is a group; choose one of its categories: %(choices)s",
                category=category.name,
                choices=", ".join(f"{c.code} {c.name}" for c in category.children),
            )
        ]
    if category.kind != data["kind"]:
        errors["kind"] = [
            Message(
                "The category %(category)s is for %(kind)s cases.",
                category=category.name,
                kind=CaseKind(category.kind),
            )
        ]
    return category


def _source(role: Role, requested: str | None, errors: dict) -> Source:
    allowed = SOURCES_BY_ROLE[role]
    if requested is None:
        return allowed[0]
    if Source(requested) not in allowed:
        errors["source"] = [
            Message("You may record a case from: %(sources)s.", sources=", ".join(s.value for s in allowed))
        ]
        return allowed[0]
    return Source(requested)


def _refuse_a_second_case_of(
    reporter: User, external_ref: str, idempotency_key: str | None, digest: str
) -> IntakeResult | None:
    """A reporting system logs each of its work orders once; a retry of the request that logged
    it is answered with its case.

    Raises:
        Conflict: this system already logged a case of this work order (named in the error).
    """
    existing = db.session.scalar(
        sa.select(Case.public_number).where(
            Case.reporter_id == reporter.id, Case.external_ref == external_ref
        )
    )
    if existing:
        if (replayed := _replay(reporter, idempotency_key, digest)) is not None:
            return replayed
        raise Conflict(
            f"Work order {external_ref} is already case {existing}.",
            {"external_ref": [f"Already case {existing}."]},
        )
    return None


def _resolve_on_spot(case: Case, worker: User, on_spot: dict, now: datetime) -> None:
    """就地化解: the worker settled a small matter while there; the case starts resolved."""
    case.status = Status.RESOLVED.value
    case.accepted_at = now
    case.resolved_at = now
    case.resolved_level = case.level
    case.resolved_on_time = True
    case.resolution_outcome = Outcome(on_spot.get("outcome", Outcome.MEDIATED)).value
    case.resolution_summary = on_spot.get("summary", "")
    case.assignee = worker
    await_verification(case, worker, now)  # by the community, or above: never the worker
    append_event(
        case,
        action=Action.RESOLVE,
        at=now,
        actor_id=worker.id,
        from_status=Status.PENDING.value,
        from_level=case.level,
        payload={"outcome": case.resolution_outcome, "summary": case.resolution_summary, "on_spot": True},
    )


@dataclass(frozen=True)
class _Keys:
    """The primary keys reserved for what one intake writes."""

    case_id: int
    event_id: int
    party_ids: list[int]


def _next_public_number(city_code: str, now: datetime, parties: int) -> tuple[str, _Keys]:
    """The next number of the city's local day, and the keys of the new case, its first event
    and its `parties`, taken in a transaction of its own that commits at once: the day's counter
    row is locked for one statement, not until the intake commits (concurrent intakes queued
    behind it, 20 ms a call with 8 clients, in the performance review). Numbers are unique and
    increase; one taken by an intake that then fails is not given again, as with any sequence,
    nor are its keys."""
    day = now.astimezone(local_tz()).date()
    with _autocommitting(db.engine).connect() as connection:
        row = connection.execute(
            _NEXT_NUMBER_AND_KEYS, {"city_code": city_code[:6], "day": day, "parties": parties}
        ).one()
    keys = _Keys(row.case_id, row.event_id, list(row.party_ids))
    return public_number(city_code, day.strftime("%Y%m%d"), row.last), keys


_AUTOCOMMITTING: weakref.WeakKeyDictionary[sa.Engine, sa.Engine] = weakref.WeakKeyDictionary()


def _autocommitting(engine: sa.Engine) -> sa.Engine:
    """The engine's connections in autocommit: one statement, without BEGIN and COMMIT round
    trips around it (kept per engine: making it anew cost more than the statement)."""
    found = _AUTOCOMMITTING.get(engine)
    if found is None:
        found = _AUTOCOMMITTING[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


# The duplicate search, built once but for who may see what (added per viewer).
# What was asked, as one row the planner cannot see into (MATERIALIZED). With the point, radius
# and category as bare parameters, PostgreSQL planned the search again at every call (a custom
# plan each time, 0.4 ms, more than running it); behind the row, every plan is the same and the
# prepared statement keeps one.
_POINT = sa.func.ST_SetSRID(
    sa.func.ST_MakePoint(sa.bindparam("lon", type_=sa.Float), sa.bindparam("lat", type_=sa.Float)), SRID
)
_ASKED = (
    sa.select(
        _POINT.label("point"),
        sa.cast(_POINT, Geography(srid=SRID)).label("here"),
        sa.bindparam("box_degrees", type_=sa.Float).label("box_degrees"),
        sa.bindparam("radius", type_=sa.Float).label("radius"),
        sa.bindparam("category", type_=sa.String).label("category"),
        sa.bindparam("since", type_=Case.created_at.type).label("since"),
        sa.func.coalesce(sa.bindparam("exclude", type_=sa.BigInteger), 0).label("exclude"),
    )
    .cte("asked")
    .prefix_with("MATERIALIZED")
)
_DISTANCE = sa.func.ST_Distance(sa.cast(Case.location, Geography(srid=SRID)), _ASKED.c.here)
_NEAR_AND_RECENT = (
    sa.select(
        Case.id,
        Case.public_number,
        Case.title,
        Case.status,
        Case.created_at,
        _DISTANCE.label("distance_m"),
    )
    .select_from(_ASKED)
    .join(
        Case,
        # A bounding box in degrees lets the partial GiST index of open cases' locations find
        # the candidates; the geography test then measures metres.
        sa.func.ST_DWithin(Case.location, _ASKED.c.point, _ASKED.c.box_degrees),
    )
    .where(
        is_open(),
        # Only that index: compared bare, the category and the creation time offered theirs
        # too, and the planner intersected them, reading every case of the category or of the
        # last week to keep a few hundred (10-15 ms at 5 million cases). The same values,
        # through expressions no index offers:
        unindexed(Case.category_code) == _ASKED.c.category,
        unindexed(Case.created_at) >= _ASKED.c.since,
        sa.func.ST_DWithin(sa.cast(Case.location, Geography(srid=SRID)), _ASKED.c.here, _ASKED.c.radius),
        Case.id != _ASKED.c.exclude,
    )
    .order_by(_DISTANCE, Case.id)
    .limit(10)
)


def possible_duplicates(
    viewer: User,
    category_code: str,
    lon: float,
    lat: float,
    now: datetime | None = None,
    exclude_case_id: int | None = None,
) -> list[dict]:
    """Open cases of the category near the point and recent, that the viewer may see,
    nearest first (DESIGN §2: within 100 m, last 7 days, by default)."""
    parameters = _duplicate_search(category_code, lon, lat, now or utcnow(), exclude_case_id)
    # (on the session's connection: the search returns rows, not objects, and needs none of the
    # session's work around it)
    return [
        _duplicate(row) for row in db.session.connection().execute(_near_and_recent_for(viewer), parameters)
    ]


def _duplicate_search(
    category_code: str, lon: float, lat: float, now: datetime, exclude_case_id: int | None
) -> dict:
    """The parameters of the duplicate search (DESIGN §2: within 100 m, last 7 days)."""
    radius = float(setting("GRIDCASE_DUPLICATE_RADIUS_M"))
    return {
        "lon": lon,
        "lat": lat,
        "category": category_code,
        "since": now - timedelta(days=int(setting("GRIDCASE_DUPLICATE_DAYS"))),
        "radius": radius,
        # generous: a degree of longitude shrinks with latitude
        "box_degrees": radius / 111_320 / max(math.cos(math.radians(lat)), 0.1) * 1.2,
        "exclude": exclude_case_id,
    }


def _duplicate(row) -> dict:
    return {
        "id": row.id,
        "public_number": row.public_number,
        "title": row.title,
        "status": row.status,
        "created_at": row.created_at,
        "distance_m": round(row.distance_m, 1),
    }


def _grid_and_duplicates(
    viewer: User, category_code: str, lon: float, lat: float, now: datetime
) -> tuple[Region | None, list[dict]]:
    """The grid containing the point (territory.queries.locate_grid), and the possible
    duplicates of a new case of the category there that `viewer` may see, in one statement:
    a row per duplicate, each with the grid (one row without a duplicate; none outside every
    grid, where no case is made)."""
    rows = db.session.execute(
        _grid_and_near_for(viewer), _duplicate_search(category_code, lon, lat, now, None)
    ).all()
    if not rows:
        return None, []
    return rows[0][0], [_duplicate(row) for row in rows if row.id is not None]


# The statements limited to what each viewer sees, kept per viewer: a statement made anew is
# walked again for SQLAlchemy's cache key at every call, one kept is not.
_SEARCHES: dict[tuple, sa.Select] = {}
_GRIDS_AND_SEARCHES: dict[tuple, sa.Select] = {}
_GRID = GRID_AT_POINT.subquery("grid")


def _kept_for(viewer: User, kept: dict[tuple, sa.Select], build) -> sa.Select:
    # (what decides which cases a viewer sees: gridcase.cases.queries.visible_cases)
    key = (viewer.id, viewer.role, viewer.scope_level, viewer.scope_code, viewer.unit_code)
    statement = kept.get(key)
    if statement is None:
        if len(kept) >= 4096:
            kept.clear()
        statement = kept[key] = build()
    return statement


def _near_and_recent_for(viewer: User) -> sa.Select:
    return _kept_for(viewer, _SEARCHES, lambda: _NEAR_AND_RECENT.where(visible_cases(viewer)))


def _grid_and_near_for(viewer: User) -> sa.Select:
    def build() -> sa.Select:
        near = _near_and_recent_for(viewer).subquery("near")
        return (
            sa.select(so.aliased(Region, _GRID), *near.c)
            .select_from(_GRID)
            .outerjoin(near, sa.true())
            .order_by(near.c.distance_m, near.c.id)
        )

    return _kept_for(viewer, _GRIDS_AND_SEARCHES, build)
