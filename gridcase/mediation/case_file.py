"""The case file of a dispute (人民调解卷宗): one bundle in the customary order — cover, list of
contents, 受理登记表, 调查记录, 证据材料 (listed: the files themselves are kept electronically,
each with its SHA-256), 调解笔录 (人民调解记录), 协议书, 回访记录 — as DOCX or PDF.

It names the parties in full (it is the committee's record), so producing it is a reveal with a
reason, audited. Once the dispute is closed and nothing of it is still being followed up (no
agreement awaiting its performance outcome, no 司法确认 awaiting the court's ruling, no court's
referral awaiting its result), the sweep
archives the file: the PDF is stored with its hash and from then on every copy is that one, and
the mediation record takes nothing more (sessions, invitations, follow-ups, signed originals).

Source: 司法部 人民调解文书格式 and the 卷宗 practice of the committees (立卷归档: 一案一卷, the
papers in the order the dispute went through them).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale

from gridcase.cases.domain import Outcome, PartyRole, RevisitMethod, Satisfaction, Source
from gridcase.cases.events import log_beside
from gridcase.cases.lifecycle import LoggedAction
from gridcase.cases.models import Case
from gridcase.cases.parties import case_to_reveal, in_clear, record_reveal
from gridcase.errors import Forbidden, Unprocessable
from gridcase.extensions import db
from gridcase.mediation.agreements import case_agreements, committee_name, committee_of
from gridcase.mediation.archive import archived_file
from gridcase.mediation.documents import agreement_paperwork, chinese_date, mediator_name, party_line
from gridcase.mediation.domain import Confirmation, EvidenceKind, Performance, ReferralResult, SessionKind
from gridcase.mediation.evidence import evidence_title
from gridcase.mediation.models import (
    CourtReferral,
    MediationAgreement,
    MediationCaseFile,
    MediationEvidence,
    MediationSession,
)
from gridcase.mediation.sessions import session_record
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import UNIT_ROLES
from gridcase.printing import Format, Paperwork
from gridcase.settings import local_tz, utcnow

# The parts of a case file, in the order they are bound.
PARTS = (
    "卷宗封面",
    "卷内目录",
    "人民调解受理登记表",
    "人民调解调查记录",
    "证据材料目录",
    "人民调解记录",
    "人民调解协议书",
    "人民调解回访记录",
)
ARCHIVE_BATCH = 50


def case_file_document(user: User, ref, reason: str, fmt: Format, now: datetime | None = None):
    """The case file (bytes) and its file name, for a handler of the dispute who gives a reason;
    once archived, the stored PDF (a Word copy is no longer made).

    Raises:
        NotFound: no such case in scope.
        Forbidden: not a handler of the case (a unit's people included: the file is the committee's).
        Unprocessable: not a dispute, no reason, or a Word copy of an archived file.
    """
    case, reason = case_to_reveal(user, ref, reason)
    if user.role in UNIT_ROLES:
        raise Forbidden(Message("The case file is the mediation committee's: its handlers produce it."))
    if case.kind != "dispute":
        raise Unprocessable(Message("Only a dispute has a mediation case file."))
    archived = archived_file(case.id)
    if archived is not None and fmt is not Format.PDF:
        problem = Message("The case file is archived: its copy is the archived PDF.")
        raise Unprocessable(problem, {"format": [problem]})
    record_reveal(user, case, "case file", {"case_file": True, "format": fmt.suffix}, reason, now or utcnow())
    content = archived.pdf if archived is not None else case_file_paperwork(case).render(fmt)
    return content, f"人民调解卷宗-{case.public_number}.{fmt.suffix}"


def case_file_paperwork(case: Case) -> Paperwork:
    """The bundle, parties in clear, in Chinese whatever the reader's language."""
    with force_locale("zh"):
        return _bundle(case)


