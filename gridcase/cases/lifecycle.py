"""The case lifecycle and who may act: the only place these rules live. Pure: no database.

```
pending ──accept──▶ in_progress ──resolve──▶ resolved ──verify/close──▶ closed
   │                    │   ▲                   │                          │
   └──reject──▶ rejected│   └──────reopen───────┴────────reopen────────────┘
                        └─ escalate / take_over / hand_down change the level, not the status
```

`decide(action, case, actor)` answers whether an actor may take an action on a case in its
current state, with the reason when not; `transition(action, case, payload)` gives the status
and level that follow. Operations (gridcase.cases.operations) call both and do nothing else
to decide.

Who may act (DESIGN §1, §3):
- a handler (community mediator, township/district coordinator) acts on cases at their own
  ladder level inside their scope; the city commander acts on any case in the city;
- the level above a case (or the city) verifies its resolution, decides its extension
  requests and may take it over (提级);
- a grid worker logs, notes, resolves small community-level matters in their grid, and
  escalates what is too big for the community.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from gridcase.cases.domain import DONE_STATUSES, OPEN_STATUSES, CaseKind, Satisfaction, Severity, Status
from gridcase.messages import Message
from gridcase.people.roles import HANDLER_ROLES, UNIT_ROLES, Role
from gridcase.territory.levels import RegionLevel
from gridcase.units.lifecycle import AssignmentState, AssignmentStatus, UnitStep, unit_step_problem
from gridcase.vocabulary import LabelledEnum


class Action(LabelledEnum):
    """What a person may ask to do to a case (POST …/actions)."""

    ACCEPT = "accept", _l("Accept")  # 受理
    ASSIGN = "assign", _l("Assign")  # 分派
    NOTE = "note", _l("Note")  # 备注/补充
    MEDIATE = "mediate", _l("Mediate")  # 调解 (a session; optionally an agreement 调解协议书)
    RESOLVE = "resolve", _l("Resolve")  # 化解/办结
    VERIFY = "verify", _l("Verify")  # 核查
    REVISIT = "revisit", _l("Revisit")  # 回访
    REOPEN = "reopen", _l("Reopen")  # 重新办理
    ESCALATE = "escalate", _l("Escalate")  # 上报
    TAKE_OVER = "take_over", _l("Take over")  # 提级
    HAND_DOWN = "hand_down", _l("Hand down")  # 交办
    REJECT = "reject", _l("Reject")  # 不予受理
    SUPERVISE = "supervise", _l("Supervise")  # 督办
    REQUEST_EXTENSION = "request_extension", _l("Request extension")  # 延期申请
    DECIDE_EXTENSION = "decide_extension", _l("Decide extension")  # 延期审批
    MARK_DUPLICATE = "mark_duplicate", _l("Mark duplicate")  # 重复件
    # 条块联动 (DESIGN §2, "Assignments"): the coordinating level dispatches to units; a unit's
    # people take the steps of their unit's assignment (gridcase.units.lifecycle).
    DISPATCH = "dispatch", _l("Dispatch")  # 派遣
    SIGN = "sign", _l("Sign for")  # 签收
    RETURN = "return", _l("Return")  # 退回
    OPINION = "opinion", _l("Give opinion")  # 协办意见
    PROGRESS = "progress", _l("Report progress")  # 进展反馈
    # 督办单 (DESIGN §2, "Supervision"): the target replies; the city evaluates the reply.
    REPLY_SUPERVISION = "reply_supervision", _l("Reply to supervision")  # 督办回复
    EVALUATE_SUPERVISION = "evaluate_supervision", _l("Evaluate the reply")  # 督办评价


class LoggedAction(LabelledEnum):
    """Entries of the event log that are not requested actions: intake, photos, reveals, and
    what the sweep does by itself."""

    CREATE = "create", _l("Logged")  # 登记
    ATTACH = "attach", _l("Photo added")
    REVEAL = "reveal", _l("Personal data viewed")
    AUTO_ESCALATE = "auto_escalate", _l("Escalated automatically (overdue)")
    MARK_OVERDUE = "mark_overdue", _l("Overdue at the top level: supervised")
    REVISIT_CODE = "revisit_code", _l("Revisit code issued")  # 回访码已发放 (never the code itself)
    PERFORMANCE = "performance", _l("Performance of the agreement recorded")  # 协议履行情况
    CONFIRMATION = "confirmation", _l("Judicial confirmation recorded")  # 司法确认
    SIGNED_ORIGINAL = "signed_original", _l("Signed agreement archived")  # 协议书原件归档
    SESSION = "session", _l("Mediation session recorded")  # 调解笔录 / 调查记录
    INVITE = "invite", _l("Mediator invited")  # 邀请特邀调解员
    UNINVITE = "uninvite", _l("Invitation withdrawn")
    ARCHIVE = "archive", _l("Case file archived")  # 卷宗归档
    EVIDENCE = "evidence", _l("Evidence file added")  # 证据材料 (PDF, recording)
    COURT_REFERRAL = "court_referral", _l("Referred by a court for mediation")  # 法院委派调解
    COURT_REFERRAL_EXTENDED = (
        "court_referral_extended",
        _l("Court referral extended with the parties' consent"),
    )  # 延长调解期限
    COURT_REFERRAL_RESULT = "court_referral_result", _l("Result reported to the court")  # 反馈调解结果


def event_action_label(action: str) -> str:
    """The name of an event log entry's action, whichever enum holds it."""
    for vocabulary in (Action, LoggedAction):
        if action in vocabulary._value2member_map_:
            return vocabulary(action).label
    return action


