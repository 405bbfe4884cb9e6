"""人民调解协议书 (issue 15, first step): an agreement reached in a mediation is a record numbered
by its committee and year; a handler produces it as a Word document naming the parties in full,
for a reason that is audited."""

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from docx import Document
from pypdf import PdfReader

from gridcase.audit.models import AuditEntry
from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.cases.queries import case_events
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.mediation.agreements import record_confirmation, record_performance
from gridcase.mediation.domain import Confirmation, Performance
from gridcase.mediation.evidence import evidence_title
from gridcase.mediation.models import MediationAgreement, MediationEvidence
from gridcase.notifications.models import Notification
from gridcase.stats.rollups import refresh_rollups
from gridcase.territory.models import Region
from tests.helpers import FENGQIAO, case_payload, in_december, pdf_file
from tests.integration.test_attachments_and_pages import csrf_from, jpeg, sign_in

PARTIES = [
    {"name": "钱建国", "id_number": "11010519491231002X", "phone": "13500001111", "role": "applicant"},
    {"name": "孙丽华", "phone": "13600002222", "role": "respondent"},
]


def mediate_to_agreement(people, title="宅基地边界纠纷"):
    body = case_payload(
        people["worker"].scope_code, kind="dispute", category="D0101", title=title, parties=PARTIES
    )
    case = create_case(people["worker"], body, now=in_december(7)).case
    mediator = people["mediator"]
    perform_action(mediator, case.id, "accept", case.version, {}, now=in_december(7, 11))
    payload = {
        "session": {
            "held_at": "2026-12-08T09:00:00+08:00",
            "place": "村调委会",
            "summary": "双方陈述，现场勘查",
        },
        "agreement": {
            "facts": "双方因宅基地边界围墙位置发生争执",
            "disputed_points": "围墙是否越界约0.5米",
            "terms": "孙丽华于协议签订后拆除越界部分围墙；钱建国承担一半拆除费用800元",
            "performance_method": "现场拆除，费用现金支付",
            "performance_deadline": "2026-12-20",
        },
    }
    perform_action(mediator, case.id, "mediate", case.version, payload, now=in_december(8))
    return case


def test_an_agreement_is_numbered_by_its_committee_and_year(people):
    first, second = mediate_to_agreement(people), mediate_to_agreement(people, "邻里排水纠纷")
    records = db.session.scalars(
        sa.select(MediationAgreement)
        .where(MediationAgreement.case_id.in_([first.id, second.id]))
        .order_by(MediationAgreement.id)
    ).all()
    community = db.session.get(Region, first.community_code)
    assert [r.committee_name for r in records] == [f"{community.name}人民调解委员会"] * 2
    assert [r.year for r in records] == [2026, 2026] and records[1].sequence == records[0].sequence + 1
    assert records[0].number == f"〔2026〕第{records[0].sequence}号"
    event = case_events(first)[-1]
    assert (
        event.payload["agreement"]["number"]
        == f"{community.name}人民调解委员会〔2026〕第{records[0].sequence}号"
    )


def test_the_word_document_names_the_parties_and_terms_for_an_audited_reason(app, people):
    case = mediate_to_agreement(people)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    client = app.test_client()
    sign_in(client, people["mediator"].username)
    page = client.get(f"/desk/cases/{case.public_number}?lang=en")
    assert agreement.number in page.get_data(as_text=True)
    url = f"/desk/cases/{case.public_number}/agreements/{agreement.id}/document"
    refused = client.post(url, data={"csrf_token": csrf_from(page.data), "reason": ""})
    assert refused.status_code == 422
    answer = client.post(url, data={"csrf_token": csrf_from(page.data), "reason": "打印协议书供双方签字"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.mimetype.endswith("wordprocessingml.document")
    text = "\n".join(p.text for p in Document(io.BytesIO(answer.data)).paragraphs)
    assert "人民调解协议书" in text and agreement.number in text
    for expected in (
        "申请人：钱建国",
        "11010519491231002X",
        "13500001111",
        "被申请人：孙丽华",
        "拆除越界部分围墙",
        "2026年12月20日",
    ):
        assert expected in text, expected
    audit = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.target.like(f"%agreement {agreement.id}"))
    )
    assert audit is not None and audit.details["reason"] == "打印协议书供双方签字"


@pytest.mark.parametrize("who", ["worker", "unit"])
def test_only_a_handler_produces_the_document(app, people, who):
    case = mediate_to_agreement(people)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    client = app.test_client()
    sign_in(client, people[who].username)
    token = csrf_from(client.get("/account").data)
    answer = client.post(
        f"/desk/cases/{case.public_number}/agreements/{agreement.id}/document",
        data={"csrf_token": token, "reason": "想看看"},
    )
    assert answer.status_code in (
        302,
        403,
        404,
    )  # a grid worker is sent to the phone; a unit sees no such case
    assert not answer.mimetype.endswith("wordprocessingml.document")


