"""Messages that reach people (in the app): the grid worker hears what became of the cases they
logged; a level hears when its case went up (上交); the unread badge is on every page's bar; no
message names a party."""

import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.notifications.models import Notification
from tests.helpers import FENGQIAO, case_payload, in_december
from tests.integration.test_attachments_and_pages import sign_in

PARTY = {"name": "张三丰", "phone": "13812348000", "id_number": "110105194912310029"}


at = in_december


def act(user, case, action, now, **payload):
    return perform_action(user, case.id, action, case.version, payload, now=now)


def messages(user, kind=None) -> list[str]:
    query = sa.select(Notification.message).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def dispute(worker, **overrides):
    body = case_payload(
        worker.scope_code, **{"kind": "dispute", "category": "D02", "parties": [PARTY], **overrides}
    )
    return create_case(worker, body, now=at(7)).case


def test_the_worker_hears_each_milestone_of_their_case_and_never_their_own_steps(people):
    case = dispute(people["worker"])
    act(people["mediator"], case, "accept", at(7, 11))
    act(people["worker"], case, "note", at(7, 12), text="当事人情绪激动")
    act(people["mediator"], case, "escalate", at(7, 14), reason="涉及多户，需镇街协调")
    act(people["township"], case, "resolve", at(8), outcome="mediated", summary="双方和解")
    act(people["township_2"], case, "verify", at(9), passed=True)
    n = case.public_number
    assert messages(people["worker"], "your_case") == [
        f"您上报的{n}已受理",
        f"您上报的{n}已上报至镇街",
        f"您上报的{n}已化解，待核查",
        f"您上报的{n}经核查已办结",
    ]
    # The community hears its case went up; not the mediator who sent it.
    assert messages(people["mediator_2"], "escalated_away") and not messages(
        people["mediator"], "escalated_away"
    )


def test_an_automatic_escalation_tells_the_level_it_left_and_the_worker(people):
    case = dispute(people["worker"])
    report = sweep(at(14))
    assert (case.public_number, "community", "township") in report.escalated
    assert [m for m in messages(people["mediator"], "escalated_away") if "自动升级至镇街" in m]
    assert messages(people["worker"], "your_case") == [
        f"您上报的{case.public_number}超期未办结，已自动升级至镇街"
    ]


def test_a_unit_missing_information_tells_the_worker(people):
    case = dispute(people["worker"], people_involved=12, category="D1001")
    act(people["township"], case, "dispatch", at(7, 11), lead_unit=f"{FENGQIAO}-rlsbs", requirement="核实")
    act(people["unit"], case, "return", at(7, 14), reason="information_missing", note="未写明用工单位")
    assert messages(people["worker"], "your_case")[-1].endswith("承办单位反映信息不全，可能需要您补充情况")


def test_no_message_names_a_party(people):
    case = dispute(people["worker"])
    act(people["mediator"], case, "accept", at(7, 11))
    act(people["mediator"], case, "escalate", at(7, 14), reason="需镇街协调")
    act(people["township"], case, "resolve", at(8), outcome="mediated", summary="双方和解")
    sweep(at(14))
    every = " ".join(
        db.session.scalars(sa.select(Notification.message).where(Notification.case_id == case.id))
    )
    assert every and not any(value in every for value in PARTY.values())


def test_the_unread_badge_is_on_the_command_centres_bar_too(app, people):
    case = dispute(people["worker"])
    act(people["mediator"], case, "escalate", at(7, 14), reason="需镇街协调")  # tells the township
    client = app.test_client()
    sign_in(client, people["township"].username)
    page = client.get("/dashboard/").get_data(as_text=True)
    bar = page[page.index('class="deskbar"') : page.index("</header>")]
    assert '<span class="badge">1</span>' in bar