OPEN = frozenset(OPEN_STATUSES)
DONE = frozenset(DONE_STATUSES)

# The statuses each action may start from.
FROM_STATUSES: dict[Action, frozenset[Status]] = {
    Action.ACCEPT: frozenset({Status.PENDING}),
    Action.ASSIGN: OPEN,
    Action.NOTE: frozenset(Status),
    Action.MEDIATE: frozenset({Status.IN_PROGRESS}),
    Action.RESOLVE: OPEN,
    Action.VERIFY: frozenset({Status.RESOLVED}),
    Action.REVISIT: DONE,
    Action.REOPEN: DONE,
    Action.ESCALATE: OPEN,
    Action.TAKE_OVER: OPEN,
    Action.HAND_DOWN: OPEN,
    Action.REJECT: frozenset({Status.PENDING}),
    Action.SUPERVISE: OPEN,
    Action.REQUEST_EXTENSION: OPEN,
    Action.DECIDE_EXTENSION: OPEN,
    Action.MARK_DUPLICATE: OPEN,
    Action.DISPATCH: OPEN,
    Action.SIGN: frozenset({Status.IN_PROGRESS}),
    Action.RETURN: frozenset({Status.IN_PROGRESS}),
    Action.OPINION: frozenset({Status.IN_PROGRESS}),
    Action.PROGRESS: frozenset({Status.IN_PROGRESS}),
    Action.REPLY_SUPERVISION: OPEN | {Status.RESOLVED},
    Action.EVALUATE_SUPERVISION: OPEN | {Status.RESOLVED},
}

# The actions a unit's people take, each a step of their unit's assignment.
UNIT_ACTIONS = frozenset({Action.SIGN, Action.RETURN, Action.OPINION, Action.PROGRESS, Action.RESOLVE})


@dataclass(frozen=True)
class SupervisionState:
    """An open 督办单: addressed to a level's handlers (or one named person of them), or to a
    unit (its code)."""

    target_level: str | None
    target_unit: str | None
    replied: bool
    target_person: int | None = None  # a user's id


@dataclass(frozen=True)
class CaseState:
    """What the rules need to know of a case."""

    status: Status
    level: str
    ladder: tuple[str, ...]
    kind: CaseKind = CaseKind.INCIDENT
    severity: Severity = Severity.GENERAL
    resolved_level: str | None = None
    extension_pending: bool = False
    # Resolved by the lead unit of a dispatch: the centre that dispatched it verifies.
    resolved_by_unit: bool = False
    # Who the rule (GRIDCASE_VERIFIERS) names to verify its resolution: GRID_WORKER or a level.
    verifier: str | None = None
    # Its open 督办单, if any: whom it is addressed to, and whether they have replied.
    supervision: SupervisionState | None = None
    # Its current resolution has had its 回访 (a new resolution after a reopen has not).
    revisited: bool = False

    @property
    def rank(self) -> int:
        return self.ladder.index(self.level)

    @property
    def at_top(self) -> bool:
        return self.rank == len(self.ladder) - 1

    @property
    def at_bottom(self) -> bool:
        return self.rank == 0


