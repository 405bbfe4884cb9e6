"""诉前调解 (issue 15): a dispute a court referred to mediation before registering the suit — the
court and its number recorded by a handler, 30 days to mediate (longer only as both parties
agree), the handlers told on day 20 and when the period has ended, the result reported back once
(mediated only with an agreement on record), all on the timeline and in the case file; a referral
awaiting its result keeps the file from being archived."""

import io
from datetime import datetime

import sqlalchemy as sa
from docx import Document

from gridcase.cases.intake import create_case
from gridcase.cases.queries import case_events
from gridcase.extensions import db
from gridcase.jobs import archive_case_files
from gridcase.ladder.sweep import sweep
from gridcase.mediation.agreements import record_performance
from gridcase.mediation.domain import Performance
from gridcase.mediation.models import CourtReferral, MediationAgreement, MediationCaseFile
from gridcase.notifications.models import Notification
from gridcase.people.models import User
from tests.helpers import SHANGHAI, case_payload, in_december
from tests.integration.test_attachments_and_pages import csrf_from, sign_in
from tests.integration.test_case_file import act, case_file
from tests.integration.test_mediation_agreements import COURT, PARTIES, mediate_to_agreement

NUMBER = "(2026)浙0681民诉前调123号"
REFERRAL = {"court_unit_code": COURT, "court_number": NUMBER, "referred_on": "2026-12-01"}


def a_dispute(people, title="民间借贷纠纷"):
    body = case_payload(
        people["worker"].scope_code, kind="dispute", category="D0101", title=title, parties=PARTIES
    )
    return create_case(people["worker"], body, now=in_december(2)).case


def in_january(day: int, hour: int = 10) -> datetime:
    return datetime(2027, 1, day, hour, tzinfo=SHANGHAI)


def referral_of(case) -> CourtReferral:
    db.session.expire_all()
    return db.session.get(CourtReferral, case.id)


def test_a_handler_records_the_referral_with_thirty_days_to_mediate(api_as, people):
    case = a_dispute(people)
    url = f"/api/v1/cases/{case.id}/court-referral"
    api = api_as(people["mediator"])
    assert api.get(url).status_code == 404  # no referral yet
    answer = api.post(url, json={**REFERRAL, "note": "原告张某诉被告李某，经当事人同意委派调解"})
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert (body["court"], body["court_number"]) == ("诸暨市人民法院诉讼服务中心", NUMBER)
    assert (body["referred_on"], body["due_on"], body["result"], body["extended"]) == (
        "2026-12-01",
        "2026-12-31",
        None,
        False,
    )
    assert api_as(people["worker"]).get(url).json["court_number"] == NUMBER  # who sees the case
    event = case_events(case)[-1]
    assert event.action == "court_referral" and event.payload["court_number"] == NUMBER
    again = api.post(url, json=REFERRAL)
    assert again.status_code == 422 and "already" in again.json["message"]


