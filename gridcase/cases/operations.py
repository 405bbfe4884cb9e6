"""Actions on a case (DESIGN §2): one function applies any action, after the lifecycle rules
allow it and the version matches; each action appends one event to the hash chain.

The case row is locked FOR UPDATE for the whole transaction, so a human action and a sweep
never interleave on a case: whoever locks first wins and the other sees the new version
(the sweep skips locked rows; a human gets 409 Conflict when the sweep changed the case).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from gridcase.cases.domain import Outcome, RevisitMethod, Satisfaction, Status
from gridcase.cases.events import append_event
from gridcase.cases.lifecycle import (
    Action,
    ActorState,
    decide,
    hand_down_problem,
    take_over_level,
    transition,
)
from gridcase.cases.models import Case
from gridcase.cases.queries import find_case
from gridcase.cases.states import actor_state, case_state
from gridcase.cases.supervision import evaluate_supervision, issue_supervision, reply_to_supervision
from gridcase.cases.verification import await_verification, clear_verification
from gridcase.errors import Conflict, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.ladder.calendar import WorkCalendar
from gridcase.ladder.clock import clock_for_level, load_calendar
from gridcase.ladder.limits import level_clock, level_rank
from gridcase.mediation.agreements import record_agreement
from gridcase.messages import Message
from gridcase.notifications.inbox import Kind, notify_level, notify_reporter, notify_user
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLE_OF_LEVEL, Role
from gridcase.people.scope import covers
from gridcase.settings import ladder, setting, utcnow
from gridcase.territory.levels import RegionLevel
from gridcase.units.assignments import dispatch, send_back_for_rework, take_step, withdraw_open
from gridcase.units.lifecycle import ReturnReason, UnitStep


def perform_action(
    user: User, ref: str | int, action: str, version: int, payload: dict, now: datetime | None = None
) -> Case:
    """Apply `action` to the case `ref` as `user`, if `version` is still the case's version.

    Raises:
        NotFound: no such case in the user's scope.
        Conflict: the case changed since the client read `version`.
        Unprocessable: the state, the role or the payload does not allow the action.
    """
    now = now or utcnow()
    case = find_case(user, ref, lock=True)
    if version != case.version:
        raise Conflict(
            f"The case changed since you loaded it (your version {version}, now {case.version}); "
            "reload it and try again.",
            {"version": [f"Current version is {case.version}."]},
        )
    action = Action(action)
    actor = actor_state(user, case)
    before = case_state(case)
    reason = decide(action, before, actor)
    if reason:
        raise Unprocessable(reason, {"action": [reason]})
    from_status, from_level = case.status, case.level
    event_payload = _APPLY[action](case, user, actor, payload, now)
    # The status that follows is the lifecycle's word (gridcase.cases.lifecycle.transition);
    # the functions below change everything else.
    case.status = transition(action, before, event_payload).status.value
    news = _news_for_the_reporter(action, case, event_payload)
    if news:
        notify_reporter(case, news, now, actor_id=user.id)
    if case.status in (Status.CLOSED, Status.REJECTED):
        withdraw_open(case, now, "案件已办结或不予受理")  # (a duplicate too) no unit stays at it
    case.version += 1
    case.updated_at = now
    append_event(
        case,
        action=action.value,
        at=now,
        actor_id=user.id,
        from_status=from_status,
        from_level=from_level,
        payload=event_payload,
    )
    return case


def _news_for_the_reporter(action: Action, case: Case, event: dict) -> str | None:
    """What the grid worker who logged the case hears of an action on it (DESIGN §2,
    "Messages"): its milestones, never who the parties are nor what was said about them."""
    level = RegionLevel(case.level).zh
    if action is Action.ACCEPT:
        return "已受理"
    if action is Action.ESCALATE:
        return f"已上报至{level}"
    if action is Action.TAKE_OVER:
        return f"已由{level}提级办理"
    if action is Action.HAND_DOWN:
        return f"已交办至{level}办理"
    if action is Action.DISPATCH:
        return f"已派遣至{event['lead_unit_name']}办理"
    if action is Action.RESOLVE:
        return "已化解，待核查"
    if action is Action.VERIFY:
        return "经核查已办结" if event["passed"] else "核查未通过，重新办理"
    if action is Action.REJECT:
        return "不予受理"
    if action is Action.MARK_DUPLICATE:
        return f"与{event['original']}为同一事项，合并办理"
    if action in (Action.REOPEN, Action.REVISIT) and case.status == Status.IN_PROGRESS:
        return "已重新办理"
    if action is Action.RETURN and "returns" in event and event["reason"] == ReturnReason.INFORMATION_MISSING:
        return "承办单位反映信息不全，可能需要您补充情况"
    return None


# --- the clock at a level ------------------------------------------------------------------


def enter_level(
    case: Case, level: str, now: datetime, limit_days: int | None = None, calendar: WorkCalendar | None = None
) -> None:
    """Move the case to `level` with a fresh clock starting now (DESIGN §3); the calendar is
    read here unless passed. The sweep makes the same changes set-based, in SQL
    (gridcase/ladder/sweep.py, `_ESCALATE`): a field reset here must be reset there too."""
    levels = ladder()
    case.level = level
    if level_rank(levels, level) > level_rank(levels, case.highest_level):
        case.highest_level = level
    case.extension_days = 0
    case.extension_requested_days = None
    case.extension_requested_by_id = None
    case.assignee = None
    restart_clock(case, now, limit_days, calendar)


def restart_clock(
    case: Case, now: datetime, limit_days: int | None = None, calendar: WorkCalendar | None = None
) -> None:
    """A fresh clock at the current level from `now` (after a reopen, or entering a level): the
    level's time limit (the category's or the configured one), or `limit_days` when a hand-down
    sets its own deadline."""
    case.level_started_at = now
    case.overdue_at = None
    calendar = calendar or load_calendar()
    if limit_days is None:
        case.warn_at, case.due_at = clock_for_level(
            case.level, now, case.category.time_limits, case.extension_days, calendar
        )
    else:
        case.warn_at, case.due_at = level_clock(
            now, limit_days, case.extension_days, calendar, float(setting("GRIDCASE_WARNING_FRACTION"))
        )


# --- one function per action: change the case, return the event payload ---------------------


def _accept(case, user, actor, payload, now):
    case.accepted_at = case.accepted_at or now
    case.assignee = case.assignee or user
    return {"note": payload.get("note", "")}


def _assign(case, user, actor, payload, now):
    assignee = db.session.get(User, payload["assignee_id"])
    if assignee is None or not assignee.active or not _may_be_assigned(assignee, case):
        raise Unprocessable(
            "The assignee must be an active grid worker of the case's grid or a handler of its level.",
            {"assignee_id": ["Not someone who can take this case."]},
        )
    case.assignee = assignee
    notify_user(assignee.id, case, Kind.ASSIGNED, f"{case.public_number} 已分派给您：{case.title}", now)
    return {"assignee_id": assignee.id, "assignee": assignee.display_name, "note": payload.get("note", "")}


def _may_be_assigned(assignee: User, case: Case) -> bool:
    if not covers(assignee, case):
        return False
    return assignee.role in (Role.GRID_WORKER, HANDLER_ROLE_OF_LEVEL.get(case.level))


def _note(case, user, actor, payload, now):
    return {"text": payload["text"]}


def _mediate(case, user, actor, payload, now):
    event = {"session": payload["session"]}
    if payload.get("agreement"):  # 调解协议书: a record of its own, numbered by the committee
        record = record_agreement(case, user, payload["agreement"], now)
        event["agreement"] = {
            **payload["agreement"],
            "agreement_id": record.id,
            "number": f"{record.committee_name}{record.number}",
        }
    return event


def _resolve(case, user, actor, payload, now):
    unit_event = None
    if actor.assignment is not None:  # the lead unit resolves (办结)
        unit_event = take_step(case, user, UnitStep.RESOLVE, payload, now)
    else:  # the centre settles it itself
        case.assignee = case.assignee or user  # (a unit's person is never the case's handler)
    # Whoever resolves, the units still at it are withdrawn: assisting units that have not
    # answered by the lead's resolution, or every unit when the centre settles it itself.
    withdraw_open(case, now, "主办单位已办结" if unit_event else "已由中心直接化解")
    case.accepted_at = case.accepted_at or now
    case.resolved_at = now
    case.resolved_level = case.level
    await_verification(case, user, now, by_unit=unit_event is not None)
    case.resolved_on_time = now <= case.due_at
    case.resolution_outcome = Outcome(payload["outcome"]).value
    case.resolution_summary = payload.get("summary", "")
    event = {
        "outcome": case.resolution_outcome,
        "summary": case.resolution_summary,
        "on_time": case.resolved_on_time,
    }
    return {**event, **({"by_unit": unit_event} if unit_event else {})}


def _reopen_to_handling(case: Case, now: datetime) -> None:
    case.reopen_count += 1
    case.resolved_at = case.closed_at = None
    case.resolved_level = case.resolution_outcome = case.resolution_summary = None
    case.resolved_on_time = None
    case.revisited_at = None  # the next resolution has its own 回访 (its last answer stays)
    clear_verification(case)
    restart_clock(case, now)


def _verify(case, user, actor, payload, now):
    rework_unit = None
    if payload["passed"]:
        case.closed_at = now
    else:
        rework_unit = send_back_for_rework(case, payload.get("note", ""), now)
        _reopen_to_handling(case, now)
        notify_level(
            case,
            case.level,
            Kind.VERIFICATION_FAILED,
            f"{case.public_number} 核查未通过，请重新办理"
            + (f"：{note}" if (note := payload.get("note", "").strip()) else "。"),
            now,
        )
    event = {"passed": payload["passed"], "note": payload.get("note", "")}
    return {**event, "rework_unit": rework_unit} if rework_unit else event


def _revisit(case, user, actor, payload, now):
    method = payload.get("method") or RevisitMethod.PHONE
    record_revisit(case, Satisfaction(payload["satisfaction"]), RevisitMethod(method), now)
    return {"satisfaction": payload["satisfaction"], "method": str(method), "note": payload.get("note", "")}


def record_revisit(case: Case, satisfaction: Satisfaction, method: RevisitMethod, now: datetime) -> Status:
    """Record a revisit's answer (by the centre's staff, a hotline, or the person themselves
    with a code) and return the case's status after it: dissatisfied sends the case back to its
    level (已重新办理)."""
    after = transition(Action.REVISIT, case_state(case), {"satisfaction": satisfaction}).status
    case.satisfaction = satisfaction.value
    case.revisited_at = now
    case.revisit_method = method.value
    if after is Status.IN_PROGRESS:
        _reopen_to_handling(case, now)
        notify_level(case, case.level, Kind.REOPENED, f"{case.public_number} 回访不满意，已重新办理", now)
    return after


def _reopen(case, user, actor, payload, now):
    _reopen_to_handling(case, now)
    notify_level(
        case, case.level, Kind.REOPENED, f"{case.public_number} 已重新办理：{payload['reason']}", now
    )
    return {"reason": payload["reason"]}


def _escalate(case, user, actor, payload, now):
    previous = case.level
    target = transition(Action.ESCALATE, case_state(case)).level
    enter_level(case, target, now)
    case.escalation_count += 1
    notify_level(case, target, Kind.ESCALATED, f"{case.public_number} 上报至本级：{payload['reason']}", now)
    message = f"{case.public_number} 已上报至{RegionLevel(target).zh}：{case.title}"
    notify_level(case, previous, Kind.ESCALATED_AWAY, message, now, except_user_id=user.id)
    return {"reason": payload["reason"], "automatic": False}


def _take_over(case, user, actor, payload, now):
    previous = case.level
    target = take_over_level(actor, ladder())
    enter_level(case, target, now)
    case.escalation_count += 1
    case.assignee = user
    notify_level(case, previous, Kind.TAKEN_OVER, f"{case.public_number} 已由上级提级办理", now)
    return {"reason": payload.get("reason", ""), "to_level": target}


def _hand_down(case, user, actor, payload, now):
    state = case_state(case)
    target = payload.get("to_level") or transition(Action.HAND_DOWN, state).level
    problem = hand_down_problem(state, target)
    if problem:
        raise Unprocessable(problem, {"to_level": [problem]})
    enter_level(case, target, now, limit_days=payload.get("due_days"))
    notify_level(case, target, Kind.HANDED_DOWN, f"{case.public_number} 交办：{payload['instruction']}", now)
    return {"to_level": target, "instruction": payload["instruction"], "due_at": case.due_at.isoformat()}


def _reject(case, user, actor, payload, now):
    return {"reason": payload["reason"]}


def _supervise(case, user, actor, payload, now):
    case.supervised_at = case.supervised_at or now
    return issue_supervision(case, user, payload, now)


def _reply_supervision(case, user, actor, payload, now):
    return reply_to_supervision(case, user, payload, now)


def _evaluate_supervision(case, user, actor, payload, now):
    return evaluate_supervision(case, user, payload, now)


def _request_extension(case, user, actor, payload, now):
    case.extension_requested_days = payload["days"]
    case.extension_requested_by_id = user.id
    levels = ladder()
    above = levels[min(level_rank(levels, case.level) + 1, len(levels) - 1)]
    notify_level(
        case,
        above,
        Kind.EXTENSION_REQUESTED,
        f"{case.public_number} 申请延期 {payload['days']} 个工作日：{payload['reason']}",
        now,
    )
    return {"days": payload["days"], "reason": payload["reason"]}


def _decide_extension(case, user, actor, payload, now):
    days, requester = case.extension_requested_days, case.extension_requested_by_id
    case.extension_requested_days = None
    case.extension_requested_by_id = None
    if payload["approved"]:
        case.extension_days += days
        case.overdue_at = None
        case.warn_at, case.due_at = clock_for_level(
            case.level, case.level_started_at, case.category.time_limits, case.extension_days
        )
    if requester:
        verdict = "已批准" if payload["approved"] else "未批准"
        notify_user(requester, case, Kind.EXTENSION_DECIDED, f"{case.public_number} 延期申请{verdict}", now)
    return {
        "approved": payload["approved"],
        "days": days,
        "note": payload.get("note", ""),
        "due_at": case.due_at.isoformat(),
    }


def _mark_duplicate(case, user, actor, payload, now):
    try:
        original = find_case(user, payload["original"])
    except NotFound:
        # The case being worked on exists; only the number typed for the original is wrong: a
        # field to correct, not a page that is gone.
        problem = Message("No case %(number)s in your scope.", number=str(payload["original"]))
        raise Unprocessable(problem, {"original": [problem]}) from None
    if original.id == case.id or original.duplicate_of_id is not None:
        raise Unprocessable(
            Message("The original must be another case that is not itself a duplicate."),
            {"original": [Message("Choose the first case of this matter.")]},
        )
    case.closed_at = now
    case.duplicate_of_id = original.id
    return {"original_id": original.id, "original": original.public_number}


def _dispatch(case, user, actor, payload, now):
    return dispatch(case, user, case.level, payload, now)


def _unit_step(step: UnitStep):
    def apply(case, user, actor, payload, now):
        return take_step(case, user, step, payload, now)

    return apply


_APPLY: dict[Action, Callable[[Case, User, ActorState, dict, datetime], dict]] = {
    Action.ACCEPT: _accept,
    Action.ASSIGN: _assign,
    Action.NOTE: _note,
    Action.MEDIATE: _mediate,
    Action.RESOLVE: _resolve,
    Action.VERIFY: _verify,
    Action.REVISIT: _revisit,
    Action.REOPEN: _reopen,
    Action.ESCALATE: _escalate,
    Action.TAKE_OVER: _take_over,
    Action.HAND_DOWN: _hand_down,
    Action.REJECT: _reject,
    Action.SUPERVISE: _supervise,
    Action.REPLY_SUPERVISION: _reply_supervision,
    Action.EVALUATE_SUPERVISION: _evaluate_supervision,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.DECIDE_EXTENSION: _decide_extension,
    Action.MARK_DUPLICATE: _mark_duplicate,
    Action.DISPATCH: _dispatch,
    Action.SIGN: _unit_step(UnitStep.SIGN),
    Action.RETURN: _unit_step(UnitStep.RETURN),
    Action.OPINION: _unit_step(UnitStep.OPINION),
    Action.PROGRESS: _unit_step(UnitStep.PROGRESS),
}
