"""The 人民调解协议书 as a document (DOCX, what offices edit and print, or PDF), with the contents
人民调解法 第二十九条 asks for — the parties' details, the main facts and points in dispute, the
agreed terms with how and by when they are performed — and the signature and seal blocks.

The parties are written in full on the document only: producing it is a reveal of their details,
with a reason, audited and in the case's timeline, like showing a party on the case page.
"""

from __future__ import annotations

from datetime import date, datetime

from gridcase.cases.domain import PartyRole
from gridcase.cases.parties import case_to_reveal, in_clear, record_reveal
from gridcase.extensions import db
from gridcase.mediation.agreements import agreement_of
from gridcase.mediation.models import MediationAgreement
from gridcase.people.models import User
from gridcase.printing import Format, Paperwork
from gridcase.settings import utcnow

BLANK_DATE = "　　　　年　　月　　日"


def agreement_document(
    user: User,
    ref,
    agreement_id: int,
    reason: str,
    fmt: Format = Format.DOCX,
    now: datetime | None = None,
):
    """The agreement's document (bytes, DOCX or PDF) and its file name, for a handler of the
    case who gives a reason; the reveal is audited.

    Raises:
        NotFound: no such case in scope, or no such agreement on it.
        Forbidden: the user does not handle the case.
        Unprocessable: no reason, or too short a one.
    """
    case, reason = case_to_reveal(user, ref, reason)
    agreement = agreement_of(case, agreement_id)
    record_reveal(
        user,
        case,
        f"agreement {agreement.id}",
        {"agreement_id": agreement.id, "format": fmt.suffix},
        reason,
        now or utcnow(),
    )
    parties = [(PartyRole(p.party_role), in_clear(p)) for p in case.parties]
    paperwork = agreement_paperwork(agreement, parties, mediator_name(agreement))
    name = f"调解协议书-{agreement.committee_name}-{agreement.year}-{agreement.sequence}.{fmt.suffix}"
    return paperwork.render(fmt), name


def mediator_name(agreement: MediationAgreement) -> str:
    mediator = db.session.get(User, agreement.mediator_id)
    return mediator.display_name if mediator else ""


def agreement_paperwork(
    agreement: MediationAgreement, parties: list[tuple[PartyRole, dict]], mediator: str
) -> Paperwork:
    """The document itself, from the agreement and the parties in clear."""
    paper = Paperwork(f"人民调解协议书 {agreement.committee_name}{agreement.number}")
    paper.add("人民调解协议书", "title").add(f"{agreement.committee_name}　{agreement.number}", "centred")
    paper.add("当事人：")
    for role, person in parties:
        paper.add(party_line(role, person) + "。")
    paper.add("纠纷主要事实、争议事项：", "heading")
    paper.lines("\n".join(t for t in (agreement.facts, agreement.disputed_points) if t))
    paper.add("经调解，当事人自愿达成如下协议：", "heading").lines(agreement.terms)
    method = agreement.performance_method or "按上述协议内容履行"
    paper.add("履行方式、时限：", "heading")
    paper.add(f"{method}，于{chinese_date(agreement.performance_deadline)}前履行完毕。")
    copies = len(parties) + 1
    paper.add(
        "本协议书自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。"
        f"本协议书一式{copies}份，当事人各执一份，人民调解委员会留存一份。"
    )
    paper.add("")
    for role, _person in parties:
        paper.add(f"{role.zh}（签名、盖章或按指印）：____________")
    paper.add(f"人民调解员（签名）：{mediator}____________")
    paper.add(f"{agreement.committee_name}（印章）")
    paper.add(chinese_date(agreement.signed_at) if agreement.signed_at else BLANK_DATE, "right")
    return paper


def party_line(role: PartyRole, person: dict) -> str:
    """A party as the paperwork names them: role, name, ID number and phone, in full."""
    details = [f"{role.zh}：{person['name']}"]
    if person.get("id_number"):
        details.append(f"公民身份号码：{person['id_number']}")
    if person.get("phone"):
        details.append(f"联系电话：{person['phone']}")
    return "，".join(details)


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