def test_what_a_referral_refuses(api_as, people, make_user):
    case = a_dispute(people)
    url = f"/api/v1/cases/{case.id}/court-referral"
    assert api_as(people["worker"]).post(url, json=REFERRAL).status_code == 403  # not a handler
    api = api_as(people["mediator"])
    unknown_court = api.post(url, json={**REFERRAL, "court_unit_code": "no-such-court"})
    assert unknown_court.status_code == 422 and "court_unit_code" in unknown_court.json["errors"]
    future = api.post(url, json={**REFERRAL, "referred_on": "2099-01-01"})
    assert future.status_code == 422 and "referred_on" in future.json["errors"]
    blank = api.post(url, json={**REFERRAL, "court_number": "   "})
    assert blank.status_code == 422 and "court_number" in blank.json["errors"]
    incident = create_case(
        people["worker"], case_payload(people["worker"].scope_code), now=in_december(2)
    ).case
    refused = api.post(f"/api/v1/cases/{incident.id}/court-referral", json=REFERRAL)
    assert refused.status_code == 422 and "dispute" in refused.json["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourtReferral)) == 0


def told(kind: str) -> list[tuple[str, str]]:
    return db.session.execute(
        sa.select(User.role, Notification.message)
        .join(User, User.id == Notification.user_id)
        .where(Notification.kind == kind)
    ).all()


def test_the_handlers_are_told_on_day_twenty_and_when_the_period_ends_and_again_after_an_extension(
    api_as, people
):
    case = a_dispute(people)
    api = api_as(people["mediator"])
    assert api.post(f"/api/v1/cases/{case.id}/court-referral", json=REFERRAL).status_code == 201
    assert sweep(in_december(20, 9)).referrals_closing == 0  # day 19
    assert sweep(in_december(21, 9)).referrals_closing == 1  # day 20: the 31st is its end
    assert sweep(in_december(22, 9)).referrals_closing == 0  # once
    closing = told("referral_closing")
    assert closing and all(case.public_number in m and "2026-12-31" in m for _r, m in closing)
    assert not any(p["name"][0] in m for _r, m in closing for p in PARTIES)  # no party named
    assert sweep(in_december(31, 23)).referrals_ended == 0  # the last day is still in time
    report = sweep(in_january(1, 9))
    assert report.referrals_ended == 1 and told("referral_ended")
    assert sweep(in_january(2, 9)).referrals_ended == 0  # once
    extension = f"/api/v1/cases/{case.id}/court-referral/extension"
    api = api_as(people["city"])  # the case has gone up the ladder meanwhile; the city handles it
    no_consent = api.post(extension, json={"due_on": "2027-01-15", "note": ""})
    assert no_consent.status_code == 422 and "note" in no_consent.json["errors"]
    earlier = api.post(extension, json={"due_on": "2026-12-30", "note": "双方同意"})
    assert earlier.status_code == 422 and "due_on" in earlier.json["errors"]
    answer = api.post(extension, json={"due_on": "2027-01-15", "note": "双方当事人书面同意延长十五日"})
    assert answer.status_code == 200 and (answer.json["due_on"], answer.json["extended"]) == (
        "2027-01-15",
        True,
    )
    assert case_events(case)[-1].action == "court_referral_extended"
    referral = referral_of(case)
    assert (referral.reminded_at, referral.overdue_at) == (None, None)  # told again for the new end
    assert sweep(in_january(15, 9)).referrals_closing == 1  # told again, of the new end
    assert sweep(in_january(16, 9)).referrals_ended == 1


def test_the_result_goes_back_to_the_court_once_and_mediated_needs_the_agreement(api_as, people):
    case = mediate_to_agreement(people)
    other = a_dispute(people, "邻里噪音纠纷")
    api = api_as(people["mediator"])
    for each in (case, other):
        assert api.post(f"/api/v1/cases/{each.id}/court-referral", json=REFERRAL).status_code == 201
    without_agreement = api.post(
        f"/api/v1/cases/{other.id}/court-referral/result", json={"result": "mediated"}
    )
    assert without_agreement.status_code == 422 and "agreement" in without_agreement.json["message"]
    failed = api.post(
        f"/api/v1/cases/{other.id}/court-referral/result", json={"result": "failed", "note": "被告拒绝调解"}
    )
    assert failed.status_code == 200 and failed.json["result"] == "failed" and failed.json["reported_at"]
    url = f"/api/v1/cases/{case.id}/court-referral/result"
    assert api.post(url, json={"result": "maybe"}).status_code == 422
    mediated = api.post(url, json={"result": "mediated", "note": "已达成协议，当事人拟申请司法确认"})
    assert mediated.status_code == 200 and mediated.json["result"] == "mediated"
    again = api.post(url, json={"result": "failed"})
    assert again.status_code == 422 and "already" in again.json["message"]
    assert referral_of(case).result == "mediated"  # the first report stands
    event = case_events(case)[-1]
    assert event.action == "court_referral_result" and event.payload["court"] == "诸暨市人民法院诉讼服务中心"
    text = "\n".join(p.text for p in Document(io.BytesIO(case_file(api, case).data)).paragraphs)
    assert f"法院案号：{NUMBER}" in text and "委派日期：2026年12月1日" in text
    assert "诉前调解结果：调解成功" in text


def test_a_referral_awaiting_its_result_keeps_the_case_file_open(api_as, people):
    case = mediate_to_agreement(people)
    api = api_as(people["mediator"])
    assert api.post(f"/api/v1/cases/{case.id}/court-referral", json=REFERRAL).status_code == 201
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    act(people["mediator"], case, "resolve", in_december(9), outcome="agreement_signed", summary="签订协议")
    act(people["worker"], case, "verify", in_december(9, 14), passed=True, note="已履行")
    act(people["township"], case, "revisit", in_december(10), satisfaction="satisfied", note="双方满意")
    record_performance(people["mediator"], case.id, agreement.id, Performance.PERFORMED, "", in_december(21))
    assert case.status == "closed"
    archive_case_files(in_december(21, 12))
    assert db.session.get(MediationCaseFile, case.id) is None  # the court has not heard yet
    result = api.post(f"/api/v1/cases/{case.id}/court-referral/result", json={"result": "mediated"})
    assert result.status_code == 200  # a closed case still reports back
    assert archive_case_files(in_december(21, 13)).archived == (case.public_number,)
    late = api.post(
        f"/api/v1/cases/{case.id}/court-referral/extension", json={"due_on": "2027-02-01", "note": "x"}
    )
    assert late.status_code == 422  # archived: read-only


def test_the_case_page_records_the_referral_and_its_result(app, people):
    case = mediate_to_agreement(people)
    client = app.test_client()
    sign_in(client, people["mediator"].username)
    page = client.get(f"/desk/cases/{case.public_number}?lang=en")
    html = page.get_data(as_text=True)
    assert 'id="referral-record"' in html and f'<option value="{COURT}"' in html
    url = f"/desk/cases/{case.public_number}/court-referral"
    token = csrf_from(page.data)
    bad_day = client.post(url, data={"csrf_token": token, **REFERRAL, "referred_on": "12/01"})
    assert bad_day.status_code == 422 and "Give a day." in bad_day.get_data(as_text=True)
    no_number = client.post(url, data={"csrf_token": token, **REFERRAL, "court_number": ""})
    said = no_number.get_data(as_text=True)
    assert no_number.status_code == 422 and "number for the matter" in said  # the page's language
    assert referral_of(case) is None  # nothing saved
    saved = client.post(url, data={"csrf_token": token, **REFERRAL})
    assert saved.status_code == 302 and referral_of(case).court_number == NUMBER
    html = client.get(f"/desk/cases/{case.public_number}?lang=en").get_data(as_text=True)
    assert NUMBER in html and "2026-12-31" in html and 'id="referral-result"' in html
    report = client.post(url + "/result", data={"csrf_token": token, "result": "mediated", "note": "已反馈"})
    assert report.status_code == 302 and referral_of(case).result == "mediated"
    html = client.get(f"/desk/cases/{case.public_number}?lang=en").get_data(as_text=True)
    assert "Mediated: agreement reached" in html and 'id="referral-result"' not in html
    assert "Result reported to the court" in html  # the timeline says it


def test_a_court_no_longer_active_is_refused(api_as, people):
    case = a_dispute(people)
    db.session.execute(sa.text("UPDATE units SET active = false WHERE code = :c"), {"c": COURT})
    answer = api_as(people["mediator"]).post(f"/api/v1/cases/{case.id}/court-referral", json=REFERRAL)
    assert answer.status_code == 422 and "court_unit_code" in answer.json["errors"]
