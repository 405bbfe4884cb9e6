"""Reading cases within a user's scope: one case, and filtered, paginated lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from gridcase.cases.domain import OPEN_STATUSES, SEVERITY_RANK
from gridcase.cases.models import Case, CaseAttachment, CaseEvent, Category, is_open, unindexed
from gridcase.cases.verification import awaiting_verification_by
from gridcase.errors import NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.mediation.models import MediationInvitation
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import CASE_READER_ROLES, UNIT_ROLES, Role
from gridcase.people.scope import in_scope, territory_column
from gridcase.settings import BIGINT_MAX, local_tz, utcnow
from gridcase.territory.models import Region
from gridcase.text import ascii_digits
from gridcase.units.lifecycle import VISIBLE_ASSIGNMENT_STATUSES
from gridcase.units.models import CaseAssignment

PUBLIC_NUMBER = re.compile(r"^\d{6}-\d{8}-\d{6}$")
OPEN_VALUES = {status.value for status in OPEN_STATUSES}

_SEVERITY_ORDER = sa.case(SEVERITY_RANK, value=Case.severity)
SORTS = {
    "created_at": Case.created_at,
    "due_at": Case.due_at,
    "severity": _SEVERITY_ORDER,
    "updated_at": Case.updated_at,
}


def visible_cases(user: User) -> sa.ColumnElement[bool]:
    """Condition on `cases` selecting what `user` may see: the cases inside their scope, and
    always the ones they reported. Admins and auditors read no case content. A unit's people
    see the cases their unit holds an assignment of (not one it returned or that was withdrawn
    from it), nothing else; an invited mediator, the cases they stand invited to."""
    if user.role == Role.EXTERNAL_MEDIATOR:
        return Case.id.in_(
            sa.select(MediationInvitation.case_id).where(
                MediationInvitation.mediator_id == user.id, MediationInvitation.withdrawn_at.is_(None)
            )
        )
    if user.role in UNIT_ROLES:
        return Case.id.in_(
            sa.select(CaseAssignment.case_id).where(
                CaseAssignment.unit_code == user.unit_code,
                CaseAssignment.status.in_(VISIBLE_ASSIGNMENT_STATUSES),
            )
        )
    if user.role not in CASE_READER_ROLES:
        return sa.false()
    return sa.or_(in_scope(user, Case), Case.reporter_id == user.id)


def case_reference(ref: str | int) -> sa.ColumnElement[bool]:
    """The case a reference names: its id, or its public number (a condition that matches
    nothing when the reference is neither).

    Raises:
        NotFound: the reference is neither an id nor a public number.
    """
    ref = str(ref).strip()
    if ascii_digits(ref) and int(ref) <= BIGINT_MAX:
        return Case.id == int(ref)
    if PUBLIC_NUMBER.match(ref):
        return Case.public_number == ref
    raise NotFound(Message("No case %(ref)s in your scope.", ref=str(ref)))


def find_case(viewer: User, ref: str | int, *, lock: bool = False) -> Case:
    """The case with this id or public number, if the viewer may see it.

    With `lock`, the row is locked FOR UPDATE until the transaction ends.

    Raises:
        NotFound: no such case, or outside the viewer's scope (the answer is the same).
    """
    query = sa.select(Case).where(case_reference(ref), visible_cases(viewer))
    if lock:
        # Lock only the case row: the joined category/users are read, not changed.
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
    case = db.session.scalar(query)
    if case is None:
        raise NotFound(Message("No case %(ref)s in your scope.", ref=str(ref)))
    return case


def case_events(case: Case) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            sa.select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .options(so.joinedload(CaseEvent.actor))
            .order_by(CaseEvent.seq)
        )
    )


@dataclass
class CasePage:
    items: list[Case]
    total: int
    page: int
    page_size: int


def _local_day_start(day: date | str) -> datetime:
    # The API passes its filters through `plain`, which writes dates as ISO text.
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(day, time(), local_tz())


def case_conditions(viewer: User, filters: dict) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of the case list's filters (DESIGN §4), within the viewer's scope:
    one definition for the list, its exports and anything else that must match it.

    Raises:
        Unprocessable: an unknown region or category in the filters.
    """
    conditions = [visible_cases(viewer)]
    only_open = bool(filters.get("status")) and set(filters["status"]) == OPEN_VALUES
    if filters.get("status"):
        # The open cases (the queue's default) as the partial indexes over them say it.
        conditions.append(is_open() if only_open else Case.status.in_(filters["status"]))
    if filters.get("level"):
        conditions.append(Case.level.in_(filters["level"]))
    if filters.get("kind"):
        conditions.append(Case.kind == filters["kind"])
    if filters.get("severity"):
        conditions.append(Case.severity.in_(filters["severity"]))
    if filters.get("source"):
        conditions.append(Case.source == filters["source"])
    if filters.get("category"):
        code = filters["category"]
        if db.session.get(Category, code) is None:
            raise Unprocessable("Unknown category.", {"category": [f"No category {code}."]})
        # A group code matches its categories too.
        conditions.append(
            sa.or_(
                Case.category_code == code,
                Case.category_code.in_(sa.select(Category.code).where(Category.parent_code == code)),
            )
        )
    if filters.get("region"):
        region = db.session.get(Region, filters["region"])
        if region is None:
            raise Unprocessable("Unknown region.", {"region": [f"No territory node {filters['region']}."]})
        conditions.append(territory_column(Case, region.level) == region.code)
    if filters.get("overdue") is not None:
        overdue = sa.and_(is_open(), Case.due_at <= utcnow())
        if filters["overdue"] and only_open:
            # (open twice over would make the planner expect a few rows and sort them all)
            overdue = Case.due_at <= utcnow()
        conditions.append(overdue if filters["overdue"] else sa.not_(overdue))
    if filters.get("assignee") == "me":
        conditions.append(Case.assignee_id == viewer.id)
    if filters.get("reported_by") == "me":
        conditions.append(Case.reporter_id == viewer.id)
    if filters.get("verify") == "me":
        conditions.append(awaiting_verification_by(viewer))
    if filters.get("q"):
        pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        # (the separators written inline, as the trigram index says it: bound ones would hide
        # the index from a prepared statement's generic plan)
        space = sa.literal_column("' '", sa.String)
        searchable = Case.title + space + Case.description + space + Case.address
        exact = filters["q"].strip()
        conditions.append(
            sa.or_(searchable.ilike(pattern), Case.public_number == exact, Case.external_ref == exact)
        )
    if filters.get("from"):
        conditions.append(Case.created_at >= _local_day_start(filters["from"]))
    if filters.get("to"):
        conditions.append(Case.created_at < _local_day_start(filters["to"]) + timedelta(days=1))
    return conditions


