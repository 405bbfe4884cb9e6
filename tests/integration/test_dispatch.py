"""Dispatch to units (条块联动): a wage-arrears dispute from the grid to 人力社保所 and back,
each step with its due times, lights, timeline and the hash chain."""

import pytest
import sqlalchemy as sa

from gridcase.cases.events import verify_chain
from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.cases.queries import case_events, find_case
from gridcase.errors import NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.ladder.clock import load_calendar
from gridcase.ladder.limits import Light
from gridcase.notifications.models import Notification
from gridcase.units.assignments import case_assignments
from gridcase.units.lifecycle import assignment_clock, assignment_light
from tests.helpers import CITY, FENGQIAO, case_payload, grid_in, in_december

RLSBS, SFS, PCS = f"{FENGQIAO}-rlsbs", f"{FENGQIAO}-sfs", f"{FENGQIAO}-pcs"


at = in_december


@pytest.fixture
def people(make_user):
    grid = grid_in(FENGQIAO).code
    return {
        "worker": make_user("grid_worker", grid),
        "centre": make_user("township_coordinator", FENGQIAO),
        "rlsbs": make_user("unit_handler", None, unit_code=RLSBS),
        "rlsbs_head": make_user("unit_head", None, unit_code=RLSBS),
        "sfs": make_user("unit_handler", None, unit_code=SFS),
        "police": make_user("unit_handler", None, unit_code=PCS),
    }


def wage_arrears(worker):
    body = case_payload(
        worker.scope_code,
        kind="dispute",
        category="D1001",
        title="某工地拖欠12名农民工工资",
        people_involved=12,
    )
    return create_case(worker, body, now=at(7, 9)).case


def act(user, case, action, now, **payload):
    version = db.session.scalar(sa.select(type(case).version).where(type(case).id == case.id))
    return perform_action(user, case.id, action, version, payload, now=now)


def assignments(case):
    return [(a.unit_code, a.role, a.status) for a in case_assignments(case.id)]


def inbox_kinds(user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)))


def test_a_wage_arrears_dispute_goes_to_the_labour_office_and_comes_back_closed(people):
    case = wage_arrears(people["worker"])
    assert case.level == "township"

    act(
        people["centre"],
        case,
        "dispatch",
        at(7),
        lead_unit=RLSBS,
        assist_units=[SFS],
        requirement="核实欠薪人数与金额",
    )
    assert case.status == "in_progress"
    lead, assist = case_assignments(case.id)
    assert (lead.unit_code, lead.role, assist.unit_code, assist.role) == (RLSBS, "lead", SFS, "assist")
    # 人力社保所: sign within 1 working day, finish within 15 (geodata/units.md), from the dispatch.
    assert lead.sign_due_at == at(8) and lead.finish_due_at == at(28)
    assert assignment_light(at(7, 11), lead.status, lead) is Light.GREEN
    assert "dispatched" in inbox_kinds(people["rlsbs"]) and "dispatched" in inbox_kinds(people["sfs"])

    # The labour office returns it once: back in the centre's queue, with the reason.
    act(people["rlsbs"], case, "return", at(7, 15), reason="information_missing", note="未写明用工单位名称")
    assert assignments(case) == [(RLSBS, "lead", "returned"), (SFS, "assist", "pending")]
    assert "returned" in inbox_kinds(people["centre"])
    with pytest.raises(NotFound):
        find_case(people["rlsbs"], case.id)  # the unit no longer holds it

    # Dispatched again with a note: the assisting office's open assignment is renewed.
    act(
        people["centre"],
        case,
        "dispatch",
        at(8),
        lead_unit=RLSBS,
        assist_units=[SFS],
        requirement="用工单位：某建筑公司；请核实欠薪并督促支付",
    )
    assert assignments(case)[1:] == [
        (SFS, "assist", "withdrawn"),
        (RLSBS, "lead", "pending"),
        (SFS, "assist", "pending"),
    ]
    lead = case_assignments(case.id)[2]
    assert lead.sign_due_at == at(9) and lead.finish_due_at == at(29)  # a fresh clock from (8)
    act(people["rlsbs"], case, "sign", at(8, 11))
    assert assignment_light(at(8, 11), lead.status, lead) is Light.GREEN
    act(people["sfs"], case, "sign", at(8, 14))
    act(people["sfs"], case, "opinion", at(9), text="建议先行调解，调解不成引导劳动仲裁")
    act(people["rlsbs"], case, "progress", at(10), text="已约谈用工单位，承诺月底前支付")
    act(
        people["rlsbs"],
        case,
        "resolve",
        at(14),
        outcome="agreement_signed",
        summary="签订支付协议，已支付首期",
    )
    assert case.status == "resolved"
    assert lead.done_at == at(14) <= lead.finish_due_at  # finished on time
    assert assignment_light(at(14), lead.status, lead) is None  # done: no light any more
    assert case.assignee_id != people["rlsbs"].id  # a unit's officer never becomes the handler
    assert "unit_resolved" in inbox_kinds(people["centre"])
    act(people["centre"], case, "verify", at(15), passed=True, note="电话回访工人确认")
    assert case.status == "closed"
    assert assignments(case)[2:] == [(RLSBS, "lead", "done"), (SFS, "assist", "done")]

    timeline = [e.action for e in case_events(case)]
    assert timeline == [
        "create",
        "dispatch",
        "return",
        "dispatch",
        "sign",
        "sign",
        "opinion",
        "progress",
        "resolve",
        "verify",
    ]
    assert verify_chain(case.id) == (1, [])