def test_the_api_produces_the_document_for_a_reason(api_as, people):
    case = mediate_to_agreement(people)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    township = api_as(people["township"])
    url = f"/api/v1/cases/{case.id}/agreements/{agreement.id}/document"
    assert township.post(url, json={}).status_code == 422  # no reason
    answer = township.post(url, json={"reason": "打印存档留用"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    text = "\n".join(p.text for p in Document(io.BytesIO(answer.data)).paragraphs)
    assert "钱建国" in text and agreement.committee_name in text
    assert api_as(people["worker"]).post(url, json={"reason": "想看看"}).status_code == 403
    assert township.post(url, json={"reason": "打印存档留用", "format": "odt"}).status_code == 422


def test_the_pdf_embeds_a_chinese_font_and_holds_the_number(api_as, people):
    case = mediate_to_agreement(people)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    answer = api_as(people["township"]).post(
        f"/api/v1/cases/{case.id}/agreements/{agreement.id}/document",
        json={"reason": "打印存档留用", "format": "pdf"},
    )
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Cache-Control"] == "no-store"
    text = pdf_text(answer.data)
    for expected in ("人民调解协议书", agreement.number, "钱建国", "11010519491231002X", "2026年12月20日"):
        assert expected in text, expected
    fonts = {f["/BaseFont"] for page in PdfReader(io.BytesIO(answer.data)).pages for f in fonts_of(page)}
    assert any("CJK" in name for name in fonts), fonts  # the font travels inside the file


def pdf_text(data: bytes) -> str:
    """A PDF's text, without the spacing. pypdf reads fpdf2's two-byte glyph codes through the
    font's embedded encoding CMap and puts a NUL before each character (poppler's pdftotext reads
    the same file cleanly); the characters themselves come from the font's ToUnicode map."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return "".join(text.replace("\x00", "").split())


def fonts_of(page):
    return [font.get_object() for font in page["/Resources"]["/Font"].values()]


def test_at_the_deadline_the_mediator_is_reminded_once_and_records_the_performance(app, people):
    case = mediate_to_agreement(people)  # to be performed by 2026-12-20
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    assert sweep(in_december(19, 18)).performance_due == 0
    assert sweep(in_december(20, 9)).performance_due == 1
    assert sweep(in_december(21, 9)).performance_due == 0  # once
    told = db.session.scalars(
        sa.select(Notification.message).where(
            Notification.user_id == people["mediator"].id, Notification.kind == "performance_due"
        )
    ).all()
    assert len(told) == 1 and case.public_number in told[0] and "钱" not in told[0]
    client = app.test_client()
    sign_in(client, people["mediator"].username)
    page = client.get(f"/desk/cases/{case.public_number}?lang=en")
    assert f'id="performance-{agreement.id}"' in page.get_data(
        as_text=True
    )  # its mediator, though it went up
    url = f"/desk/cases/{case.public_number}/agreements/{agreement.id}/performance"
    refused = client.post(url, data={"csrf_token": csrf_from(page.data), "performance": "maybe"})
    assert refused.status_code == 422
    data = {"csrf_token": csrf_from(page.data), "performance": "not_performed", "note": "围墙未拆除"}
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(agreement)
    assert (agreement.performance, agreement.performance_note) == ("not_performed", "围墙未拆除")
    assert case_events(case)[-1].action == "performance"
    shown = client.get(f"/desk/cases/{case.public_number}?lang=en").get_data(as_text=True)
    assert "Not performed" in shown and "judicial confirmation" in shown
    worker = app.test_client()
    sign_in(worker, people["worker"].username)
    token = csrf_from(worker.get("/account").data)
    assert worker.post(url, data={"csrf_token": token, "performance": "performed"}).status_code in (302, 403)
    db.session.refresh(agreement)
    assert agreement.performance == "not_performed"  # a grid worker records nothing


COURT = "330681000000-fyssfw"  # 诸暨市人民法院诉讼服务中心


def test_judicial_confirmation_within_thirty_days_with_a_reminder_on_day_twenty(app, people):
    case = mediate_to_agreement(people)  # recorded on 2026-12-08: the window ends 2027-01-07
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    assert agreement.confirmation_due.isoformat() == "2027-01-07"
    assert sweep(in_december(27, 9)).confirmation_closing == 0  # day 19
    assert sweep(in_december(28, 9)).confirmation_closing == 1  # day 20
    assert sweep(in_december(29, 9)).confirmation_closing == 0  # once
    told = db.session.scalars(
        sa.select(Notification.message).where(Notification.kind == "confirmation_closing")
    ).all()
    assert len(told) == 1 and "2027-01-07" in told[0]
    client = app.test_client()
    sign_in(client, people["mediator"].username)
    page = client.get(f"/desk/cases/{case.public_number}?lang=en")
    html = page.get_data(as_text=True)
    assert "until 2027-01-07" in html and f'<option value="{COURT}">' in html
    url = f"/desk/cases/{case.public_number}/agreements/{agreement.id}/confirmation"
    token = csrf_from(page.data)
    early_ruling = client.post(url, data={"csrf_token": token, "step": "confirmed"})
    assert early_ruling.status_code == 422  # the application comes first
    assert client.post(url, data={"csrf_token": token, "step": "applied", "unit": COURT}).status_code == 302
    assert (
        client.post(
            url, data={"csrf_token": token, "step": "confirmed", "note": "（2027）浙0681民特1号"}
        ).status_code
        == 302
    )
    db.session.refresh(agreement)
    assert (agreement.confirmation, agreement.confirmation_unit_code) == ("confirmed", COURT)
    assert [e.action for e in case_events(case)][-2:] == ["confirmation", "confirmation"]


def test_no_application_after_the_window(people):
    case = mediate_to_agreement(people)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    late = datetime(2027, 1, 8, 2, tzinfo=UTC)  # 10:00 in Beijing, the day after the window
    with pytest.raises(Unprocessable, match="ended on 2027-01-07"):
        record_confirmation(people["mediator"], case.id, agreement.id, Confirmation.APPLIED, COURT, "", late)


def test_the_signed_copy_is_archived_as_the_original_once(app, people):
    case = mediate_to_agreement(people)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    client = app.test_client()
    sign_in(client, people["mediator"].username)
    page = client.get(f"/desk/cases/{case.public_number}?lang=en")
    url = f"/desk/cases/{case.public_number}/agreements/{agreement.id}/signed"
    token = csrf_from(page.data)
    nothing = client.post(url, data={"csrf_token": token}, content_type="multipart/form-data")
    assert nothing.status_code == 422
    not_a_picture = {"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.4 no"), "scan.pdf")}
    assert client.post(url, data=not_a_picture, content_type="multipart/form-data").status_code == 422
    scan = {"csrf_token": token, "file": (io.BytesIO(jpeg()), "signed.jpg")}
    assert client.post(url, data=scan, content_type="multipart/form-data").status_code == 302
    db.session.refresh(agreement)
    assert agreement.signed_original_id is not None
    assert case_events(case)[-1].action == "signed_original"
    shown = client.get(f"/desk/cases/{case.public_number}?lang=en").get_data(as_text=True)
    assert "the archived scan" in shown
    again = {"csrf_token": token, "file": (io.BytesIO(jpeg()), "again.jpg")}
    assert client.post(url, data=again, content_type="multipart/form-data").status_code == 422


def test_a_signed_copy_scanned_to_pdf_is_archived_among_the_evidence(app, people):
    """An office scanner writes the signed pages as one PDF: it is kept as an evidence file of the
    case (checked, encrypted), and the agreement points to it."""
    case = mediate_to_agreement(people)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    client = app.test_client()
    sign_in(client, people["mediator"].username)
    path = f"/desk/cases/{case.public_number}"
    token = csrf_from(client.get(f"{path}?lang=en").data)
    scan = {"csrf_token": token, "file": (io.BytesIO(pdf_file(pages=3)), "signed.pdf")}
    url = f"{path}/agreements/{agreement.id}/signed"
    assert client.post(url, data=scan, content_type="multipart/form-data").status_code == 302
    db.session.refresh(agreement)
    evidence = db.session.get(MediationEvidence, agreement.signed_original_evidence_id)
    assert (evidence.kind, evidence.pages, agreement.signed_original_id) == ("document", 3, None)
    assert evidence_title(evidence) == f"人民调解协议书签字原件 {agreement.committee_name}{agreement.number}"
    assert case_events(case)[-1].payload["evidence_id"] == evidence.id
    shown = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert f'href="#evidence-{evidence.id}"' in shown and f'id="evidence-{evidence.id}"' in shown
    again = {"csrf_token": token, "file": (io.BytesIO(pdf_file()), "again.pdf")}
    assert client.post(url, data=again, content_type="multipart/form-data").status_code == 422


def test_the_agreement_performance_rate_counts_agreements_whose_performance_is_known(api_as, people):
    """协议履行率 = agreements performed in full / agreements whose performance was recorded; one
    still before its deadline counts in neither."""
    performed, partly, _still_due = (mediate_to_agreement(people, f"纠纷{n}") for n in range(3))
    for case, outcome in ((performed, Performance.PERFORMED), (partly, Performance.PARTLY)):
        agreement = db.session.scalar(
            sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id)
        )
        record_performance(people["mediator"], case.id, agreement.id, outcome, "", in_december(21))
    refresh_rollups(full=True)
    stats = api_as(people["township"]).get(f"/api/v1/stats?region={FENGQIAO}&from=2026-12-01&to=2026-12-31")
    figures = stats.json["indicators"]
    assert (figures["agreements_checked"], figures["agreement_performance_rate"]) == (2, 0.5)
