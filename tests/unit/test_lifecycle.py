"""The lifecycle rules, exhaustively: every action × status × role × position on the ladder."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridcase.cases.domain import CaseKind, Severity, Status
from gridcase.cases.lifecycle import (
    FROM_STATUSES,
    GRID_WORKER,
    Action,
    ActorState,
    CaseState,
    allowed_actions,
    decide,
    hand_down_problem,
    transition,
)
from gridcase.people.roles import Role

LADDER = ("community", "township", "city")
ROLE_LEVEL = {
    Role.GRID_WORKER: "grid",
    Role.COMMUNITY_MEDIATOR: "community",
    Role.TOWNSHIP_COORDINATOR: "township",
    Role.DISTRICT_COORDINATOR: "district",
    Role.CITY_COMMANDER: "city",
    Role.ADMIN: "city",
    Role.AUDITOR: "city",
    Role.OPEN311_CLIENT: "city",
    Role.UNIT_HANDLER: "township",
    Role.UNIT_HEAD: "township",
    Role.EXTERNAL_MEDIATOR: "city",
}


def case(status=Status.PENDING, level="community", **kwargs) -> CaseState:
    return CaseState(status=status, level=level, ladder=LADDER, **kwargs)


def actor(role: Role, covers: bool = True, reporter: bool = False) -> ActorState:
    return ActorState(role=role, level=ROLE_LEVEL[role], covers_case=covers, is_reporter=reporter)


ALL = list(
    itertools.product(Action, Status, Role, LADDER, [True, False], [CaseKind.INCIDENT, CaseKind.DISPUTE])
)


@pytest.mark.parametrize("combo", [ALL], ids=["all-combinations"])
def test_exhaustive_invariants(combo):
    """Over every action × status × role × level × covering or not × kind: the guards that hold
    for every action."""
    checked = 0
    for action, status, role, level, covers, kind in combo:
        state = case(status, level, kind=kind, resolved_level=level, extension_pending=True)
        who = actor(role, covers)
        reason = decide(action, state, who)
        # Never a silent refusal: a reason in words, or None.
        assert reason is None or (isinstance(reason, str) and reason)
        if status not in FROM_STATUSES[action]:
            assert reason and "cannot take" in reason
        if role in (
            Role.ADMIN,
            Role.AUDITOR,
            Role.OPEN311_CLIENT,
            Role.UNIT_HANDLER,
            Role.UNIT_HEAD,
            Role.EXTERNAL_MEDIATOR,
        ):
            # No case work for them (a unit's people work only through their unit's assignment,
            # an invited mediator only on the case they are invited to).
            assert reason is not None, (action, status, role)
        if not covers:
            assert reason is not None
        if reason is None:
            after = transition(action, state, {"passed": True, "to_level": "city"})
            assert after.status in Status and after.level in LADDER
        checked += 1
    assert checked == len(Action) * len(Status) * len(Role) * len(LADDER) * 2 * 2


@pytest.mark.parametrize(
    ("role", "level", "may"),
    [
        (Role.COMMUNITY_MEDIATOR, "community", True),
        (Role.COMMUNITY_MEDIATOR, "township", False),
        (Role.TOWNSHIP_COORDINATOR, "township", True),
        (Role.TOWNSHIP_COORDINATOR, "community", False),
        (Role.CITY_COMMANDER, "community", True),
        (Role.CITY_COMMANDER, "city", True),
        (Role.GRID_WORKER, "community", False),
    ],
)
def test_the_handling_level_accepts(role, level, may):
    assert (decide(Action.ACCEPT, case(level=level), actor(role)) is None) is may


def test_a_grid_worker_resolves_small_matters_in_their_grid_only():
    worker = actor(Role.GRID_WORKER)
    assert decide(Action.RESOLVE, case(Status.IN_PROGRESS), worker) is None
    assert decide(Action.RESOLVE, case(Status.IN_PROGRESS, severity=Severity.SIGNIFICANT), worker)
    assert decide(Action.RESOLVE, case(Status.IN_PROGRESS, level="township"), worker)
    assert decide(Action.RESOLVE, case(Status.IN_PROGRESS), actor(Role.GRID_WORKER, covers=False))


def test_escalation_climbs_one_level_and_stops_at_the_top():
    mediator = actor(Role.COMMUNITY_MEDIATOR)
    assert transition(Action.ESCALATE, case(Status.IN_PROGRESS)).level == "township"
    assert decide(Action.ESCALATE, case(Status.IN_PROGRESS), mediator) is None
    top = decide(Action.ESCALATE, case(Status.IN_PROGRESS, level="city"), actor(Role.CITY_COMMANDER))
    assert "top of the ladder" in top


def test_a_worker_does_not_escalate_past_the_community():
    # The review's 09b: 上报 on a fresh village case let the worker bypass the village mediator.
    refusal = decide(Action.ESCALATE, case(), actor(Role.GRID_WORKER))
    assert refusal is not None and "severity" in refusal
    assert decide(Action.ESCALATE, case(level="township"), actor(Role.GRID_WORKER))
    assert decide(Action.ESCALATE, case(), actor(Role.COMMUNITY_MEDIATOR)) is None


def test_take_over_is_for_levels_above():
    assert decide(Action.TAKE_OVER, case(), actor(Role.TOWNSHIP_COORDINATOR)) is None
    assert decide(Action.TAKE_OVER, case(), actor(Role.CITY_COMMANDER)) is None
    assert decide(Action.TAKE_OVER, case(level="township"), actor(Role.TOWNSHIP_COORDINATOR))
    assert decide(Action.TAKE_OVER, case(level="city"), actor(Role.CITY_COMMANDER))
    assert transition(Action.TAKE_OVER, case(), {"to_level": "city"}).level == "city"


def test_the_city_takes_a_lower_case_over_and_is_not_offered_to_escalate_it():
    # The review's city log: 上报 and 提级办理 side by side on a township case.
    township_case = case(level="township")
    assert decide(Action.ESCALATE, township_case, actor(Role.CITY_COMMANDER)) is not None
    assert decide(Action.TAKE_OVER, township_case, actor(Role.CITY_COMMANDER)) is None
    assert decide(Action.ESCALATE, township_case, actor(Role.TOWNSHIP_COORDINATOR)) is None


def test_hand_down_goes_down_only():
    township_case = case(Status.IN_PROGRESS, level="township")
    assert decide(Action.HAND_DOWN, township_case, actor(Role.TOWNSHIP_COORDINATOR)) is None
    assert transition(Action.HAND_DOWN, township_case).level == "community"
    assert hand_down_problem(township_case, "city")
    assert hand_down_problem(township_case, "grid")
    assert hand_down_problem(township_case, "community") is None
    assert "lowest" in decide(Action.HAND_DOWN, case(Status.IN_PROGRESS), actor(Role.COMMUNITY_MEDIATOR))


def test_verification_is_by_the_named_verifier_a_colleague_or_above_never_the_resolver():
    community = case(Status.RESOLVED, resolved_level="community", verifier=GRID_WORKER)
    assert decide(Action.VERIFY, community, actor(Role.GRID_WORKER)) is None  # on the spot
    assert decide(Action.VERIFY, community, actor(Role.GRID_WORKER, covers=False))  # another grid
    assert decide(Action.VERIFY, community, actor(Role.COMMUNITY_MEDIATOR)) is None  # a colleague
    assert decide(Action.VERIFY, community, actor(Role.TOWNSHIP_COORDINATOR)) is None  # above
    assert decide(Action.VERIFY, community, actor(Role.CITY_COMMANDER)) is None
    own = ActorState(Role.COMMUNITY_MEDIATOR, "community", covers_case=True, resolved_it=True)
    assert "other than who resolved" in decide(Action.VERIFY, community, own)
    worker_on_spot = ActorState(Role.GRID_WORKER, "grid", covers_case=True, resolved_it=True)
    assert decide(Action.VERIFY, community, worker_on_spot)  # the worker's own 就地化解
    township = case(Status.RESOLVED, level="township", resolved_level="township", verifier="township")
    assert decide(Action.VERIFY, township, actor(Role.TOWNSHIP_COORDINATOR)) is None
    assert decide(Action.VERIFY, township, actor(Role.COMMUNITY_MEDIATOR))  # below: never
    assert decide(Action.VERIFY, township, actor(Role.GRID_WORKER))  # the rule names the township
    at_city = case(Status.RESOLVED, level="city", resolved_level="city", verifier="city")
    assert decide(Action.VERIFY, at_city, actor(Role.CITY_COMMANDER)) is None
    assert transition(Action.VERIFY, community, {"passed": True}).status is Status.CLOSED
    assert transition(Action.VERIFY, community, {"passed": False}).status is Status.IN_PROGRESS


def test_whoever_handled_a_case_does_not_revisit_it():
    closed = case(Status.CLOSED, resolved_level="community")
    handler = ActorState(Role.COMMUNITY_MEDIATOR, "community", covers_case=True, is_assignee=True)
    resolver = ActorState(Role.COMMUNITY_MEDIATOR, "community", covers_case=True, resolved_it=True)
    assert "other than who handled" in decide(Action.REVISIT, closed, handler)
    assert "other than who handled" in decide(Action.REVISIT, closed, resolver)
    assert decide(Action.REVISIT, closed, actor(Role.COMMUNITY_MEDIATOR)) is None  # a colleague
    assert decide(Action.REVISIT, closed, actor(Role.TOWNSHIP_COORDINATOR)) is None


def test_a_resolution_has_one_revisit():
    revisited = case(Status.CLOSED, resolved_level="community", revisited=True)
    assert "has had its revisit" in decide(Action.REVISIT, revisited, actor(Role.TOWNSHIP_COORDINATOR))
    assert Action.REVISIT not in allowed_actions(revisited, actor(Role.TOWNSHIP_COORDINATOR))


def test_dissatisfied_revisits_reopen():
    closed = case(Status.CLOSED)
    assert transition(Action.REVISIT, closed, {"satisfaction": "dissatisfied"}).status is Status.IN_PROGRESS
    assert transition(Action.REVISIT, closed, {"satisfaction": "satisfied"}).status is Status.CLOSED


def test_extensions_are_asked_below_and_decided_above():
    waiting = case(Status.IN_PROGRESS, extension_pending=True)
    assert "already waiting" in decide(Action.REQUEST_EXTENSION, waiting, actor(Role.COMMUNITY_MEDIATOR))
    assert decide(Action.REQUEST_EXTENSION, case(Status.IN_PROGRESS), actor(Role.COMMUNITY_MEDIATOR)) is None
    assert decide(Action.DECIDE_EXTENSION, waiting, actor(Role.COMMUNITY_MEDIATOR))
    assert decide(Action.DECIDE_EXTENSION, waiting, actor(Role.TOWNSHIP_COORDINATOR)) is None
    assert "no extension request" in decide(
        Action.DECIDE_EXTENSION, case(Status.IN_PROGRESS), actor(Role.CITY_COMMANDER)
    )


def test_only_the_city_supervises():
    assert decide(Action.SUPERVISE, case(), actor(Role.CITY_COMMANDER)) is None
    assert decide(Action.SUPERVISE, case(), actor(Role.TOWNSHIP_COORDINATOR))


def test_mediation_is_for_disputes():
    mediator = actor(Role.COMMUNITY_MEDIATOR)
    assert decide(Action.MEDIATE, case(Status.IN_PROGRESS, kind=CaseKind.DISPUTE), mediator) is None
    assert "disputes only" in decide(Action.MEDIATE, case(Status.IN_PROGRESS), mediator)


def test_reporters_outside_scope_may_still_add_notes():
    outsider_reporter = actor(Role.GRID_WORKER, covers=False, reporter=True)
    assert decide(Action.NOTE, case(), outsider_reporter) is None
    assert decide(Action.ESCALATE, case(), outsider_reporter)


def test_terminal_states():
    rejected = case(Status.REJECTED)
    assert allowed_actions(rejected, actor(Role.CITY_COMMANDER)) == [Action.NOTE]
    assert Action.REOPEN in allowed_actions(case(Status.CLOSED), actor(Role.COMMUNITY_MEDIATOR))


# --- properties: random sequences of allowed actions ----------------------------------------

ACTORS = [
    actor(role)
    for role in (Role.GRID_WORKER, Role.COMMUNITY_MEDIATOR, Role.TOWNSHIP_COORDINATOR, Role.CITY_COMMANDER)
]
PAYLOADS = [
    {"passed": True, "satisfaction": "satisfied"},
    {"passed": False, "satisfaction": "dissatisfied"},
]


@settings(max_examples=300)
@given(
    kind=st.sampled_from(CaseKind),
    severity=st.sampled_from(Severity),
    steps=st.lists(
        st.tuples(st.sampled_from(Action), st.integers(0, len(ACTORS) - 1), st.integers(0, 1)), max_size=40
    ),
)
def test_random_sequences_stay_defined_and_levels_move_by_the_rules(kind, severity, steps):
    state = CaseState(status=Status.PENDING, level="community", ladder=LADDER, kind=kind, severity=severity)
    for action, who, variant in steps:
        person = ACTORS[who]
        if decide(action, state, person) is not None:
            continue
        payload = dict(PAYLOADS[variant])
        if action is Action.TAKE_OVER:
            payload["to_level"] = "city" if person.role is Role.CITY_COMMANDER else person.level
        after = transition(action, state, payload)
        assert after.status in Status
        assert after.level in LADDER
        before_rank, after_rank = LADDER.index(state.level), LADDER.index(after.level)
        if action is Action.ESCALATE:
            assert after_rank == before_rank + 1
        elif action is Action.TAKE_OVER:
            assert after_rank > before_rank
        elif action is Action.HAND_DOWN:
            assert after_rank < before_rank
        else:
            assert after_rank == before_rank, action
        if state.status is Status.REJECTED:
            assert action is Action.NOTE, "a rejected case takes notes only"
        resolved_level = state.level if action is Action.RESOLVE else state.resolved_level
        state = CaseState(
            status=after.status,
            level=after.level,
            ladder=LADDER,
            kind=kind,
            severity=severity,
            resolved_level=resolved_level if after.status in (Status.RESOLVED, Status.CLOSED) else None,
            extension_pending=(action is Action.REQUEST_EXTENSION)
            or (
                state.extension_pending
                and action
                not in (Action.DECIDE_EXTENSION, Action.ESCALATE, Action.TAKE_OVER, Action.HAND_DOWN)
            ),
        )


def test_an_invited_mediator_only_writes_notes_and_only_when_invited():
    invited = ActorState(role=Role.EXTERNAL_MEDIATOR, level="city", covers_case=False, invited=True)
    stranger = ActorState(role=Role.EXTERNAL_MEDIATOR, level="city", covers_case=False)
    for action in Action:
        for status in FROM_STATUSES[action]:
            state = case(status, "community", kind=CaseKind.DISPUTE)
            allowed = decide(action, state, invited) is None
            assert allowed == (action is Action.NOTE), (action, status)
            assert decide(action, state, stranger) is not None


def test_no_extension_is_asked_at_the_top_of_the_ladder():
    # The review's city log: 申请延期 on a city case, with nobody above to decide it.
    assert decide(Action.REQUEST_EXTENSION, case(Status.IN_PROGRESS), actor(Role.COMMUNITY_MEDIATOR)) is None
    refusal = decide(
        Action.REQUEST_EXTENSION, case(Status.IN_PROGRESS, level="city"), actor(Role.CITY_COMMANDER)
    )
    assert refusal is not None and "no level above" in refusal