def archive_closed_files(now: datetime) -> list[Case]:
    """Archive the files of closed disputes with nothing left to follow up (a batch per sweep;
    rows a person holds are left to the next): each stored as PDF with its SHA-256, and the
    timeline says so."""
    pending = sa.exists().where(
        MediationAgreement.case_id == Case.id,
        sa.or_(
            MediationAgreement.performance.is_(None), MediationAgreement.confirmation == Confirmation.APPLIED
        ),
    )
    awaiting_result = sa.exists().where(CourtReferral.case_id == Case.id, CourtReferral.result.is_(None))
    cases = db.session.scalars(
        sa.select(Case)
        .where(
            Case.kind == "dispute",
            Case.status == "closed",
            ~sa.exists().where(MediationCaseFile.case_id == Case.id),
            ~pending,
            ~awaiting_result,
        )
        .order_by(Case.id)
        .limit(ARCHIVE_BATCH)
        .with_for_update(skip_locked=True, of=Case)
    ).all()
    for case in cases:
        pdf = case_file_paperwork(case).render(Format.PDF)
        sha256 = hashlib.sha256(pdf).hexdigest()
        db.session.add(MediationCaseFile(case_id=case.id, archived_at=now, pdf=pdf, sha256=sha256))
        log_beside(case, LoggedAction.ARCHIVE, None, {"sha256": sha256, "parts": list(PARTS)}, now)
    return list(cases)


# --- the bundle ------------------------------------------------------------------------------


def _bundle(case: Case) -> Paperwork:
    committee = committee_name(committee_of(case))
    sessions = db.session.scalars(
        sa.select(MediationSession)
        .where(MediationSession.case_id == case.id)
        .order_by(MediationSession.held_at, MediationSession.id)
    ).all()
    agreements = case_agreements(case.id)
    revisits = [e for e in case.events if e.action == "revisit"]
    parties = [(PartyRole(p.party_role), in_clear(p)) for p in case.parties]
    paper = Paperwork(f"人民调解卷宗 {case.public_number}")
    _cover(paper, case, committee, parties)
    paper.page_break().add("卷内目录", "title")
    for number, part in enumerate(PARTS[2:], start=1):
        paper.add(f"{number}. {part}")
    paper.page_break()
    _registration(paper, case, committee, parties)
    for kind, part in ((SessionKind.INVESTIGATION, PARTS[3]), (SessionKind.MEDIATION, PARTS[5])):
        paper.page_break().add(part, "title")
        chosen = [s for s in sessions if s.kind == kind.value]
        for index, session in enumerate(chosen, start=1):
            _session(paper, session, index)
        if not chosen:
            paper.add("（无）")
        if kind is SessionKind.INVESTIGATION:
            _evidence(paper, case)
    paper.page_break()
    for index, agreement in enumerate(agreements):
        if index:
            paper.page_break()
        paper.extend(agreement_paperwork(agreement, parties, mediator_name(agreement)))
    if not agreements:
        paper.add(PARTS[6], "title").add("（未达成调解协议）")
    paper.page_break().add(PARTS[7], "title")
    for agreement in agreements:
        _performance(paper, agreement)
    for event in revisits:
        _revisit(paper, event)
    if not revisits and not any(a.performance for a in agreements):
        paper.add("（无）")
    return paper


def _cover(paper: Paperwork, case: Case, committee: str, parties) -> None:
    paper.add("人民调解卷宗", "title").add(committee, "subtitle").add("")
    paper.add(f"案件编号：{case.public_number}")
    paper.add(f"案由：{case.category.name}　{case.title}")
    paper.add("当事人：" + "、".join(person["name"] for _role, person in parties))
    paper.add(f"受理日期：{chinese_date(_local_day(case.created_at))}")
    closed = case.closed_at or case.resolved_at
    paper.add(f"结案日期：{chinese_date(_local_day(closed)) if closed else '（未结案）'}")
    if case.resolution_outcome:
        paper.add(f"调解结果：{Outcome(case.resolution_outcome).label}")


def _registration(paper: Paperwork, case: Case, committee: str, parties) -> None:
    paper.add(PARTS[2], "title").add(committee, "centred")
    paper.add(f"编号：{case.public_number}　　来源：{Source(case.source).label}")
    paper.add(f"受理时间：{_local_time(case.created_at)}")
    _court_referral(paper, db.session.get(CourtReferral, case.id))
    if case.occurred_at:
        paper.add(f"事发时间：{_local_time(case.occurred_at)}")
    paper.add(f"纠纷地点：{case.address or case.grid.name}")
    paper.add("当事人：", "heading")
    for role, person in parties:
        paper.add(party_line(role, person))
    if case.informant is not None:
        informant = in_clear(case.informant)
        paper.add(
            f"反映人：{informant['name']}"
            + (f"，联系电话：{informant['phone']}" if informant.get("phone") else "")
        )
    paper.add("纠纷简要情况：", "heading").lines(case.description)
    paper.add(f"登记人：{case.reporter.display_name}")