def test_a_failed_verification_sends_the_lead_unit_back_to_work_on_a_fresh_clock(people):
    case = wage_arrears(people["worker"])
    act(people["centre"], case, "dispatch", at(7), lead_unit=RLSBS, requirement="核实")
    act(people["rlsbs"], case, "sign", at(7, 11))
    act(people["rlsbs"], case, "resolve", at(8), outcome="mediated", summary="已调解")
    act(people["centre"], case, "verify", at(9), passed=False, note="工人反映未收到工资")
    (lead,) = case_assignments(case.id)
    assert (lead.status, lead.rework_count, case.status) == ("signed", 1, "in_progress")
    assert lead.started_at == at(9) and lead.finish_due_at == at(30)  # 15 working days from the rework
    assert "rework" in inbox_kinds(people["rlsbs"])


def test_a_reopened_case_the_centre_settles_itself_is_not_the_units_work(people, make_user):
    """After the unit's accepted resolution the case is reopened; the centre resolves it itself:
    it is verified by someone other than its resolver, and a failed verification leaves the unit's
    old assignment done, with no rework charged."""
    city = make_user("city_commander", CITY)
    case = wage_arrears(people["worker"])
    act(people["centre"], case, "dispatch", at(7), lead_unit=RLSBS, requirement="核实")
    act(people["rlsbs"], case, "sign", at(7, 11))
    act(people["rlsbs"], case, "resolve", at(8), outcome="mediated", summary="已调解")
    act(people["centre"], case, "verify", at(9), passed=True)
    act(people["centre"], case, "revisit", at(10), satisfaction="dissatisfied")
    assert case.status == "in_progress"
    act(people["centre"], case, "resolve", at(11), outcome="explained", summary="已向工人解释")
    with pytest.raises(Unprocessable, match="other than who resolved"):
        act(people["centre"], case, "verify", at(11, 14), passed=True)
    act(city, case, "verify", at(14), passed=False, note="工人仍有异议")
    (lead,) = case_assignments(case.id)
    assert (lead.status, lead.rework_count) == ("done", 0)


def test_a_lead_resolution_or_a_closed_case_withdraws_the_units_still_at_it(people, make_user):
    case = wage_arrears(people["worker"])
    act(people["centre"], case, "dispatch", at(7), lead_unit=RLSBS, assist_units=[SFS], requirement="核实")
    act(people["rlsbs"], case, "sign", at(7, 11))
    act(people["rlsbs"], case, "resolve", at(8), outcome="mediated", summary="已调解")
    assert assignments(case) == [(RLSBS, "lead", "done"), (SFS, "assist", "withdrawn")]
    assert "withdrawn" in inbox_kinds(people["sfs"])

    duplicate = wage_arrears(people["worker"])
    act(people["centre"], duplicate, "dispatch", at(7), lead_unit=RLSBS, requirement="核实")
    act(people["centre"], duplicate, "mark_duplicate", at(7, 12), original=case.public_number)
    assert assignments(duplicate) == [(RLSBS, "lead", "withdrawn")]  # no clock left running


def test_only_the_right_people_take_each_step(people):
    case = wage_arrears(people["worker"])
    with pytest.raises(Unprocessable, match="Only the township level"):
        act(people["worker"], case, "dispatch", at(7), lead_unit=RLSBS, requirement="x")
    with pytest.raises(Unprocessable, match="active units serving its township"):
        act(
            people["centre"],
            case,
            "dispatch",
            at(7),
            lead_unit=f"{grid_in(FENGQIAO).community_code}-x",
            requirement="x",
        )
    act(people["centre"], case, "dispatch", at(7), lead_unit=RLSBS, assist_units=[SFS], requirement="核实")
    with pytest.raises(NotFound):
        act(people["police"], case, "sign", at(7, 11))  # not their unit's case
    with pytest.raises(Unprocessable, match="signs for the case first"):
        act(people["rlsbs"], case, "resolve", at(7, 11), outcome="mediated")
    act(people["sfs"], case, "sign", at(7, 11))
    with pytest.raises(Unprocessable, match="Only the lead unit resolves"):
        act(people["sfs"], case, "resolve", at(7, 12), outcome="mediated")
    with pytest.raises(Unprocessable, match="does not take"):
        act(people["centre"], case, "sign", at(7, 12))


