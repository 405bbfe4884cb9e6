"""Sending notifications (set-based: one INSERT … SELECT per event) and reading the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from gridcase.cases.models import Case
from gridcase.errors import NotFound
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.notifications.models import Notification
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLE_OF_LEVEL, Role
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.vocabulary import LabelledEnum


class Kind(LabelledEnum):
    NEW_CASE = "new_case", _l("New case arrived")  # a case arrived at your level: 新案件
    ESCALATED = "escalated", _l("Escalated to you")  # 上报/自动升级 to your level
    HANDED_DOWN = "handed_down", _l("Handed down to you")  # 交办 to your level
    TAKEN_OVER = "taken_over", _l("Taken over")  # 提级 away from your level
    EXTENSION_DECIDED = "extension_decided", _l("Extension decided")
    EXTENSION_REQUESTED = "extension_requested", _l("Extension requested")
    VERIFICATION_FAILED = "verification_failed", _l("Verification failed")
    SUPERVISED = "supervised", _l("Supervised")  # 督办
    OVERDUE = "overdue", _l("Overdue")  # overdue at the top of the ladder
    ASSIGNED = "assigned", _l("Assigned to you")
    REOPENED = "reopened", _l("Reopened")
    # 条块联动: to a unit's people, and back to the centre that dispatched.
    DISPATCHED = "dispatched", _l("Dispatched to your unit")  # 派遣
    RETURNED = "returned", _l("Returned by a unit")  # 退回
    UNIT_RESOLVED = "unit_resolved", _l("Resolved by the lead unit")  # 主办单位办结, to verify
    REWORK = "rework", _l("Sent back for rework")  # 返工
    ASSIGNMENT_OVERDUE = "assignment_overdue", _l("Unit assignment overdue")
    WITHDRAWN = "withdrawn", _l("Withdrawn from your unit")  # 改派: dispatched elsewhere
    TO_VERIFY = "to_verify", _l("To verify")  # 待核查: a resolution the rule gives you
    YOUR_CASE = "your_case", _l("Your case")  # what became of a case the grid worker logged
    ESCALATED_AWAY = "escalated_away", _l("Escalated away")  # your level's case went up (上交)
    SUPERVISION_REPLIED = "supervision_replied", _l("Supervision replied")  # 督办回复, to evaluate
    VERIFY_OVERDUE = "verify_overdue", _l("Verification overdue")  # 核查超期: still yours to verify
    PERFORMANCE_DUE = "performance_due", _l("Agreement due for performance")  # 协议履行期限届满
    CONFIRMATION_CLOSING = (
        "confirmation_closing",
        _l("Judicial confirmation window closing"),
    )  # 司法确认将届满
    INVITED = "invited", _l("Invited to mediate")  # 特邀调解员 asked onto a case
    REFERRAL_CLOSING = "referral_closing", _l("Court referral period closing")  # 诉前调解期限将届满
    REFERRAL_ENDED = "referral_ended", _l("Court referral period ended")  # 诉前调解期限已届满


def _notify_users_where(case: Case, kind: Kind, message: str, at: datetime, *who) -> None:
    """One notification for each active user matching `who`, in one statement."""
    recipients = sa.select(
        User.id, sa.literal(case.id), sa.literal(kind.value), sa.literal(message[:500]), sa.literal(at)
    ).where(User.active, *who)
    columns = ["user_id", "case_id", "kind", "message", "created_at"]
    db.session.execute(sa.insert(Notification).from_select(columns, recipients))


# The handlers of a node told about a case: built once (every action and intake tells someone).
_NOTIFY_HANDLERS = sa.insert(Notification.__table__).from_select(
    ["user_id", "case_id", "kind", "message", "created_at"],
    sa.select(
        User.id,
        sa.bindparam("case_id", type_=sa.BigInteger),
        sa.bindparam("kind", type_=sa.String),
        sa.bindparam("message", type_=sa.String),
        sa.bindparam("at", type_=sa.DateTime(timezone=True)),
    ).where(
        User.active,
        User.role == sa.bindparam("role"),
        User.scope_code == sa.bindparam("scope_code"),
        User.id != sa.func.coalesce(sa.bindparam("except_user_id", type_=sa.Integer), 0),
    ),
)


def notify_level(
    case: Case, level: str, kind: Kind, message: str, at: datetime, except_user_id: int | None = None
) -> None:
    """Tell every active handler of `level` whose scope holds the case (but `except_user_id`)."""
    told = handlers_told(case, level, kind, message, at, except_user_id)
    if told is not None:
        db.session.execute(*told)


def handlers_told(
    case: Case, level: str, kind: Kind, message: str, at: datetime, except_user_id: int | None = None
) -> tuple[sa.Insert, dict] | None:
    """The INSERT of `notify_level`'s notifications and its parameters, not yet sent (intake
    sends it within the INSERT of its case: gridcase.inserts.insert_together); None when the
    level has no handlers to tell."""
    role = HANDLER_ROLE_OF_LEVEL.get(level)
    if role is None:
        return None
    parameters = {
        "case_id": case.id,
        "kind": kind.value,
        "message": message[:500],
        "at": at,
        "role": role.value,
        "scope_code": getattr(case, ANCESTOR_COLUMNS[RegionLevel(level)]),
        "except_user_id": except_user_id,
    }
    return _NOTIFY_HANDLERS, parameters


def notify_unit(
    unit_code: str, case: Case, kind: Kind, message: str, at: datetime, heads_only: bool = False
) -> None:
    """Tell every active person of a unit (or its heads only)."""
    roles = [Role.UNIT_HEAD.value] if heads_only else [Role.UNIT_HANDLER.value, Role.UNIT_HEAD.value]
    _notify_users_where(case, kind, message, at, User.unit_code == unit_code, User.role.in_(roles))


def notify_reporter(case: Case, message: str, at: datetime, actor_id: int | None = None) -> None:
    """Tell the grid worker who logged the case what became of it, unless they did it
    themselves (a system user or a citizen behind Open311 has no inbox here). One statement,
    without loading the reporter (the sweep tells thousands at a time)."""
    who = (User.id == case.reporter_id, User.role == Role.GRID_WORKER.value, User.id != actor_id)
    _notify_users_where(case, Kind.YOUR_CASE, f"您上报的{case.public_number}{message}", at, *who)


def notify_user(user_id: int, case: Case, kind: Kind, message: str, at: datetime) -> None:
    db.session.add(
        Notification(user_id=user_id, case_id=case.id, kind=kind.value, message=message[:500], created_at=at)
    )


# --- set-based: many notifications in one statement (the sweep's batches) -------------------


@dataclass(frozen=True)
class LevelNotice:
    """For `notify_levels`: tell the handlers of `level` at the case's node (`node_code`)."""

    case_id: int
    level: str
    node_code: str | None
    kind: Kind
    message: str


