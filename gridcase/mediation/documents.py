"""The 人民调解协议书 as a Word document (DOCX: what offices edit and print), with the contents
人民调解法 第二十九条 asks for — the parties' details, the main facts and points in dispute, the
agreed terms with how and by when they are performed — and the signature and seal blocks.

The parties are written in full on the document only: producing it is a reveal of their details,
with a reason, audited and in the case's timeline, like showing a party on the case page.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from gridcase.cases.domain import PartyRole
from gridcase.cases.parties import case_to_reveal, in_clear, record_reveal
from gridcase.extensions import db
from gridcase.mediation.agreements import agreement_of
from gridcase.mediation.models import MediationAgreement
from gridcase.people.models import User
from gridcase.settings import utcnow

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "SimSun"  # 宋体, what the offices' documents use; Word substitutes where it lacks it
BLANK_DATE = "　　　　年　　月　　日"


def agreement_document(user: User, ref, agreement_id: int, reason: str, now: datetime | None = None):
    """The agreement's DOCX (bytes) and its file name, for a handler of the case who gives a
    reason; the reveal is audited.

    Raises:
        NotFound: no such case in scope, or no such agreement on it.
        Forbidden: the user does not handle the case.
        Unprocessable: no reason, or too short a one.
    """
    case, reason = case_to_reveal(user, ref, reason)
    agreement = agreement_of(case, agreement_id)
    record_reveal(
        user, case, f"agreement {agreement.id}", {"agreement_id": agreement.id}, reason, now or utcnow()
    )
    parties = [(PartyRole(p.party_role), in_clear(p)) for p in case.parties]
    mediator = db.session.get(User, agreement.mediator_id)
    content = render_agreement(agreement, parties, mediator.display_name if mediator else "")
    return content, f"调解协议书-{agreement.committee_name}-{agreement.year}-{agreement.sequence}.docx"


def render_agreement(
    agreement: MediationAgreement, parties: list[tuple[PartyRole, dict]], mediator: str
) -> bytes:
    """The document itself, from the agreement and the parties in clear."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # CJK text takes this font

    _centred(document, "人民调解协议书", size=18, bold=True)
    _centred(document, f"{agreement.committee_name}　{agreement.number}")
    document.add_paragraph("当事人：")
    for role, person in parties:
        details = [f"{role.zh}：{person['name']}"]
        if person.get("id_number"):
            details.append(f"公民身份号码：{person['id_number']}")
        if person.get("phone"):
            details.append(f"联系电话：{person['phone']}")
        document.add_paragraph("，".join(details) + "。")
    _section(
        document,
        "纠纷主要事实、争议事项：",
        "\n".join(t for t in (agreement.facts, agreement.disputed_points) if t),
    )
    _section(document, "经调解，当事人自愿达成如下协议：", agreement.terms)
    method = agreement.performance_method or "按上述协议内容履行"
    _section(
        document,
        "履行方式、时限：",
        f"{method}，于{_chinese_date(agreement.performance_deadline)}前履行完毕。",
    )
    copies = len(parties) + 1
    document.add_paragraph(
        "本协议书自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。"
        f"本协议书一式{copies}份，当事人各执一份，人民调解委员会留存一份。"
    )
    document.add_paragraph("")
    for role, _person in parties:
        document.add_paragraph(f"{role.zh}（签名、盖章或按指印）：____________")
    document.add_paragraph(f"人民调解员（签名）：{mediator}____________")
    document.add_paragraph(f"{agreement.committee_name}（印章）")
    signed = _chinese_date(agreement.signed_at) if agreement.signed_at else BLANK_DATE
    document.add_paragraph(signed).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _centred(document, text: str, size: int = 12, bold: bool = False) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.font.size = bold, Pt(size)


def _section(document, heading: str, text: str) -> None:
    document.add_paragraph(heading)
    for line in (text or "").splitlines() or [""]:
        document.add_paragraph(line)


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
