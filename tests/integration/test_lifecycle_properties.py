"""Property-based: random sequences of actions by random people, with sweeps between them,
on real cases in PostGIS. Whatever happens, the case stays in a defined state, every accepted
action leaves exactly one event (a refused one leaves none), the level moves only as the
rules say, and the chain verifies."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridcase.cases.domain import Status
from gridcase.cases.events import verify_chain
from gridcase.cases.intake import create_case
from gridcase.cases.lifecycle import Action
from gridcase.cases.models import CaseEvent
from gridcase.cases.operations import perform_action
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.jobs import archive_case_files
from gridcase.ladder.sweep import sweep
from gridcase.settings import utcnow
from tests.helpers import CITY, FENGQIAO, case_payload, grid_in

LADDER = ["community", "township", "city"]
PAYLOADS = {
    Action.ACCEPT: {},
    Action.ASSIGN: None,  # filled with the worker's id
    Action.NOTE: {"text": "补充"},
    Action.MEDIATE: {"session": {"held_at": "2026-11-20T09:30:00+08:00", "summary": "调解"}},
    Action.RESOLVE: {"outcome": "mediated"},
    Action.VERIFY: {"passed": True},
    Action.REVISIT: {"satisfaction": "dissatisfied"},
    Action.REOPEN: {"reason": "复发"},
    Action.ESCALATE: {"reason": "需上级协调"},
    Action.TAKE_OVER: {"reason": "提级"},
    Action.HAND_DOWN: {"instruction": "交办"},
    Action.REJECT: {"reason": "不予受理"},
    Action.SUPERVISE: {"note": "督办"},
    Action.REQUEST_EXTENSION: {"days": 3, "reason": "需鉴定"},
    Action.DECIDE_EXTENSION: {"approved": True},
    Action.MARK_DUPLICATE: None,  # filled with another case
    Action.DISPATCH: None,  # filled with the kind's unit
    Action.SIGN: {},
    Action.RETURN: {"reason": "not_our_duty", "note": "非本所职责"},
    Action.OPINION: {"text": "协办意见"},
    Action.PROGRESS: {"text": "进展"},
    Action.REPLY_SUPERVISION: {"text": "已按督办要求落实"},
    Action.EVALUATE_SUPERVISION: None,  # accepted or not, by the variant
}
step = st.one_of(
    st.tuples(st.just("act"), st.sampled_from(list(Action)), st.integers(0, 4), st.booleans()),
    st.tuples(st.just("sweep"), st.integers(1, 40), st.just(0), st.just(False)),
)


# The unit a case of each kind is dispatched to (its township's default for the category).
UNITS = {"dispute": f"{FENGQIAO}-sfs", "incident": f"{FENGQIAO}-slz"}


@pytest.fixture
def cast(make_user, worker):
    """The people who act: worker, mediator, township, city, and (index 4) the case's unit's
    handler."""
    grid = grid_in(FENGQIAO)
    people = [
        worker,
        make_user("community_mediator", grid.community_code),
        make_user("township_coordinator", FENGQIAO),
        make_user("city_commander", CITY),
    ]
    units = {kind: make_user("unit_handler", None, unit_code=code) for kind, code in UNITS.items()}
    return people, units


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["incident", "dispute"]), steps=st.lists(step, min_size=1, max_size=25))
def test_random_action_sequences_keep_every_invariant(cast, kind, steps):
    savepoint = db.session.begin_nested()
    try:
        _run(cast, kind, steps)
    finally:
        savepoint.rollback()


def _run(cast, kind, steps):
    people, units = cast
    cast = [*people, units[kind]]
    worker = cast[0]
    category = "D02" if kind == "dispute" else "E0105"
    clock = utcnow() - timedelta(days=60)
    case = create_case(worker, case_payload(worker.scope_code, kind=kind, category=category), now=clock).case
    other = create_case(worker, case_payload(worker.scope_code, kind=kind, category=category), now=clock).case
    archived = 0  # entries beside the case's course (the case file archived) leave its version be
    for what, action, who, variant in steps:
        before = (case.status, case.level, _event_count(case))
        if what == "sweep":
            clock += timedelta(days=action)
            # the scheduler's minute: the sweep, then the case-file job
            report, files = sweep(clock), archive_case_files(clock).archived
            moved = [n for n, *_ in report.escalated if n == case.public_number]
            events_added = _event_count(case) - before[2]
            # their own entries: a move up or the mark at the top, and a closed dispute's case
            # file archived (卷宗归档)
            expected = 1 if moved or case.public_number in report.marked_overdue else 0
            archived += case.public_number in files
            assert events_added == expected + (case.public_number in files)
            if moved:
                assert LADDER.index(case.level) == LADDER.index(before[1]) + 1
            continue
        clock += timedelta(minutes=5)
        payload = PAYLOADS[action]
        if action is Action.ASSIGN:
            payload = {"assignee_id": worker.id}
        elif action is Action.MARK_DUPLICATE:
            payload = {"original": str(other.id)}
        elif action is Action.VERIFY:
            payload = {"passed": variant}
        elif action is Action.EVALUATE_SUPERVISION:
            payload = {"accepted": variant, "note": "" if variant else "仍未落实"}
        elif action is Action.DISPATCH:
            payload = {"lead_unit": UNITS[kind], "requirement": "请核实处置"}
        try:
            perform_action(cast[who], case.id, action, case.version, payload, now=clock)
        except GridcaseError:
            assert (case.status, case.level, _event_count(case)) == before  # refused: nothing changed
            continue
        assert _event_count(case) == before[2] + 1
        rank_before, rank_after = LADDER.index(before[1]), LADDER.index(case.level)
        if action in (Action.ESCALATE, Action.TAKE_OVER):
            assert rank_after > rank_before
        elif action is Action.HAND_DOWN:
            assert rank_after < rank_before
        else:
            assert rank_after == rank_before
        assert Status(case.status) in Status
    assert case.version == _event_count(case) - archived
    assert verify_chain(case.id) == (1, [])


def _event_count(case) -> int:
    db.session.flush()
    return db.session.scalar(sa.select(sa.func.count()).where(CaseEvent.case_id == case.id))
