"""Assignments of a case to a unit: what a unit may do in each state, the clocks and lights."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridcase.ladder.calendar import WorkCalendar
from gridcase.ladder.limits import Light
from gridcase.units.lifecycle import (
    AssignmentRole,
    AssignmentState,
    AssignmentStatus,
    UnitStep,
    assignment_clock,
    assignment_light,
    on_time,
    step_result,
    unit_step_problem,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEAD, ASSIST = AssignmentRole.LEAD, AssignmentRole.ASSIST
PENDING, SIGNED, DONE = AssignmentStatus.PENDING, AssignmentStatus.SIGNED, AssignmentStatus.DONE
RETURNED, WITHDRAWN = AssignmentStatus.RETURNED, AssignmentStatus.WITHDRAWN


@pytest.mark.parametrize(
    ("step", "role", "status", "allowed"),
    [
        (UnitStep.SIGN, LEAD, PENDING, True),
        (UnitStep.RETURN, ASSIST, PENDING, True),
        (UnitStep.SIGN, LEAD, SIGNED, False),  # signed once
        (UnitStep.RETURN, LEAD, SIGNED, False),  # a signed case is not returned
        (UnitStep.RESOLVE, LEAD, PENDING, False),  # sign first
        (UnitStep.RESOLVE, LEAD, SIGNED, True),
        (UnitStep.RESOLVE, ASSIST, SIGNED, False),  # the lead resolves
        (UnitStep.OPINION, ASSIST, SIGNED, True),
        (UnitStep.OPINION, LEAD, SIGNED, False),
        (UnitStep.PROGRESS, LEAD, SIGNED, True),
        (UnitStep.PROGRESS, ASSIST, SIGNED, True),
        (UnitStep.PROGRESS, LEAD, DONE, False),
        (UnitStep.SIGN, LEAD, RETURNED, False),
        (UnitStep.SIGN, LEAD, WITHDRAWN, False),
    ],
)
def test_what_a_unit_may_do_in_each_state(step, role, status, allowed):
    problem = unit_step_problem(step, AssignmentState(role, status))
    assert (problem is None) is allowed, problem


def test_what_each_step_leaves_the_assignment_in():
    assert step_result(UnitStep.SIGN) is SIGNED
    assert step_result(UnitStep.RETURN) is RETURNED
    assert step_result(UnitStep.RESOLVE) is DONE and step_result(UnitStep.OPINION) is DONE
    assert step_result(UnitStep.PROGRESS) is None


def test_both_clocks_run_from_the_dispatch_on_working_days():
    calendar = WorkCalendar(SHANGHAI)
    friday_ten = datetime(2026, 12, 4, 10, tzinfo=SHANGHAI)
    clock = assignment_clock(friday_ten, sign_days=1, finish_days=5, calendar=calendar, warning_fraction=0.8)
    assert clock.sign_due_at == datetime(2026, 12, 7, 10, tzinfo=SHANGHAI)  # Monday: the weekend stands still
    assert clock.finish_due_at == datetime(2026, 12, 11, 10, tzinfo=SHANGHAI)
    assert clock.sign_warn_at < clock.sign_due_at and clock.finish_warn_at < clock.finish_due_at


def test_the_light_follows_signing_then_finishing_and_a_late_signature_buys_no_time():
    calendar = WorkCalendar(SHANGHAI)
    start = datetime(2026, 12, 7, 9, tzinfo=SHANGHAI)  # Monday
    clock = assignment_clock(start, 1, 5, calendar, 0.8)
    assert assignment_light(start + timedelta(hours=1), PENDING, clock) is Light.GREEN
    assert assignment_light(start + timedelta(hours=20), PENDING, clock) is Light.YELLOW
    assert (
        assignment_light(start + timedelta(days=1, hours=1), PENDING, clock) is Light.RED
    )  # not signed in time
    # Signed on Tuesday, late: green again on the finishing clock, which ran from Monday.
    assert assignment_light(start + timedelta(days=1, hours=1), SIGNED, clock) is Light.GREEN
    assert assignment_light(clock.finish_due_at, SIGNED, clock) is Light.RED
    # Never signed and past the finishing time too: red.
    assert assignment_light(clock.finish_due_at, PENDING, clock) is Light.RED
    for status in (DONE, RETURNED, WITHDRAWN):
        assert assignment_light(clock.finish_due_at, status, clock) is None


def test_on_time_counts_what_came_by_its_due_time():
    due = datetime(2026, 12, 7, 9, tzinfo=SHANGHAI)
    assert on_time(due, due) and on_time(due - timedelta(seconds=1), due)
    assert not on_time(due + timedelta(seconds=1), due) and not on_time(None, due)