@dataclass(frozen=True)
class ActorState:
    """What the rules need to know of the person acting, relative to the case."""

    role: Role
    level: str  # the level of their scope node: grid, community, township, district, city
    covers_case: bool  # the case's grid lies inside their scope
    is_reporter: bool = False
    # A unit's people: their unit's assignment of the case (open or done), if it holds one.
    assignment: AssignmentState | None = None
    resolved_it: bool = False  # they resolved the case (its current resolution)
    unit_code: str | None = None  # a unit's people: their unit
    is_assignee: bool = False  # the case's handler (承办人)
    user_id: int | None = None
    invited: bool = False  # an invited mediator (特邀调解员) standing invited to the case


@dataclass(frozen=True)
class Transition:
    status: Status
    level: str


def _rank(actor: ActorState, case: CaseState) -> int | None:
    """The actor's position on the case's ladder; None for those not on it."""
    if actor.role is Role.CITY_COMMANDER:
        return len(case.ladder) - 1
    if actor.role in HANDLER_ROLES and actor.level in case.ladder:
        return case.ladder.index(actor.level)
    return None


def handles(actor: ActorState, case: CaseState) -> bool:
    """The actor handles the case where it is now: their level, their scope (or the city)."""
    rank = _rank(actor, case)
    if rank is None or not actor.covers_case:
        return False
    return actor.role is Role.CITY_COMMANDER or rank == case.rank


def above(actor: ActorState, case: CaseState, level: str | None = None) -> bool:
    """The actor stands above `level` (default: the case's level) on the ladder, in scope.
    At the top of the ladder the city stands "above" itself, for verifying and extensions."""
    rank = _rank(actor, case)
    if rank is None or not actor.covers_case:
        return False
    target = case.ladder.index(level) if level else case.rank
    return rank > target or (actor.role is Role.CITY_COMMANDER and target == len(case.ladder) - 1)


def works_on(actor: ActorState) -> bool:
    """A unit's person whose unit has signed for the case: they work on it (adding photos,
    seeing its parties with a reason) until their unit's part is done."""
    return (
        actor.role in UNIT_ROLES
        and actor.assignment is not None
        and actor.assignment.status is AssignmentStatus.SIGNED
    )


# The verifier a rule may name besides a level: a grid worker of the case's grid (核查 on the spot).
GRID_WORKER = "grid_worker"


def verifies(actor: ActorState, case: CaseState) -> bool:
    """The actor may verify the case's resolution (never their own: see `decide`): the verifier
    the rule names (a worker of the grid, or a level's handlers), a colleague at the level that
    resolved it, a level above it, or the city; a lead unit's work, the centre handling it."""
    resolved_level = case.resolved_level or case.level
    if case.resolved_by_unit and handles(actor, case):
        return True
    if case.verifier == GRID_WORKER and _worker_of_the_grid(actor):
        return True
    rank = _rank(actor, case)
    if rank is not None and actor.covers_case:
        named = case.verifier in case.ladder and rank == case.ladder.index(case.verifier)
        if named or rank == case.ladder.index(resolved_level):
            return True
    return above(actor, case, resolved_level)


def _worker_of_the_grid(actor: ActorState) -> bool:
    return actor.role is Role.GRID_WORKER and actor.covers_case