def case_order(filters: dict) -> list[sa.ColumnElement]:
    """ORDER BY of the case list: the `sort` filter, ties broken by id, so pages never repeat
    or skip a case between requests when nothing changes."""
    sort = filters.get("sort") or "-created_at"
    key = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    if filters.get("q") and sort.lstrip("-") != "severity":
        # A keyword's matches come from the trigram index and are sorted. A prepared statement's
        # generic plan cannot see the keyword and guesses thousands of matches, so it would read
        # the whole history in the index order of the sort until a page of them matched (2.7 s
        # at 5 million cases): the same order, through an expression no index offers.
        key = unindexed(key)
    return [key.desc() if descending else key.asc(), Case.id.desc() if descending else Case.id.asc()]


def count_cases(viewer: User, filters: dict) -> int:
    """How many cases the viewer may see match the filters (the list's total, without its page).

    Raises:
        Unprocessable: an unknown region or category in the filters.
    """
    return _count(case_conditions(viewer, filters))


def _count(conditions: list[sa.ColumnElement[bool]]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(*conditions))


def list_cases(viewer: User, filters: dict, page: int = 1, page_size: int = 20) -> CasePage:
    """Cases the viewer may see, filtered (DESIGN §4) and ordered deterministically.

    Raises:
        Unprocessable: an unknown region or category in the filters.
    """
    conditions = case_conditions(viewer, filters)
    order = case_order(filters)
    if filters.get("q"):
        # A keyword's matches come from the trigram index and are all read to be sorted: the
        # total is counted in that same pass, not by reading every match again (at 5 million
        # cases a four-digit keyword matched 2,500, each a heap page of its own). The page is
        # chosen among narrow rows (id, sort key, total); only its own cases are then read whole,
        # with the relations a case loads with it: sorting 2,500 whole rows with those joined
        # spilled to disk (35 ms of a 5-million-case search, against 12).
        chosen = _page_of(
            sa.select(Case.id, sa.func.count().over().label("total")), conditions, order, page, page_size
        ).subquery()
        rows = db.session.execute(
            sa.select(Case, chosen.c.total)
            .join(chosen, chosen.c.id == Case.id)
            .order_by(*order)
            .options(_WITH_PARTIES)
        ).all()
        items = [row.Case for row in rows]
        total = rows[0].total if rows else _count(conditions)  # (past the last page: counted)
    else:
        total = _count(conditions)
        page_of_cases = _page_of(sa.select(Case), conditions, order, page, page_size)
        items = list(db.session.scalars(page_of_cases.options(_WITH_PARTIES)))
    return CasePage(items=items, total=total, page=page, page_size=page_size)


