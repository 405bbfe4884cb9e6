"""People and hazards under watch (重点人员、关爱对象、风险隐患): "防范在先、发现在早". Each record
names a grid worker who answers for it (包联责任人) and a rhythm of follow-ups (e.g. every 30 days:
a monthly visit); a follow-up sets the next due day; the worker's phone lists what falls due,
and a follow-up left past its day raises an alert for the centres (回访超期) once per due day.

A person's name, ID number and phone are encrypted like a case's parties, shown masked, in clear
for an audited reason. Source: the 综治 rules on 重点人员 服务管理 (社区矫正、刑满释放、严重精神
障碍患者、吸毒人员: regular 走访 by the 网格员, 一人一档) and 应急管理's 隐患排查 (a hazard with a
responsible person and a re-check until it is removed).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from gridcase.audit.log import AuditAction, record
from gridcase.cases.parties import encrypted_person, in_clear, reveal_reason
from gridcase.errors import NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.geo import SRID
from gridcase.gridwork.domain import PERSON_CATEGORIES, WatchCategory, WatchKind
from gridcase.gridwork.models import WatchFollowUp, WatchItem
from gridcase.gridwork.places import placed, worker_records
from gridcase.messages import Message
from gridcase.people.models import User, grid_assignments
from gridcase.people.privacy import id_number_problem, phone_problem
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.people.scope import covers_region
from gridcase.settings import local_tz
from gridcase.stats.alerts import raise_area_alert
from gridcase.stats.models import AlertKind
from gridcase.territory.queries import locate_grid

DUE_SOON_DAYS = 7  # the worker's list shows what falls due within a week


def add_watch_item(user: User, body: dict, now: datetime) -> WatchItem:
    """A person or a hazard put under watch, by a grid worker (in their grid, answering for it
    themselves) or a centre (in its scope, naming a grid worker of the grid).

    Raises:
        Forbidden-as-NotFound: the place is outside the user's grids or scope.
        Unprocessable: the category does not fit the kind, a person without a name, a hazard
            without a title, a bad ID number or phone, a responsible person who is no grid worker
            of the grid.
    """
    if user.role != Role.GRID_WORKER and user.role not in HANDLER_ROLES:
        raise NotFound("No such place in your scope.")
    grid = locate_grid(body["lon"], body["lat"])
    mine = user.role == Role.GRID_WORKER and grid is not None and grid.code in {g.code for g in user.grids}
    if grid is None or not (mine or (user.role in HANDLER_ROLES and covers_region(user, grid))):
        problem = Message("The place lies outside your grids.")
        raise Unprocessable(problem, {"lon": [problem]})
    kind, category = WatchKind(body["kind"]), WatchCategory(body["category"])
    problems = {}
    if (category in PERSON_CATEGORIES) != (kind is WatchKind.PERSON):
        problems["category"] = [Message("The category does not fit what is watched.")]
    person = body.get("person") or {}
    name = (person.get("name") or "").strip()
    if kind is WatchKind.PERSON and not name:
        problems["person"] = {"name": [Message("Give the person's name.")]}
    if kind is WatchKind.HAZARD and not (body.get("title") or "").strip():
        problems["title"] = [Message("Name the hazard.")]
    for field, check in (("id_number", id_number_problem), ("phone", phone_problem)):
        if person.get(field) and (problem := check(person[field])):
            problems.setdefault("person", {})[field] = [problem]
    responsible_id = body.get("responsible_id") or (user.id if user.role == Role.GRID_WORKER else None)
    if not _works_in(responsible_id, grid.code):
        problems["responsible_id"] = [Message("Name a grid worker of the grid to answer for it.")]
    if problems:
        raise Unprocessable(Message("The record is incomplete."), problems)
    # A person encrypted and masked as a case's parties are (a hazard has no person).
    who = encrypted_person(person) if kind is WatchKind.PERSON else {}
    today = now.astimezone(local_tz()).date()
    item = WatchItem(
        kind=kind.value,
        category=category.value,
        grade=body["grade"],
        title=who["name_masked"] if who else body["title"].strip(),
        description=(body.get("description") or "").strip(),
        name_encrypted=who.get("name_encrypted"),
        id_number_encrypted=who.get("id_number_encrypted"),
        phone_encrypted=who.get("phone_encrypted"),
        id_number_masked=who.get("id_number_masked") or "",
        phone_masked=who.get("phone_masked") or "",
        location=sa.func.ST_SetSRID(sa.func.ST_MakePoint(body["lon"], body["lat"]), SRID),
        responsible_id=responsible_id,
        rhythm_days=body["rhythm_days"],
        next_due=body.get("first_due") or today + timedelta(days=body["rhythm_days"]),
        created_by_id=user.id,
        created_at=now,
        **placed(grid),
    )
    db.session.add(item)
    db.session.flush()
    db.session.expire(item, ["location"])
    return item


def visible_watch_items(user: User) -> sa.ColumnElement[bool]:
    """A grid worker: what they answer for; the centres: what lies in their scope."""
    if user.role == Role.GRID_WORKER:
        return WatchItem.responsible_id == user.id
    return worker_records(user, WatchItem)


def find_watch_item(user: User, item_id: int, lock: bool = False) -> WatchItem:
    """
    Raises:
        NotFound: no such record, or not the user's to see.
    """
    query = sa.select(WatchItem).where(WatchItem.id == item_id, visible_watch_items(user))
    item = db.session.scalar(query.with_for_update(of=WatchItem) if lock else query)
    if item is None:
        raise NotFound(Message("No watched record %(item_id)s in your scope.", item_id=str(item_id)))
    return item


def follow_up(user: User, item_id: int, note: str, now: datetime) -> WatchFollowUp:
    """A follow-up done (a visit, a re-check): the next one falls due a rhythm from today.

    Raises:
        NotFound: not the user's to see.
        Unprocessable: the record is closed, or nothing written.
    """
    item = find_watch_item(user, item_id, lock=True)
    if item.closed_at is not None:
        raise Unprocessable(Message("The record is closed."))
    if not (note or "").strip():
        problem = Message("Write what the follow-up found.")
        raise Unprocessable(problem, {"note": [problem]})
    done = WatchFollowUp(item_id=item.id, followed_at=now, by_id=user.id, note=note.strip()[:2000])
    db.session.add(done)
    item.last_followed_at = now
    item.next_due = now.astimezone(local_tz()).date() + timedelta(days=item.rhythm_days)
    db.session.flush()
    return done


def close_watch_item(user: User, item_id: int, reason: str, now: datetime) -> WatchItem:
    """No longer watched (解除管控, 隐患消除), with the reason; by a centre that sees it.

    Raises:
        NotFound: not the user's to see.
        Forbidden-as-Unprocessable: a grid worker closes nothing; no reason; closed already.
    """
    item = find_watch_item(user, item_id, lock=True)
    if user.role not in HANDLER_ROLES:
        raise Unprocessable(Message("A centre closes a watched record, not a grid worker."))
    if item.closed_at is not None:
        raise Unprocessable(Message("The record is closed."))
    if not (reason or "").strip():
        problem = Message("Say why it is no longer watched.")
        raise Unprocessable(problem, {"reason": [problem]})
    item.closed_at, item.close_reason = now, reason.strip()[:2000]
    return item


def reveal_watched_person(user: User, item_id: int, reason: str) -> dict:
    """A watched person's name, ID number and phone in clear, for an audited reason.

    Raises:
        NotFound: not the user's to see, or not a person.
        Unprocessable: no reason, or too short a one.
    """
    item = find_watch_item(user, item_id)
    if item.kind != WatchKind.PERSON:
        raise NotFound(Message("Watched record %(item_id)s is no person.", item_id=str(item_id)))
    reason = reveal_reason(reason)
    record(AuditAction.REVEAL, actor=user, target=f"watched person {item.id}", details={"reason": reason})
    return in_clear(item)


def due_follow_ups(user: User, today: date) -> list[WatchItem]:
    """What the worker answers for that falls due within a week, or is late: the earliest first."""
    return list(
        db.session.scalars(
            sa.select(WatchItem)
            .where(
                WatchItem.responsible_id == user.id,
                WatchItem.closed_at.is_(None),
                WatchItem.next_due <= today + timedelta(days=DUE_SOON_DAYS),
            )
            .order_by(WatchItem.next_due, WatchItem.id)
        )
    )


def alert_overdue_follow_ups(now: datetime) -> list[int]:
    """Open records whose follow-up day has passed: an alert for each, once per due day
    (回访超期, yellow; red for a high-grade one), set-based and skipping rows a person holds.
    Returns the ids alerted."""
    today = now.astimezone(local_tz()).date()
    late = db.session.scalars(
        sa.select(WatchItem)
        .where(
            WatchItem.closed_at.is_(None),
            WatchItem.next_due < today,
            sa.or_(
                WatchItem.overdue_alerted_for.is_(None), WatchItem.overdue_alerted_for != WatchItem.next_due
            ),
        )
        .order_by(WatchItem.id)
        .with_for_update(skip_locked=True, of=WatchItem)
    ).all()
    for item in late:
        what = WatchCategory(item.category).label
        title = f"{item.title}（{what}）应于{item.next_due.isoformat()}回访，已超期"
        area = {
            column: getattr(item, column)
            for column in ("city_code", "district_code", "township_code", "community_code", "grid_code")
        }
        severity = "red" if item.grade == "high" else "yellow"
        raise_area_alert(
            AlertKind.FOLLOW_UP_OVERDUE,
            title,
            area,
            f"follow_up_overdue:{item.id}:{item.next_due}",
            now,
            severity,
        )
        item.overdue_alerted_for = item.next_due
    return [item.id for item in late]


def _works_in(user_id: int | None, grid_code: str) -> bool:
    """Whether the user is an active grid worker of the grid."""
    if not user_id:
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True))
            .select_from(User)
            .join(grid_assignments, grid_assignments.c.user_id == User.id)
            .where(
                User.id == user_id,
                User.active,
                User.role == Role.GRID_WORKER.value,
                grid_assignments.c.grid_code == grid_code,
            )
        )
    )