def decide(action: Action | str, case: CaseState, actor: ActorState) -> str | None:
    """None when `actor` may take `action` on `case` now; otherwise the reason, in words."""
    action = Action(action)
    if case.status not in FROM_STATUSES[action]:
        return Message(
            "A case whose status is '%(status)s' cannot take '%(action)s'.",
            status=case.status,
            action=action,
        )
    if action is Action.REPLY_SUPERVISION:
        return _reply_problem(case, actor)
    if actor.role in UNIT_ROLES:
        return _unit_decision(action, actor)
    if actor.role is Role.EXTERNAL_MEDIATOR:
        # An invited mediator writes notes beside their sessions' records on the case they are
        # invited to; the case's course stays with its handlers.
        if not actor.invited:
            return Message("You are not invited to this case.")
        return None if action is Action.NOTE else _no_role(action)
    if action in UNIT_ACTIONS - {Action.RESOLVE}:
        return _no_role(action)
    if not actor.covers_case and not (actor.is_reporter and action is Action.NOTE):
        return Message("The case lies outside your scope.")

    if action is Action.NOTE:
        return None if actor.role in HANDLER_ROLES or actor.role is Role.GRID_WORKER else _no_role(action)

    if action is Action.RESOLVE:
        if handles(actor, case):
            return None
        if _worker_of_the_grid(actor) and case.at_bottom and case.severity is Severity.GENERAL:
            return None  # 就地化解: a small matter the worker settles in their own grid
        return _not_your_level(action, case)

    if action is Action.ESCALATE:
        if case.at_top:
            return Message("The case is at the top of the ladder; it cannot climb further.")
        if actor.role is Role.CITY_COMMANDER and _rank(actor, case) != case.rank:
            # The city acting on a lower level's case takes it over (提级办理); 上报 is the
            # handling level's own step, and offering both would read as two ways to do one thing.
            return Message("The city takes a lower level's case over rather than escalating it.")
        if handles(actor, case):
            return None
        if actor.role is Role.GRID_WORKER:
            # A worker's report (上报) is the case reaching the community; escalating it past the
            # community's mediator is the community's call (the review's 09b). A bigger matter
            # is logged as such: its severity starts it at the township or above.
            return Message(
                "The community escalates a case, not the grid worker: log a bigger matter with "
                "its severity, and it starts at the township or above."
            )
        return _not_your_level(action, case)

    if action is Action.TAKE_OVER:
        return (
            None
            if above(actor, case) and not case.at_top
            else Message("Only a level above the case's current level takes it over.")
        )

    if action is Action.HAND_DOWN:
        if case.at_bottom:
            return Message("The case is already at the lowest level.")
        return None if handles(actor, case) else _not_your_level(action, case)

    if action is Action.VERIFY:
        if actor.resolved_it:
            return Message("Someone other than who resolved a case verifies it.")
        if verifies(actor, case):
            return None
        return Message(
            "A resolution is verified by the one the rule names, the level that resolved it, a "
            "level above, or the city."
        )

    if action is Action.REVISIT:
        if case.revisited:
            return Message("This resolution has had its revisit.")
        if actor.resolved_it or actor.is_assignee:
            return Message("Someone other than who handled the case revisits it.")
        return None if handles(actor, case) or above(actor, case) else _not_your_level(action, case)

    if action is Action.REOPEN:
        return None if handles(actor, case) or above(actor, case) else _not_your_level(action, case)

    if action is Action.SUPERVISE:
        if actor.role is not Role.CITY_COMMANDER:
            return Message("Only the city command centre supervises.")
        if case.supervision is not None:
            return Message("A supervision of this case is open: evaluate its reply first.")
        return None

    if action is Action.EVALUATE_SUPERVISION:
        if actor.role is not Role.CITY_COMMANDER:
            return Message("Only the city command centre evaluates a supervision's reply.")
        if case.supervision is None or not case.supervision.replied:
            return Message("There is no reply to evaluate.")
        return None

    if action is Action.REQUEST_EXTENSION:
        if case.extension_pending:
            return Message("An extension request is already waiting for a decision.")
        if case.at_top:
            # The level above decides an extension; at the top nobody would (the review's city
            # log: 申请延期 offered on a city case). Past its limit there, the case is supervised.
            return Message("At the top of the ladder no level above grants an extension.")
        return None if handles(actor, case) else _not_your_level(action, case)

    if action is Action.DECIDE_EXTENSION:
        if not case.extension_pending:
            return Message("There is no extension request to decide.")
        if above(actor, case):
            return None
        return Message("The level above the case decides its extension requests.")

    if action is Action.MEDIATE and case.kind is not CaseKind.DISPUTE:
        return Message("Mediation is recorded for disputes only.")

    # accept, assign, mediate, reject, mark_duplicate, dispatch: the handling level's own work.
    return None if handles(actor, case) else _not_your_level(action, case)