def _court_referral(paper: Paperwork, referral: CourtReferral | None) -> None:
    """诉前调解: the court's referral (委派调解) and the result reported back to it."""
    if referral is None:
        return
    paper.add(
        f"委派法院：{referral.court.name}　法院案号：{referral.court_number}　"
        f"委派日期：{chinese_date(referral.referred_on)}　调解期限至：{chinese_date(referral.due_on)}"
        + ("（经双方当事人同意延长）" if referral.extended_at else "")
    )
    if referral.result:
        paper.add(
            f"诉前调解结果：{ReferralResult(referral.result).label}　"
            f"反馈法院时间：{_local_time(referral.reported_at)}"
            + (f"　{referral.result_note}" if referral.result_note else "")
        )
    else:
        paper.add("诉前调解结果：（尚未反馈法院）")


def _session(paper: Paperwork, session: MediationSession, index: int) -> None:
    paper.add(f"第{index}次", "heading")
    paper.add(f"时间：{_local_time(session.held_at)}　地点：{session.place or '—'}")
    paper.add("调解员：" + "、".join(m.display_name for m in session.mediators))
    paper.add("到场当事人：" + ("、".join(in_clear(p)["name"] for p in session.parties) or "—"))
    paper.add("记录：", "heading").lines(session_record(session))
    paper.add("当事人（签名）：____________　　记录人（签名）：____________")


def _evidence(paper: Paperwork, case: Case) -> None:
    """The list of evidence files beyond photos: what each is, its kind and extent, who added it
    and when, and its fingerprint — the files themselves stay in the system, encrypted."""
    paper.page_break().add(PARTS[4], "title")
    files = db.session.execute(
        sa.select(MediationEvidence, User.display_name)
        .join(User, User.id == MediationEvidence.uploaded_by_id)
        .where(MediationEvidence.case_id == case.id)
        .order_by(MediationEvidence.id)
    ).all()
    for number, (evidence, uploader) in enumerate(files, start=1):
        extent = f"{evidence.pages}页" if evidence.pages else _duration(evidence.duration_seconds)
        paper.add(
            f"{number}. {evidence_title(evidence)}（{EvidenceKind(evidence.kind).label}，{extent}，"
            f"{evidence.size_bytes}字节）　提交：{uploader}　{_local_time(evidence.created_at)}"
        )
        paper.add(f"SHA-256：{evidence.sha256}" + ("（保存期满，文件已删除）" if evidence.erased_at else ""))
    if files:
        paper.add("以上证据材料以电子文件存档，可凭 SHA-256 校验与原件一致。")
    else:
        paper.add("（无）")


def _duration(seconds: float | None) -> str:
    whole = round(seconds or 0)
    return f"{whole // 60}分{whole % 60:02d}秒"


def _performance(paper: Paperwork, agreement: MediationAgreement) -> None:
    paper.add(f"协议{agreement.number}履行情况回访", "heading")
    if agreement.performance:
        when = _local_time(agreement.performance_recorded_at) if agreement.performance_recorded_at else ""
        paper.add(f"{when}　{Performance(agreement.performance).label}　{agreement.performance_note or ''}")
    else:
        paper.add("（尚未记录履行情况）")
    if agreement.confirmation:
        paper.add(
            f"司法确认：{Confirmation(agreement.confirmation).label}　{agreement.confirmation_note or ''}"
        )


def _revisit(paper: Paperwork, event) -> None:
    p = event.payload
    method = RevisitMethod(p["method"]).label if p.get("method") in RevisitMethod._value2member_map_ else ""
    satisfaction = Satisfaction(p["satisfaction"]).label if p.get("satisfaction") else ""
    who = event.actor.display_name if event.actor else "当事人本人"
    paper.add(f"{_local_time(event.at)}　{method}　{satisfaction}　回访人：{who}")
    if p.get("note"):
        paper.add(p["note"])


def _local_day(at: datetime):
    return at.astimezone(local_tz()).date()


def _local_time(at: datetime) -> str:
    return at.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")
