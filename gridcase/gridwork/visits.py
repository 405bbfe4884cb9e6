"""Visits (走访) and the 民情日志: the grid worker goes from door to door and to the places of the
grid, and writes down what people said and what they saw. Whom they met are residents: their
names are encrypted like a case's parties, shown masked, and in clear only to the worker and
the centres above them for a reason that is audited. A concern heard becomes a case in one tap.

Source: the 网格员 duties of the provinces' 网格化服务管理 rules (入户走访、场所走访, 民情日志 —
"走百家门、知百家情、解百家难"), and 浙江's 全科网格 practice of logging each visit.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from geoalchemy2.shape import to_shape

from gridcase.audit.log import AuditAction, record
from gridcase.cases.parties import reveal_reason
from gridcase.cases.photos import PhotoRejected, process_photo
from gridcase.errors import Forbidden, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.gridwork.domain import VisitKind
from gridcase.gridwork.field_cases import case_from_the_field, refuse_a_second_case
from gridcase.gridwork.models import Visit
from gridcase.gridwork.places import placed, serialise_sends, worker_grid_at, worker_records
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.privacy import mask_name
from gridcase.people.roles import Role
from gridcase.settings import cipher, setting

PEOPLE_FIELD = "visit_people"  # the cipher's field name of whom a visit met
CLOCK_SKEW = timedelta(minutes=10)
_SEPARATORS = re.compile(r"[、,，;；\n]+")


def record_visit(worker: User, body: dict, client_key: str | None, now: datetime) -> tuple[Visit, bool]:
    """A visit or a 民情日志 entry the worker writes; returns (visit, created). A key sent again
    answers the record stored before.

    `body`: kind, topic (a visit's; none for a diary entry), visited_at, target, people_met
    (names, separated by 、 or commas), content, concerns, lon, lat — as VisitInSchema loads them.

    Raises:
        Forbidden: not a grid worker.
        Unprocessable: a visit without its topic (or a diary entry with one), a time to come,
            nothing written.
    """
    if worker.role != Role.GRID_WORKER:
        raise Forbidden(Message("Only a grid worker records visits."))
    if client_key:
        serialise_sends(worker, "visit", client_key)
        existing = db.session.scalar(
            sa.select(Visit).where(Visit.worker_id == worker.id, Visit.client_key == client_key)
        )
        if existing is not None:
            return existing, False
    kind = VisitKind(body["kind"])
    problems = {}
    if kind is VisitKind.DIARY and body.get("topic"):
        problems["topic"] = [Message("A diary entry has no topic.")]
    if kind is not VisitKind.DIARY and not body.get("topic"):
        problems["topic"] = [Message("Say what the visit was for.")]
    if body["visited_at"] > now + CLOCK_SKEW:
        problems["visited_at"] = [Message("The time cannot be in the future.")]
    if not body["content"].strip():
        problems["content"] = [Message("Write what you saw and heard.")]
    if problems:
        raise Unprocessable(Message("The record is incomplete."), problems)
    names = [n.strip() for n in _SEPARATORS.split(body.get("people_met") or "") if n.strip()]
    grid = worker_grid_at(worker, body["lon"], body["lat"])
    visit = Visit(
        worker_id=worker.id,
        client_key=client_key,
        kind=kind.value,
        topic=body.get("topic"),
        visited_at=body["visited_at"],
        recorded_at=now,
        target=(body.get("target") or "").strip(),
        people_met_encrypted=cipher().encrypt("、".join(names), PEOPLE_FIELD) if names else None,
        people_met_masked="、".join(mask_name(n) for n in names)[:400],
        content=body["content"].strip(),
        concerns=(body.get("concerns") or "").strip(),
        location=sa.func.ST_SetSRID(sa.func.ST_MakePoint(body["lon"], body["lat"]), SRID),
        **placed(grid),
    )
    db.session.add(visit)
    db.session.flush()
    db.session.expire(visit, ["location"])
    return visit, True


def visible_visits(user: User) -> sa.ColumnElement[bool]:
    return worker_records(user, Visit)


def find_visit(user: User, visit_id: int, lock: bool = False) -> Visit:
    """
    Raises:
        NotFound: no such visit, or not the user's to see.
    """
    query = sa.select(Visit).where(Visit.id == visit_id, visible_visits(user))
    visit = db.session.scalar(query.with_for_update(of=Visit) if lock else query)
    if visit is None:
        raise NotFound(Message("No visit %(visit_id)s in your scope.", visit_id=str(visit_id)))
    return visit


def add_visit_photo(user: User, visit_id: int, raw: bytes) -> Visit:
    """The visit's photo, by the worker who wrote it, once; cleaned as a case's photos are.

    Raises:
        NotFound: not one of the user's visits.
        Unprocessable: a photo is there already, or the file is no acceptable photo.
    """
    visit = _own_visit(user, visit_id)
    if visit.photo_sha256 is not None:
        raise Unprocessable(Message("The visit has its photo already."))
    try:
        photo = process_photo(raw, int(setting("GRIDCASE_MAX_PHOTO_BYTES")))
    except PhotoRejected as exc:
        raise Unprocessable(exc.args[0], {"file": [exc.args[0]]}) from exc
    visit.photo, visit.photo_sha256 = photo.data, photo.sha256
    return visit


def visit_photo(user: User, visit_id: int) -> bytes:
    """
    Raises:
        NotFound: no such visit in scope, or it has no photo.
    """
    visit = find_visit(user, visit_id)
    if visit.photo_sha256 is None:
        raise NotFound(Message("Visit %(visit_id)s has no photo.", visit_id=str(visit_id)))
    return visit.photo


def reveal_people_met(user: User, visit_id: int, reason: str) -> list[str]:
    """Whom the visit met, in clear, for the worker or a centre that sees it and gives a reason:
    written to the security audit log.

    Raises:
        NotFound: no such visit in scope.
        Unprocessable: no reason, or too short a one; the names were erased at the end of
            their retention.
    """
    visit = find_visit(user, visit_id)
    reason = reveal_reason(reason)
    if visit.anonymised_at is not None:
        raise Unprocessable(Message("The names were erased at the end of their retention."))
    record(AuditAction.REVEAL, actor=user, target=f"visit {visit.id}", details={"reason": reason})
    names = cipher().decrypt(visit.people_met_encrypted, PEOPLE_FIELD) if visit.people_met_encrypted else ""
    return [n for n in names.split("、") if n]


def concern_to_case(user: User, visit_id: int, category: str | None, title: str, now: datetime):
    """The case a visit's concern becomes (the visit's words when no concern was written apart),
    at the visit's place, logged by the worker who wrote it; once.

    Raises:
        NotFound: not one of the user's visits.
        Unprocessable: already a case, or no category (and whatever intake refuses).
    """
    visit = _own_visit(user, visit_id)
    refuse_a_second_case(visit.case_id)
    text = visit.concerns or visit.content
    case = case_from_the_field(user, category, title, text, to_shape(visit.location), visit.visited_at, now)
    visit.case_id = case.id
    return case


def _own_visit(user: User, visit_id: int) -> Visit:
    visit = db.session.scalar(
        sa.select(Visit).where(Visit.id == visit_id, Visit.worker_id == user.id).with_for_update(of=Visit)
    )
    if visit is None:
        raise NotFound(Message("No visit %(visit_id)s of yours.", visit_id=str(visit_id)))
    return visit