def _insert_notifications(at: datetime, match: str, columns: dict[str, list]) -> None:
    """One notification for each active user matching `match` (SQL over `u`, the user, and `w`,
    one wanted notice), for every notice in `columns` (one list a column, with at least
    case_id, kind and message), in the notices' order, in one statement."""
    names = list(columns)
    arrays = ", ".join(f"CAST(:{name} AS {'bigint' if name.endswith('_id') else 'text'}[])" for name in names)
    statement = sa.text(
        "INSERT INTO notifications (user_id, case_id, kind, message, created_at) "
        "SELECT u.id, w.case_id, w.kind, w.message, :at "
        f"FROM unnest({arrays}) WITH ORDINALITY AS w({', '.join(names)}, n) "
        f"JOIN users u ON u.active AND {match} ORDER BY w.n, u.id"
    )
    db.session.execute(statement, {**columns, "at": at})


def notify_levels(notices: list[LevelNotice], at: datetime) -> None:
    """`notify_level` for many cases at once: the handlers of each notice's level and node."""
    wanted = [n for n in notices if HANDLER_ROLE_OF_LEVEL.get(n.level) and n.node_code]
    if not wanted:
        return
    columns = {
        "case_id": [n.case_id for n in wanted],
        "kind": [n.kind.value for n in wanted],
        "message": [n.message[:500] for n in wanted],
        "role": [HANDLER_ROLE_OF_LEVEL[n.level].value for n in wanted],
        "scope_code": [n.node_code for n in wanted],
    }
    _insert_notifications(at, "u.role = w.role AND u.scope_code = w.scope_code", columns)


def notify_reporters(notices: list[tuple[int, int | None, str]], at: datetime) -> None:
    """`notify_reporter` for many cases at once: (case id, reporter id, message after
    "您上报的{number}"…, the number included by the caller)."""
    wanted = [(case_id, reporter_id, message) for case_id, reporter_id, message in notices if reporter_id]
    if not wanted:
        return
    columns = {
        "case_id": [case_id for case_id, _, _ in wanted],
        "kind": [Kind.YOUR_CASE.value] * len(wanted),
        "message": [f"您上报的{message}"[:500] for _, _, message in wanted],
        "user_id": [reporter_id for _, reporter_id, _ in wanted],
    }
    _insert_notifications(at, f"u.id = w.user_id AND u.role = '{Role.GRID_WORKER.value}'", columns)


def notify_units(
    notices: list[tuple[int, str, str]], kind: Kind, at: datetime, heads_only: bool = False
) -> None:
    """`notify_unit` for many cases at once: (case id, unit code, message)."""
    if not notices:
        return
    roles = [Role.UNIT_HEAD.value] if heads_only else [Role.UNIT_HANDLER.value, Role.UNIT_HEAD.value]
    columns = {
        "case_id": [case_id for case_id, _, _ in notices],
        "kind": [kind.value] * len(notices),
        "message": [message[:500] for _, _, message in notices],
        "unit_code": [unit_code for _, unit_code, _ in notices],
    }
    match = "u.unit_code = w.unit_code AND u.role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"
    _insert_notifications(at, match, columns)


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def inbox(user: User, unread_only: bool = False, limit: int = 50) -> tuple[list[Notification], int]:
    """The user's latest notifications and the number unread."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    # (with their cases, which the pages name: one statement for all, not one each)
    query = query.options(so.selectinload(Notification.case))
    items = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)))
    return items, unread_count(user)


def mark_read(user: User, notification_id: int | None, at: datetime) -> int:
    """Mark one notification (or, with None, all) of the user as read; returns how many.

    Raises:
        NotFound: the notification is not the user's.
    """
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        owned = db.session.scalar(
            sa.select(Notification.id).where(
                Notification.id == notification_id, Notification.user_id == user.id
            )
        )
        if owned is None:
            raise NotFound(
                Message("No notification %(notification_id)s.", notification_id=str(notification_id))
            )
        query = query.where(Notification.id == notification_id)
    return db.session.execute(query.values(read_at=at)).rowcount
