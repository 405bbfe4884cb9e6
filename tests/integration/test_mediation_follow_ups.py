"""调解待办 (issue 15, "the mediator gets a task"): the desk lists what a mediator's disputes still
wait for — performance to check once its deadline has come, 司法确认 near the end of its window
or awaiting the ruling, a court's referral awaiting its result — to its mediator and the handlers
where the case is, and an item leaves the list once it is recorded."""

import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.mediation.agreements import record_confirmation, record_performance
from gridcase.mediation.court_referrals import record_court_referral, report_referral_result
from gridcase.mediation.domain import Confirmation, Performance, ReferralResult
from gridcase.mediation.follow_ups import (
    CONFIRMATION_RULING,
    CONFIRMATION_WINDOW,
    COURT_REFERRAL,
    PERFORMANCE,
    follow_ups,
)
from gridcase.mediation.models import MediationAgreement
from tests.helpers import FENGQIAO, grid_in, in_december
from tests.integration.test_attachments_and_pages import sign_in
from tests.integration.test_court_referrals import NUMBER, a_dispute, in_january
from tests.integration.test_mediation_agreements import COURT, mediate_to_agreement


def kinds(user, now):
    return [(item.kind, item.case_number) for item in follow_ups(user, now)]


def test_the_list_follows_the_agreement_and_the_referral_until_each_is_recorded(people):
    mediator = people["mediator"]
    case = mediate_to_agreement(people)  # perform by 2026-12-20; 司法确认 until 2027-01-07
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    referred = a_dispute(people)
    record_court_referral(mediator, referred.id, COURT, NUMBER, in_december(1).date(), "", in_december(2))
    assert kinds(mediator, in_december(19)) == [(COURT_REFERRAL, referred.public_number)]  # due 12-31
    on_the_day = kinds(mediator, in_december(20))
    assert on_the_day == [(PERFORMANCE, case.public_number), (COURT_REFERRAL, referred.public_number)]
    record_performance(mediator, case.id, agreement.id, Performance.PARTLY, "只拆了一半", in_december(20, 15))
    assert kinds(mediator, in_december(21)) == [(COURT_REFERRAL, referred.public_number)]
    # day 20 of the 司法确认 window (2026-12-28), not fully performed: the window is closing
    assert (CONFIRMATION_WINDOW, case.public_number) in kinds(mediator, in_december(28))
    record_confirmation(mediator, case.id, agreement.id, Confirmation.APPLIED, COURT, "", in_december(28, 15))
    waiting = follow_ups(mediator, in_december(29))
    assert [(i.kind, i.due) for i in waiting if i.case_number == case.public_number] == [
        (CONFIRMATION_RULING, None)
    ]
    report_referral_result(mediator, referred.id, ReferralResult.FAILED, "被告拒绝", in_december(29, 15))
    record_confirmation(mediator, case.id, agreement.id, Confirmation.CONFIRMED, None, "", in_january(5))
    assert kinds(mediator, in_january(6)) == []


def test_the_handlers_where_the_case_is_see_it_and_another_community_does_not(people, make_user):
    case = mediate_to_agreement(people)
    other_community = next(
        g.community_code
        for i in range(1, 60)
        if (g := grid_in(FENGQIAO, i)).community_code != grid_in(FENGQIAO).community_code
    )
    stranger = make_user("community_mediator", other_community)
    assert [i.kind for i in follow_ups(people["mediator_2"], in_december(20))] == [PERFORMANCE]
    assert follow_ups(stranger, in_december(20)) == []
    assert case.level == "community"
    assert follow_ups(people["township"], in_december(20)) == []  # not at the township's level


def test_the_desk_page_lists_them_with_a_link_to_the_form(app, people):
    case = mediate_to_agreement(people)
    record_court_referral(
        people["mediator"], case.id, COURT, NUMBER, in_december(1).date(), "", in_december(2)
    )
    client = app.test_client()
    sign_in(client, people["mediator"].username)
    html = client.get("/desk/follow-ups?lang=en").get_data(as_text=True)
    assert 'id="follow-ups"' in html and NUMBER in html
    assert f"/desk/cases/{case.public_number}#court-referral" in html
    assert "Result to report to the court" in html and 'href="/desk/follow-ups"' in html
    zh = client.get("/desk/follow-ups?lang=zh").get_data(as_text=True)
    assert "调解待办" in zh and "向法院反馈调解结果" in zh
    worker = app.test_client()
    sign_in(worker, people["worker"].username)
    assert worker.get("/desk/follow-ups").status_code in (302, 403)  # a grid worker has none
