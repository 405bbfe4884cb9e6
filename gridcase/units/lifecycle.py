"""An assignment of a case to a unit (派遣 to 主办 or 协办): its states, what a unit may do
in each, its clocks and lights (DESIGN §2, "Assignments"). Pure: no database.

```
pending ──sign──▶ signed ──resolve (lead) / opinion (assist)──▶ done
   │                 ▲                                            │
   └──return──▶ returned                 └───────rework (核查 failed, lead)──┘
pending / signed ──(dispatched again)──▶ withdrawn
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from gridcase.ladder.calendar import WorkCalendar
from gridcase.ladder.limits import Light
from gridcase.messages import Message
from gridcase.vocabulary import LabelledEnum


class AssignmentRole(LabelledEnum):
    LEAD = "lead", _l("Lead unit")  # 主办
    ASSIST = "assist", _l("Assisting unit")  # 协办


class AssignmentStatus(LabelledEnum):
    PENDING = "pending", _l("Awaiting signature")  # 待签收
    SIGNED = "signed", _l("Signed for")  # 已签收, 办理中
    DONE = "done", _l("Done")  # 已办结 (lead) / 已反馈 (assist)
    RETURNED = "returned", _l("Returned")  # 已退回
    WITHDRAWN = "withdrawn", _l("Withdrawn")  # 已撤回 (dispatched again)


# The assignments a unit still works on; the only ones a unit's people see a case through are
# these and the done ones (DESIGN §2).
OPEN_ASSIGNMENT_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.SIGNED)
VISIBLE_ASSIGNMENT_STATUSES = (*OPEN_ASSIGNMENT_STATUSES, AssignmentStatus.DONE)


class ReturnReason(LabelledEnum):
    NOT_OUR_DUTY = "not_our_duty", _l("Not our responsibility")  # 非本单位职责
    OUTSIDE_AREA = "outside_area", _l("Outside our area")  # 不属于本辖区
    INFORMATION_MISSING = "information_missing", _l("Information missing")  # 信息不全、诉求不清


class UnitStep(LabelledEnum):
    """What a unit does to its assignment (each is a case action of the same name)."""

    SIGN = "sign", _l("Sign for")  # 签收
    RETURN = "return", _l("Return")  # 退回
    OPINION = "opinion", _l("Give opinion")  # 协办意见
    PROGRESS = "progress", _l("Report progress")  # 进展反馈
    RESOLVE = "resolve", _l("Resolve")  # 办结


# The second return of one case asks the centre to settle who handles it (会商、指定).
RETURNS_BEFORE_ALERT = 2


@dataclass(frozen=True)
class AssignmentState:
    """What the rules need to know of an assignment."""

    role: AssignmentRole
    status: AssignmentStatus


def unit_step_problem(step: UnitStep | str, assignment: AssignmentState) -> str | None:
    """None when the assignment's unit may take `step` now; otherwise the reason, in words."""
    step = UnitStep(step)
    status, role = assignment.status, assignment.role
    if step in (UnitStep.SIGN, UnitStep.RETURN):
        if status is not AssignmentStatus.PENDING:
            return Message("Only a case awaiting your unit's signature is signed for or returned.")
        return None
    if status is not AssignmentStatus.SIGNED:
        return Message("Your unit signs for the case first.")
    if step is UnitStep.OPINION and role is not AssignmentRole.ASSIST:
        return Message("The lead unit resolves the case; assisting units give their opinion.")
    if step is UnitStep.RESOLVE and role is not AssignmentRole.LEAD:
        return Message("Only the lead unit resolves the case.")
    return None


def step_result(step: UnitStep | str) -> AssignmentStatus | None:
    """The assignment's status after an allowed step; None when it stays as it is."""
    return {
        UnitStep.SIGN: AssignmentStatus.SIGNED,
        UnitStep.RETURN: AssignmentStatus.RETURNED,
        UnitStep.OPINION: AssignmentStatus.DONE,
        UnitStep.RESOLVE: AssignmentStatus.DONE,
    }.get(UnitStep(step))


@dataclass(frozen=True)
class AssignmentClock:
    sign_warn_at: datetime
    sign_due_at: datetime
    finish_warn_at: datetime
    finish_due_at: datetime


def assignment_clock(
    start: datetime, sign_days: int, finish_days: int, calendar: WorkCalendar, warning_fraction: float
) -> AssignmentClock:
    """Due times of an assignment dispatched (or sent back for rework) at `start`: both limits
    run from then, in working days; the yellow light at `warning_fraction` of each."""
    return AssignmentClock(
        sign_warn_at=calendar.add_working_days(start, sign_days * warning_fraction),
        sign_due_at=calendar.add_working_days(start, sign_days),
        finish_warn_at=calendar.add_working_days(start, finish_days * warning_fraction),
        finish_due_at=calendar.add_working_days(start, finish_days),
    )


LIGHT_ORDER = (Light.GREEN, Light.YELLOW, Light.RED)


def _light(now: datetime, warn_at: datetime, due_at: datetime) -> Light:
    if now >= due_at:
        return Light.RED
    return Light.YELLOW if now >= warn_at else Light.GREEN


def assignment_light(now: datetime, status: AssignmentStatus | str, clock: AssignmentClock) -> Light | None:
    """The light of an assignment now: on its signing clock while it awaits a signature, on its
    finishing clock while it is worked on, none once done, returned or withdrawn. A signature
    that comes late does not reset the light to green: finishing is due from the dispatch."""
    status = AssignmentStatus(status)
    if status is AssignmentStatus.PENDING:
        signing = _light(now, clock.sign_warn_at, clock.sign_due_at)
        finishing = _light(now, clock.finish_warn_at, clock.finish_due_at)
        return max(signing, finishing, key=LIGHT_ORDER.index)
    if status is AssignmentStatus.SIGNED:
        return _light(now, clock.finish_warn_at, clock.finish_due_at)
    return None


def on_time(done_at: datetime | None, due_at: datetime) -> bool:
    """Signed (or finished) by its due time: the numerator of 签收及时率 and 按期办结率."""
    return done_at is not None and done_at <= due_at