def test_the_second_return_tells_the_centre_to_settle_who_handles_it(people):
    case = wage_arrears(people["worker"])
    for day in (7, 8):
        act(people["centre"], case, "dispatch", at(day), lead_unit=RLSBS, requirement="核实")
        act(people["rlsbs"], case, "return", at(day, 11), reason="not_our_duty", note="属劳动监察职责")
    messages = list(
        db.session.scalars(
            sa.select(Notification.message)
            .where(Notification.user_id == people["centre"].id, Notification.kind == "returned")
            .order_by(Notification.id)
        )
    )
    assert "请重新派遣" in messages[0] and "已第二次退回" in messages[1]


def test_the_clock_helpers_agree_with_the_stored_due_times(people):
    case = wage_arrears(people["worker"])
    act(people["centre"], case, "dispatch", at(7), lead_unit=RLSBS, requirement="核实")
    (lead,) = case_assignments(case.id)
    clock = assignment_clock(at(7), 1, 15, load_calendar(), 0.8)
    assert (lead.sign_warn_at, lead.finish_warn_at) == (clock.sign_warn_at, clock.finish_warn_at)


def test_the_api_proposes_the_default_unit_and_shows_each_assignment_with_its_light(api_as, people):
    worker_api, centre_api = api_as(people["worker"]), api_as(people["centre"])
    body = case_payload(
        people["worker"].scope_code, kind="dispute", category="D1001", title="欠薪", severity="significant"
    )
    case = worker_api.post("/api/v1/cases", json=body).json
    seen = centre_api.get(f"/api/v1/cases/{case['id']}").json
    assert seen["proposed_unit"] == {"code": RLSBS, "name": "枫桥镇人力社保所"}
    assert "dispatch" in seen["allowed_actions"] and seen["assignments"] == []
    dispatched = centre_api.post(
        f"/api/v1/cases/{case['id']}/actions",
        json={
            "action": "dispatch",
            "version": seen["version"],
            "lead_unit": RLSBS,
            "requirement": "核实欠薪",
        },
    )
    assert dispatched.status_code == 200, dispatched.json
    unit_view = api_as(people["rlsbs"]).get(f"/api/v1/cases/{case['id']}").json
    (assignment,) = unit_view["assignments"]
    assert (assignment["unit"]["code"], assignment["role"], assignment["status"]) == (
        RLSBS,
        "lead",
        "pending",
    )
    assert assignment["light"] == "green" and assignment["requirement"] == "核实欠薪"
    assert set(unit_view["allowed_actions"]) == {"sign", "return"}
    assert "proposed_unit" not in unit_view
    refused = centre_api.post(
        f"/api/v1/cases/{case['id']}/actions",
        json={"action": "return", "version": unit_view["version"], "reason": "outside_area", "note": "x"},
    )
    assert refused.status_code == 422
    bad_reason = api_as(people["rlsbs"]).post(
        f"/api/v1/cases/{case['id']}/actions",
        json={"action": "return", "version": unit_view["version"], "reason": "busy", "note": "x"},
    )
    assert bad_reason.status_code == 422 and "reason" in bad_reason.json["errors"]


def test_a_late_assignment_turns_red_and_tells_the_units_head_and_the_centre_once(people):
    from gridcase.ladder.sweep import sweep

    case = wage_arrears(people["worker"])
    act(people["centre"], case, "dispatch", at(7), lead_unit=RLSBS, requirement="核实")
    (lead,) = case_assignments(case.id)
    assert sweep(at(8, 9)).assignments_late == []  # due at 10:00
    report = sweep(at(8, 11))
    assert report.assignments_late == [(case.public_number, RLSBS, "sign")]
    assert assignment_light(at(8, 11), lead.status, lead) is Light.RED
    assert inbox_kinds(people["rlsbs_head"]).count("assignment_overdue") == 1
    assert "assignment_overdue" not in inbox_kinds(people["rlsbs"])  # the head is told, not every officer
    assert inbox_kinds(people["centre"]).count("assignment_overdue") == 1
    assert sweep(at(8, 12)).assignments_late == []  # once per clock
    act(people["rlsbs"], case, "sign", at(8, 13))
    db.session.refresh(lead)
    assert lead.sign_overdue_at == at(8, 11) and lead.status == "signed"
    assert assignment_light(at(8, 13), lead.status, lead) is Light.GREEN  # the finishing clock runs on
    assert sweep(at(29)).assignments_late == [(case.public_number, RLSBS, "finish")]
    assert inbox_kinds(people["rlsbs_head"]).count("assignment_overdue") == 2