# (a list shows each case's parties: one statement for the page, not one a case)
_WITH_PARTIES = so.selectinload(Case.parties)


def _page_of(query: sa.Select, conditions: list, order: list, page: int, page_size: int) -> sa.Select:
    return query.where(*conditions).order_by(*order).offset((page - 1) * page_size).limit(page_size)


def open_case_points(viewer: User, region_code: str | None = None, limit: int = 5000) -> str:
    """Open cases in the viewer's scope (and region) as a GeoJSON FeatureCollection with their
    lights, built by PostGIS in one query, most urgent first, at most `limit` of them: the JSON
    text as PostgreSQL writes it (5,000 features are 1.7 MB, which Python would only parse and
    write again)."""
    now = utcnow()
    conditions = [visible_cases(viewer), is_open()]
    if region_code:
        region = db.session.get(Region, region_code)
        if region is None:
            raise Unprocessable("Unknown region.", {"region": [f"No territory node {region_code}."]})
        conditions.append(territory_column(Case, region.level) == region.code)
    light = sa.case((Case.due_at <= now, "red"), (Case.warn_at <= now, "yellow"), else_="green")
    rows = (
        sa.select(
            Case.id,
            Case.public_number,
            Case.title,
            Case.level,
            Case.severity,
            Case.kind,
            # (the dashboard counts each area's open cases by these, to colour and label its map)
            Case.township_code,
            Case.community_code,
            Case.grid_code,
            light.label("light"),
            sa.func.ST_AsGeoJSON(Case.location, 6).label("geometry"),
        )
        .where(*conditions)
        .order_by(Case.due_at, Case.id)
        .limit(limit)
        .subquery()
    )
    collection = sa.func.json_build_object(
        "type",
        "FeatureCollection",
        "features",
        sa.func.coalesce(
            sa.func.json_agg(
                sa.func.json_build_object(
                    "type",
                    "Feature",
                    "geometry",
                    sa.cast(rows.c.geometry, sa.JSON),
                    "properties",
                    sa.func.json_build_object(
                        "id",
                        rows.c.id,
                        "public_number",
                        rows.c.public_number,
                        "title",
                        rows.c.title,
                        "level",
                        rows.c.level,
                        "severity",
                        rows.c.severity,
                        "kind",
                        rows.c.kind,
                        "light",
                        rows.c.light,
                        "township_code",
                        rows.c.township_code,
                        "community_code",
                        rows.c.community_code,
                        "grid_code",
                        rows.c.grid_code,
                    ),
                )
            ),
            sa.text("'[]'::json"),
        ),
    )
    return db.session.scalar(sa.select(sa.cast(collection, sa.Text)))


def case_photos(case: Case) -> list[CaseAttachment]:
    """The photos of a case, oldest first (their bytes stay deferred)."""
    return list(
        db.session.scalars(
            sa.select(CaseAttachment).where(CaseAttachment.case_id == case.id).order_by(CaseAttachment.id)
        )
    )
