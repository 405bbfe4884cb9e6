"""Verification that reaches the verifier (核查): the rule names who verifies a resolution by the
level it was resolved at; they are told, find it in their "to verify" view, verify it on its own
clock; the resolver never verifies their own work; a late verification raises an alert."""

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.cases.queries import case_events
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.notifications.models import Notification
from gridcase.stats.models import Alert
from tests.helpers import FENGQIAO, case_payload, in_december
from tests.integration.test_attachments_and_pages import sign_in

RLSBS = f"{FENGQIAO}-rlsbs"


at = in_december


def act(user, case, action, now, **payload):
    return perform_action(user, case.id, action, case.version, payload, now=now)


def told(user, kind="to_verify") -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Notification.case_id).where(Notification.user_id == user.id, Notification.kind == kind)
        )
    )


def to_verify(api_as, user) -> list[str]:
    listed = api_as(user).get("/api/v1/cases?verify=me").json
    return [c["public_number"] for c in listed["items"]]


def test_the_grid_worker_verifies_the_communitys_resolution_on_the_spot(api_as, people):
    case = create_case(people["worker"], case_payload(people["worker"].scope_code), now=at(7)).case
    act(people["mediator"], case, "resolve", at(7, 15), outcome="mediated", summary="已劝导")
    assert case.verify_due_at == at(9, 15)  # two working days on
    assert told(people["worker"]) == [case.id] and told(people["other_worker"]) == []
    assert to_verify(api_as, people["worker"]) == [case.public_number]
    assert to_verify(api_as, people["mediator"]) == [] and to_verify(api_as, people["other_worker"]) == []
    with pytest.raises(Unprocessable, match="other than who resolved"):
        act(people["mediator"], case, "verify", at(8), passed=True)
    act(people["worker"], case, "verify", at(8), passed=True, note="现场查看已清理")
    assert case.status == "closed"
    assert to_verify(api_as, people["worker"]) == []


def test_a_workers_own_resolution_on_the_spot_goes_to_the_community(api_as, people):
    body = case_payload(
        people["worker"].scope_code, resolved_on_spot={"outcome": "mediated", "summary": "当场劝导"}
    )
    case = create_case(people["worker"], body, now=at(7)).case
    assert case.status == "resolved" and case.resolved_by_id == people["worker"].id
    assert told(people["mediator"]) == [case.id] and told(people["worker"]) == []
    assert to_verify(api_as, people["mediator"]) == [case.public_number]
    assert to_verify(api_as, people["worker"]) == []
    with pytest.raises(Unprocessable, match="other than who resolved"):
        act(people["worker"], case, "verify", at(7, 11), passed=True)
    act(people["mediator"], case, "verify", at(7, 14), passed=True)
    assert case.status == "closed"


def test_a_township_resolution_is_verified_by_a_colleague_and_a_units_by_the_centre(api_as, people):
    body = case_payload(people["worker"].scope_code, kind="dispute", category="D1001", people_involved=12)
    case = create_case(people["worker"], body, now=at(7)).case
    assert case.level == "township"
    act(people["township"], case, "resolve", at(8), outcome="explained", summary="已答复")
    assert to_verify(api_as, people["township_2"]) == [case.public_number]
    assert to_verify(api_as, people["township"]) == []  # never their own
    act(people["township_2"], case, "verify", at(8, 14), passed=False, note="当事人仍有异议")
    assert case.status == "in_progress" and case.resolved_by_id is None and case.verify_due_at is None

    act(people["township"], case, "dispatch", at(9), lead_unit=RLSBS, requirement="核实欠薪")
    act(people["unit"], case, "sign", at(9, 11))
    act(people["unit"], case, "resolve", at(10), outcome="mediated", summary="已支付")
    assert set(to_verify(api_as, people["township"])) == {case.public_number}  # the unit's work
    assert told(people["township"], "unit_resolved") == [case.id]
    act(people["township"], case, "verify", at(11), passed=True)
    assert case.status == "closed"


def test_a_verification_past_its_clock_raises_one_alert_and_tells_its_verifiers(people):
    case = create_case(people["worker"], case_payload(people["worker"].scope_code), now=at(7)).case
    act(people["mediator"], case, "resolve", at(7, 15), outcome="mediated", summary="已劝导")
    assert sweep(at(9, 14)).verifications_late == []
    report = sweep(at(9, 16))
    assert report.verifications_late == [case.public_number]
    assert sweep(at(10)).verifications_late == []  # marked once
    alerts = db.session.scalars(sa.select(Alert).where(Alert.kind == "verification_overdue")).all()
    assert [(a.severity, a.status) for a in alerts] == [("yellow", "open")]
    assert case.public_number in alerts[0].title
    db.session.refresh(case)
    assert case.verify_overdue_at == at(9, 16) and case.version == 2  # the case itself unchanged
    # The grid's worker named to verify it hears it is late, once; the resolver never.
    assert told(people["worker"], "verify_overdue") == [case.id]
    assert told(people["mediator"], "verify_overdue") == []


def test_the_workbench_has_a_to_verify_view(app, people):
    body = case_payload(people["worker"].scope_code, kind="dispute", category="D1001", people_involved=12)
    case = create_case(people["worker"], body, now=at(7)).case
    act(people["township"], case, "resolve", at(8), outcome="explained", summary="已答复")
    client = app.test_client()
    sign_in(client, people["township_2"].username)
    queue = client.get("/desk/?lang=en").get_data(as_text=True)
    assert 'id="to-verify"' in queue and '<span class="badge">1</span>' in queue
    view = client.get("/desk/?filtered=1&verify=me").get_data(as_text=True)
    assert case.public_number in view
    page = client.get(f"/desk/cases/{case.public_number}").get_data(as_text=True)
    assert "Verify by" in page and 'value="verify"' in page


def test_the_revisit_is_by_someone_other_than_the_handler_and_says_how(people):
    case = create_case(people["worker"], case_payload(people["worker"].scope_code), now=at(7)).case
    act(people["mediator"], case, "accept", at(7, 11))
    act(people["mediator"], case, "resolve", at(7, 15), outcome="mediated", summary="已劝导")
    act(people["worker"], case, "verify", at(8), passed=True)
    with pytest.raises(Unprocessable, match="other than who handled"):
        act(people["mediator"], case, "revisit", at(9), satisfaction="satisfied")
    act(people["township"], case, "revisit", at(9), satisfaction="satisfied", method="visit")
    assert case_events(case)[-1].payload["method"] == "visit"
