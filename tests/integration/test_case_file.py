"""The case file of a dispute (人民调解卷宗, issue 15): one bundle in the customary order, the
parties in full for an audited reason; archived by the sweep once the dispute is closed with
nothing left to follow up, after which every copy is the archived PDF and the record is read-only."""

import io

import pytest
import sqlalchemy as sa
from docx import Document

from gridcase.cases.operations import perform_action
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.jobs import archive_case_files
from gridcase.mediation.agreements import record_performance
from gridcase.mediation.case_file import PARTS
from gridcase.mediation.domain import Performance
from gridcase.mediation.evidence import add_evidence
from gridcase.mediation.models import MediationAgreement, MediationCaseFile
from gridcase.mediation.sessions import record_session
from tests.helpers import in_december
from tests.integration.test_mediation_agreements import mediate_to_agreement, pdf_text
from tests.integration.test_mediation_evidence import FIXTURES


def act(user, case, action, now, **payload):
    return perform_action(user, case.id, action, case.version, payload, now=now)


def with_record(people):
    """A dispute mediated to an agreement, with an inquiry and a sitting on record."""
    case = mediate_to_agreement(people)
    for kind, held, text in (
        ("investigation", in_december(7, 15), "现场查看：围墙东端越界约0.5米。"),
        ("mediation", in_december(8), "钱建国称围墙越界；孙丽华同意拆除越界部分。"),
    ):
        body = {"kind": kind, "held_at": held, "place": "村调委会", "party_ids": [p.id for p in case.parties]}
        record_session(people["mediator"], case.id, {**body, "record": text}, in_december(8, 12))
    return case


def case_file(api, case, fmt="docx"):
    return api.post(f"/api/v1/cases/{case.id}/case-file", json={"reason": "调阅卷宗备查", "format": fmt})


def test_the_case_file_lists_its_parts_in_order_and_holds_them(api_as, people):
    case = with_record(people)
    recording = (FIXTURES / "recording.m4a").read_bytes()
    evidence, _ = add_evidence(people["mediator"], case.id, recording, "现场录音", in_december(8, 13))
    answer = case_file(api_as(people["mediator"]), case)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    paragraphs = [p.text for p in Document(io.BytesIO(answer.data)).paragraphs]
    contents = paragraphs.index("卷内目录")
    listed = paragraphs[contents + 1 : contents + 1 + len(PARTS) - 2]
    assert listed == [f"{n}. {part}" for n, part in enumerate(PARTS[2:], start=1)]
    headings = [paragraphs.index(part, contents + len(PARTS)) for part in PARTS[2:]]
    assert headings == sorted(headings)  # bound in the order the contents give
    text = "\n".join(paragraphs)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    for expected in (
        "11010519491231002X",
        "现场查看：围墙东端越界约0.5米。",
        "孙丽华同意拆除越界部分",
        agreement.number,
        "1. 现场录音（录音，0分02秒，",  # the evidence listed, its fingerprint beside it
        f"SHA-256：{evidence.sha256}",
    ):
        assert expected in text, expected
    assert text.index("现场查看") < text.index("孙丽华同意拆除越界部分")  # 调查记录 before 调解笔录
    assert case_file(api_as(people["worker"]), case).status_code == 403
    assert case_file(api_as(people["unit"]), case).status_code == 404


def test_a_closed_dispute_is_archived_once_nothing_is_left_to_follow_up(api_as, people):
    case = with_record(people)
    agreement = db.session.scalar(sa.select(MediationAgreement).where(MediationAgreement.case_id == case.id))
    act(people["mediator"], case, "resolve", in_december(9), outcome="agreement_signed", summary="签订协议")
    act(people["worker"], case, "verify", in_december(9, 14), passed=True, note="现场已拆除")
    act(people["township"], case, "revisit", in_december(10), satisfaction="satisfied", note="双方满意")
    assert case.status == "closed"
    archive_case_files(in_december(10, 12))
    assert db.session.get(MediationCaseFile, case.id) is None  # its performance is still to record
    record_performance(
        people["mediator"], case.id, agreement.id, Performance.PERFORMED, "已拆除并付款", in_december(21)
    )
    report = archive_case_files(in_december(21, 12))
    archived = db.session.get(MediationCaseFile, case.id)
    assert report.archived == (case.public_number,) and archived is not None
    assert case.events[-1].action == "archive"
    text = pdf_text(archived.pdf)
    assert "人民调解卷宗" in text and "已拆除并付款" in text and case.public_number in text
    api = api_as(people["mediator"])
    copy = case_file(api, case, "pdf")
    assert copy.status_code == 200 and copy.data == archived.pdf  # every copy is the archived one
    assert case_file(api, case, "docx").status_code == 422
    with pytest.raises(Unprocessable, match="archived"):  # the record is read-only now
        record_performance(
            people["mediator"], case.id, agreement.id, Performance.PARTLY, "改记", in_december(22)
        )
    assert archive_case_files(in_december(22)).archived == ()  # once
