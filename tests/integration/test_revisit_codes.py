"""回访 by the person themselves: someone other than the handler prints a slip with a one-time
code; the person who brought the matter (or a party) answers the public survey with it; the
answer is the case's revisit, counted for satisfaction — and only such independent revisits are."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.models import Case, RevisitInvitation
from gridcase.cases.operations import perform_action
from gridcase.cases.queries import case_events
from gridcase.cases.revisit_codes import issue_revisit_code, send_revisit_codes
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.stats.rollups import refresh_rollups
from tests.helpers import FENGQIAO, case_payload, in_december
from tests.integration.test_attachments_and_pages import csrf_from, sign_in
from tests.loopback import Receiver

CODE = re.compile(r'id="revisit-code">([0-9A-Z]{5}-[0-9A-Z]{5})<')


def resolved_dispute(people) -> Case:
    """A neighbours' dispute brought by 周某 by phone, handled and resolved by the mediator."""
    body = case_payload(
        people["worker"].scope_code,
        kind="dispute",
        category="D0101",
        title="邻里噪音纠纷",
        informant={"name": "周建华", "phone": "13600001111"},
        parties=[{"name": "周建华", "role": "applicant"}, {"name": "吴某", "role": "respondent"}],
    )
    case = create_case(people["worker"], body, now=in_december(7)).case
    mediator = people["mediator"]
    perform_action(mediator, case.id, "accept", case.version, {}, now=in_december(7, 11))
    perform_action(mediator, case.id, "resolve", case.version, {"outcome": "mediated"}, now=in_december(8))
    return case


def print_slip(app, user, case, addressee="informant"):
    client = app.test_client()
    sign_in(client, user.username)
    page = client.get(f"/desk/cases/{case.public_number}")
    return client.post(
        f"/desk/cases/{case.public_number}/revisit-slip",
        data={"csrf_token": csrf_from(page.data), "addressee": addressee},
    )


def answer(app, code: str, satisfaction: str | None, comment: str = ""):
    """The person's own phone: no account, only the code."""
    client = app.test_client()
    survey = client.get(f"/revisit?code={code}&lang=en")
    if survey.status_code != 200:
        return survey, None
    data = {"csrf_token": csrf_from(survey.data), "code": code, "comment": comment}
    if satisfaction:
        data["satisfaction"] = satisfaction
    return survey, client.post("/revisit?lang=en", data=data)


def test_the_handler_cannot_issue_a_code_or_revisit_but_a_colleague_prints_a_slip(app, people):
    case = resolved_dispute(people)
    with pytest.raises(Unprocessable, match="other than who handled"):
        issue_revisit_code(people["mediator"], case.id, "informant")
    slip = print_slip(app, people["mediator_2"], case)
    assert slip.status_code == 200 and slip.headers["Cache-Control"] == "no-store"
    html = slip.get_data(as_text=True)
    code = CODE.search(html).group(1)
    assert 'src="data:image/svg+xml' in html and "周**" in html
    stored = db.session.scalars(
        sa.select(RevisitInvitation).where(RevisitInvitation.case_id == case.id)
    ).one()
    assert code.replace("-", "") not in stored.code_hash  # only the keyed hash is kept
    assert case_events(case)[-1].action == "revisit_code"
    assert code not in str(case_events(case)[-1].payload)


def test_the_person_answers_with_the_code_once_and_it_counts(app, people):
    case = resolved_dispute(people)
    code = CODE.search(print_slip(app, people["township"], case).get_data(as_text=True)).group(1)
    spare = issue_revisit_code(people["township"], case.id, str(case.parties[1].id)).code
    survey, done = answer(app, code.lower(), "satisfied", "调解员很耐心")
    assert case.public_number in survey.get_data(as_text=True) and "周" not in survey.get_data(as_text=True)
    assert done.status_code == 200 and "Your answer was recorded" in done.get_data(as_text=True)
    db.session.refresh(case)
    assert (case.satisfaction, case.revisit_method, case.status) == ("satisfied", "code", "resolved")
    event = case_events(case)[-1]
    assert (event.action, event.actor_id) == ("revisit", None)
    assert event.payload == {
        "satisfaction": "satisfied",
        "method": "code",
        "by": "informant",
        "note": "调解员很耐心",
    }
    again, _ = answer(app, code, None)
    assert again.status_code == 404 and "not valid" in again.get_data(as_text=True)
    used_up, _ = answer(app, spare, None)  # the case's other codes are void once it is answered
    assert used_up.status_code == 404
    with pytest.raises(Unprocessable, match="has had its revisit"):  # one 回访 per resolution
        perform_action(people["township"], case.id, "revisit", case.version, {"satisfaction": "satisfied"})


def test_a_dissatisfied_answer_takes_the_case_up_again(app, people):
    case = resolved_dispute(people)
    code = issue_revisit_code(people["mediator_2"], case.id, "informant").code
    _, done = answer(app, code, "dissatisfied")
    assert "taken up again" in done.get_data(as_text=True)
    db.session.refresh(case)
    assert (case.status, case.reopen_count, case.satisfaction) == ("in_progress", 1, "dissatisfied")