def _reply_problem(case: CaseState, actor: ActorState) -> str | None:
    """Who replies to the open 督办单: its target — the unit's people of a unit addressed (on
    their assignment), the person named, or else a handler of the level addressed whose scope
    holds the case."""
    supervision = case.supervision
    if supervision is None or supervision.replied:
        return Message("There is no supervision awaiting a reply.")
    if supervision.target_unit is not None:
        if (
            actor.role in UNIT_ROLES
            and actor.assignment is not None
            and actor.unit_code == supervision.target_unit
        ):
            return None
        return Message("The supervision is addressed to a unit: its people reply.")
    if supervision.target_person is not None:
        if actor.user_id == supervision.target_person:
            return None
        return Message("The supervision is addressed to a named person answerable for it: they reply.")
    rank = _rank(actor, case)
    target = supervision.target_level
    if rank is not None and actor.covers_case and target in case.ladder and rank == case.ladder.index(target):
        return None
    return Message("Only the level the supervision is addressed to replies.")


def _unit_decision(action: Action, actor: ActorState) -> str | None:
    if action not in UNIT_ACTIONS:
        return _no_role(action)
    if actor.assignment is None:
        return Message("Your unit holds no assignment of this case.")
    return unit_step_problem(UnitStep(action.value), actor.assignment)


def _not_your_level(action: Action, case: CaseState) -> str:
    return Message(
        "Only the %(level)s level handling this case (or the city) may '%(action)s' it.",
        level=RegionLevel(case.level),
        action=action,
    )


def _no_role(action: Action) -> str:
    return Message("Your role does not take '%(action)s'.", action=action)


def transition(action: Action | str, case: CaseState, payload: dict | None = None) -> Transition:
    """The status and level after an allowed action (call `decide` first)."""
    action = Action(action)
    payload = payload or {}
    status, level = case.status, case.level
    if action in (Action.ACCEPT, Action.DISPATCH):
        status = Status.IN_PROGRESS
    elif action is Action.RESOLVE:
        status = Status.RESOLVED
    elif action is Action.VERIFY:
        status = Status.CLOSED if payload.get("passed") else Status.IN_PROGRESS
    elif action is Action.REVISIT:
        if payload.get("satisfaction") == Satisfaction.DISSATISFIED:
            status = Status.IN_PROGRESS
    elif action is Action.REOPEN:
        status = Status.IN_PROGRESS
    elif action is Action.REJECT:
        status = Status.REJECTED
    elif action is Action.MARK_DUPLICATE:
        status = Status.CLOSED
    elif action is Action.ESCALATE:
        level = case.ladder[case.rank + 1]
    elif action is Action.TAKE_OVER:
        level = payload["to_level"]
    elif action is Action.HAND_DOWN:
        level = payload.get("to_level") or case.ladder[case.rank - 1]
    return Transition(status=status, level=level)


def hand_down_problem(case: CaseState, to_level: str) -> str | None:
    """Why a case cannot be handed down to `to_level`, or None."""
    if to_level not in case.ladder:
        return Message(
            "'%(level)s' is not a level of the ladder (%(levels)s).",
            level=to_level,
            levels=", ".join(case.ladder),
        )
    if case.ladder.index(to_level) >= case.rank:
        return Message("Hand-down goes to a lower level than %(level)s.", level=RegionLevel(case.level))
    return None


def take_over_level(actor: ActorState, ladder: Sequence[str]) -> str:
    """The level a take-over pulls a case up to: the actor's own."""
    return ladder[-1] if actor.role is Role.CITY_COMMANDER else actor.level


def allowed_actions(case: CaseState, actor: ActorState) -> list[Action]:
    """Every action `actor` may take on `case` now (for showing the right buttons)."""
    return [action for action in Action if decide(action, case, actor) is None]
