"""督办单: the city supervises a case with a document addressed to the level handling it or to a
unit at work on it (requirement, reply deadline, yellow or red card by the rule); the target
replies; the city accepts the reply or supervises again (red)."""

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.models import Supervision
from gridcase.cases.operations import perform_action
from gridcase.cases.queries import case_events
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.notifications.models import Notification
from tests.helpers import FENGQIAO, case_payload, in_december
from tests.integration.test_attachments_and_pages import csrf_from, sign_in

RLSBS = f"{FENGQIAO}-rlsbs"


at = in_december


def act(user, case, action, now, **payload):
    return perform_action(user, case.id, action, case.version, payload, now=now)


def township_case(people):
    body = case_payload(people["worker"].scope_code, kind="dispute", category="D1001", people_involved=12)
    return create_case(people["worker"], body, now=at(7)).case


def kinds(user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)))


def supervisions(case) -> list[tuple]:
    rows = db.session.scalars(
        sa.select(Supervision).where(Supervision.case_id == case.id).order_by(Supervision.id)
    )
    return [(s.grade, s.target_level or s.target_unit_code, s.status) for s in rows]


def test_supervise_reply_and_evaluate_again_then_accept(people):
    case = township_case(people)
    with pytest.raises(Unprocessable, match="Only the city"):
        act(people["township"], case, "supervise", at(7, 11), note="x")
    act(people["city"], case, "supervise", at(7, 11), note="三日内落实欠薪支付方案", reply_days=3)
    assert supervisions(case) == [("yellow", "township", "open")]  # the first, in time: yellow
    sup = db.session.scalar(sa.select(Supervision).where(Supervision.case_id == case.id))
    assert sup.reply_due_at == at(10, 11)  # three working days on
    assert "supervised" in kinds(people["township"])
    with pytest.raises(Unprocessable, match="evaluate its reply first"):
        act(people["city"], case, "supervise", at(7, 12), note="再次")
    with pytest.raises(Unprocessable, match="level the supervision is addressed to"):
        act(people["mediator"], case, "reply_supervision", at(8), text="x")

    act(people["township"], case, "reply_supervision", at(8), text="已约谈企业，拟分两期支付")
    assert "supervision_replied" in kinds(people["city"])
    with pytest.raises(Unprocessable, match="still required"):
        act(people["city"], case, "evaluate_supervision", at(8, 14), accepted=False)
    act(people["city"], case, "evaluate_supervision", at(8, 14), accepted=False, note="须一次性支付")
    assert supervisions(case) == [("yellow", "township", "again"), ("red", "township", "open")]

    act(people["township"], case, "reply_supervision", at(9), text="企业已一次性支付")
    act(people["city"], case, "evaluate_supervision", at(9, 14), accepted=True, note="认可")
    assert supervisions(case) == [("yellow", "township", "again"), ("red", "township", "accepted")]
    timeline = [e.action for e in case_events(case)][1:]
    assert timeline == [
        "supervise",
        "reply_supervision",
        "evaluate_supervision",
        "reply_supervision",
        "evaluate_supervision",
    ]


def test_a_unit_at_work_is_supervised_and_replies_itself(people):
    case = township_case(people)
    act(people["township"], case, "dispatch", at(7, 11), lead_unit=RLSBS, requirement="核实欠薪")
    act(people["unit"], case, "sign", at(7, 14))
    with pytest.raises(Unprocessable, match="unit at work"):
        act(people["city"], case, "supervise", at(8), note="x", target_unit=f"{FENGQIAO}-sfs")
    act(people["city"], case, "supervise", at(8), note="加快核实进度", target_unit=RLSBS)
    assert supervisions(case) == [("yellow", RLSBS, "open")]
    assert "supervised" in kinds(people["unit"])
    with pytest.raises(Unprocessable, match="addressed to a unit"):
        act(people["township"], case, "reply_supervision", at(8, 11), text="x")
    act(people["unit"], case, "reply_supervision", at(8, 14), text="已完成工资台账核对")
    assert supervisions(case) == [("yellow", RLSBS, "replied")]


def test_an_overdue_case_gets_a_red_card_at_once(people):
    case = township_case(people)
    act(people["city"], case, "supervise", at(30), note="超期未办结，限期办理")
    assert supervisions(case) == [("red", "township", "open")]


def test_the_target_sees_the_supervision_in_its_queue_and_replies_on_the_case_page(app, people):
    case = township_case(people)
    act(people["city"], case, "supervise", at(7, 11), note="三日内落实", reply_days=3)
    client = app.test_client()
    sign_in(client, people["township"].username)
    queue = client.get("/desk/?lang=en").get_data(as_text=True)
    row = queue[queue.index(case.public_number) :]
    assert "Supervised · Yellow card · reply by 12-10 11:00" in row[: row.index("</tr>")]
    page = client.get(f"/desk/cases/{case.public_number}")
    assert 'id="supervisions"' in page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page.data),
        "action": "reply_supervision",
        "version": str(case.version),
        "text": "已落实",
    }
    assert client.post(f"/desk/cases/{case.public_number}", data=data).status_code == 302
    assert supervisions(case) == [("yellow", "township", "replied")]


def test_a_supervision_names_the_person_who_answers_for_it(app, people):
    case = township_case(people)
    named, colleague = people["township_2"], people["township"]
    with pytest.raises(Unprocessable, match="names a handler of the level"):
        act(people["city"], case, "supervise", at(7, 11), note="x", target_person=people["mediator"].id)
    act(people["city"], case, "supervise", at(7, 11), note="三日内落实", target_person=named.id)
    sup = db.session.scalar(sa.select(Supervision).where(Supervision.case_id == case.id))
    assert (sup.target_level, sup.target_user_id) == ("township", named.id)
    assert "supervised" in kinds(named) and "supervised" not in kinds(colleague)  # told, by name
    with pytest.raises(Unprocessable, match="named person"):
        act(colleague, case, "reply_supervision", at(8), text="x")
    act(named, case, "reply_supervision", at(8), text="已约谈企业")
    act(people["city"], case, "evaluate_supervision", at(8, 14), accepted=False, note="须一次性支付")
    again = db.session.scalars(
        sa.select(Supervision).where(Supervision.case_id == case.id).order_by(Supervision.id.desc())
    ).first()
    assert (again.grade, again.target_user_id) == ("red", named.id)  # supervised again, still by name
    client = app.test_client()
    sign_in(client, named.username)  # (the city signs in with two factors: its form in Chromium)
    page = client.get(f"/desk/cases/{case.public_number}?lang=en").get_data(as_text=True)
    assert f"answerable: {named.display_name}" in page