def test_a_code_does_not_work_once_the_staff_have_revisited(app, people):
    case = resolved_dispute(people)
    code = issue_revisit_code(people["mediator_2"], case.id, "informant").code
    perform_action(people["township"], case.id, "revisit", case.version, {"satisfaction": "satisfied"})
    survey, _ = answer(app, code, None)
    assert survey.status_code == 404


def test_bad_codes_and_missing_answers_are_refused_without_a_trace(app, people):
    case = resolved_dispute(people)
    code = issue_revisit_code(people["mediator_2"], case.id, "informant").code
    wrong, _ = answer(app, "ABCDE-FGHJK", None)
    assert wrong.status_code == 404 and "not valid" in wrong.get_data(as_text=True)
    survey, unanswered = answer(app, code, None)
    assert survey.status_code == 200 and unanswered.status_code == 422
    db.session.refresh(case)
    assert case.satisfaction is None
    with pytest.raises(Exception, match="No party"):
        issue_revisit_code(people["mediator_2"], case.id, "999999")


def test_satisfaction_counts_only_revisits_by_someone_other_than_the_handler(app, people, api_as):
    """A revisit recorded before the rule (no method: possibly the handler's own word) is not
    counted; the person's own answer is, and the API says how many there are."""
    counted, legacy = resolved_dispute(people), resolved_dispute(people)
    code = issue_revisit_code(people["mediator_2"], counted.id, "informant").code
    answer(app, code, "basically_satisfied")
    db.session.execute(
        sa.update(Case).where(Case.id == legacy.id).values(satisfaction="dissatisfied", revisit_method=None)
    )
    refresh_rollups(full=True)
    stats = api_as(people["township"]).get(f"/api/v1/stats?region={FENGQIAO}&from=2026-12-01&to=2026-12-31")
    indicators = stats.json["indicators"]
    assert (indicators["revisited"], indicators["satisfaction_rate"]) == (1, 1.0)


@pytest.fixture
def sms_gateway(app, monkeypatch):
    """A real HTTP receiver on loopback standing in for the operator's SMS gateway."""
    receiver = Receiver(script={"/sms": [500, 200]})
    monkeypatch.setitem(app.config, "GRIDCASE_SMS_GATEWAY_URL", f"{receiver.url}/sms")
    yield receiver
    receiver.stop()


def test_a_code_by_sms_is_sent_by_the_scheduler_in_daytime_and_answers_the_survey(app, people, sms_gateway):
    case = resolved_dispute(people)
    evening = in_december(8, 22)  # 22:00 in Beijing: no text at night
    issued = issue_revisit_code(people["mediator_2"], case.id, "informant", "sms", now=evening)
    assert issued.invitation.code_encrypted is not None and issued.invitation.sms_status == "pending"
    assert send_revisit_codes(now=evening).sent == 0 and sms_gateway.received == []
    morning = in_december(9, 8)
    first = send_revisit_codes(now=morning)  # the gateway fails once: back-off, then sent
    assert (first.sent, first.failed_attempts) == (0, 1)
    assert send_revisit_codes(now=morning + timedelta(minutes=5)).sent == 1
    [_, sent] = sms_gateway.received
    document = sent.json()
    assert document["phone"] == "13600001111" and case.public_number in document["params"]["message"]
    assert "周" not in document["params"]["message"]  # nothing of the person
    code = re.search(r"code=([0-9A-Z]{10})", document["params"]["message"]).group(1)
    db.session.refresh(issued.invitation)
    assert (issued.invitation.sms_status, issued.invitation.code_encrypted) == ("sent", None)
    _, done = answer(app, code, "satisfied")
    assert done.status_code == 200


def test_sms_needs_a_phone_and_a_gateway(app, people):
    case = resolved_dispute(people)
    respondent = str(case.parties[1].id)  # 吴某: no phone recorded
    with pytest.raises(Unprocessable, match="No SMS gateway"):
        issue_revisit_code(people["mediator_2"], case.id, "informant", "sms")
    app.config["GRIDCASE_SMS_GATEWAY_URL"] = "http://127.0.0.1:9/sms"
    try:
        with pytest.raises(Unprocessable, match="No phone number"):
            issue_revisit_code(people["mediator_2"], case.id, respondent, "sms")
    finally:
        app.config["GRIDCASE_SMS_GATEWAY_URL"] = ""


def test_the_case_page_sends_a_code_by_sms_without_showing_it(app, people, sms_gateway):
    case = resolved_dispute(people)
    client = app.test_client()
    sign_in(client, people["mediator_2"].username)
    page = client.get(f"/desk/cases/{case.public_number}")
    data = {"csrf_token": csrf_from(page.data), "addressee": "informant", "delivery": "sms"}
    sent = client.post(f"/desk/cases/{case.public_number}/revisit-slip", data=data)
    assert sent.status_code == 302 and sent.location.endswith(f"/desk/cases/{case.public_number}")
    invitation = db.session.scalars(
        sa.select(RevisitInvitation).where(RevisitInvitation.case_id == case.id)
    ).one()
    assert invitation.delivery == "sms" and invitation.sms_status == "pending"
