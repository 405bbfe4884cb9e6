"""Vocabulary of a case (DESIGN §2): each value list is one enum here, with its labels from the
translation catalogue (gridcase.vocabulary). Pure: no database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gridcase.vocabulary import LabelledEnum


class CaseKind(LabelledEnum):
    INCIDENT = "incident", _l("Incident")  # 事件
    DISPUTE = "dispute", _l("Dispute")  # 矛盾纠纷


class Severity(LabelledEnum):
    GENERAL = "general", _l("General")  # 一般
    SIGNIFICANT = "significant", _l("Significant")  # 较大
    MAJOR = "major", _l("Major")  # 重大
    CRITICAL = "critical", _l("Critical")  # 特别重大


# Lower rank is less severe (sorting by severity).
SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity)}


class Status(LabelledEnum):
    PENDING = "pending", _l("Pending")  # 待受理
    IN_PROGRESS = "in_progress", _l("In progress")  # 办理中
    RESOLVED = "resolved", _l("Resolved")  # 已化解 (awaiting verification)
    CLOSED = "closed", _l("Closed")  # 已办结
    REJECTED = "rejected", _l("Rejected")  # 不予受理


# The two sets every rule, query and index means by "open" and "done". Ordered, because SQL
# written from them (partial-index predicates) must come out the same every time.
OPEN_STATUSES = (Status.PENDING, Status.IN_PROGRESS)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Source(LabelledEnum):
    GRID_WORKER = "grid_worker", _l("Grid worker")  # 网格员上报
    PUBLIC = "public", _l("Public")  # 群众随手拍 / Open311
    HOTLINE = "hotline", _l("12345 hotline")  # 12345
    REFERRAL = "referral", _l("Referral")  # 上级交办
    VISIT = "visit", _l("Visit")  # 来访: in person at a centre's desk
    CALL = "call", _l("Call")  # 来电: to a centre's own line
    LETTER = "letter", _l("Letter")  # 来信
    ONLINE = "online", _l("Online")  # 网上: a message board, a mini-programme


# What a front desk (一窗受理) records a matter as, in the order of its list (DESIGN §2).
DESK_SOURCES = (
    Source.VISIT,
    Source.CALL,
    Source.LETTER,
    Source.ONLINE,
    Source.HOTLINE,
    Source.REFERRAL,
    Source.GRID_WORKER,
)


class Disposition(LabelledEnum):
    """What the front desk does with a matter it registers."""

    ACCEPT = "accept", _l("Accept it here")  # 本级受理
    DISPATCH = "dispatch", _l("Accept it and dispatch it to a unit")  # 受理并派遣
    RESOLVE = "resolve", _l("It was settled at the desk")  # 当场化解
    REGISTER = "register", _l("Register it for the level the rules give")  # 登记转办


class Outcome(LabelledEnum):
    MEDIATED = "mediated", _l("Mediated")  # 调解成功
    AGREEMENT_SIGNED = "agreement_signed", _l("Agreement signed")  # 签订调解协议
    REFERRED_TO_COURT = "referred_to_court", _l("Referred to court")  # 引导诉讼
    REFERRED_TO_DEPARTMENT = "referred_to_department", _l("Referred to a department")  # 移交职能部门
    EXPLAINED = "explained", _l("Explained")  # 解释说明
    OTHER = "other", _l("Other")


# What a grid worker offers for a matter settled on the spot (就地化解), the usual one first: a
# referral to court is never settled on the spot.
ON_SPOT_OUTCOMES = (
    Outcome.MEDIATED,
    Outcome.EXPLAINED,
    Outcome.AGREEMENT_SIGNED,
    Outcome.REFERRED_TO_DEPARTMENT,
    Outcome.OTHER,
)


class Satisfaction(LabelledEnum):
    """The answer of a revisit (回访); dissatisfied reopens the case."""

    SATISFIED = "satisfied", _l("Satisfied")  # 满意
    BASICALLY_SATISFIED = "basically_satisfied", _l("Basically satisfied")  # 基本满意
    DISSATISFIED = "dissatisfied", _l("Dissatisfied")  # 不满意


class RevisitMethod(LabelledEnum):
    """How a 回访 asked the reporter or a party (by someone other than the case's handler)."""

    PHONE = "phone", _l("By phone")  # 电话回访
    VISIT = "visit", _l("In person")  # 上门回访
    HOTLINE = "hotline", _l("By the 12345 hotline")  # 12345 回访
    CODE = "code", _l("Answered with a one-time code")  # 短信/回访单: the person answers themselves


# How the centre's staff or a hotline system reach the person themselves.
STAFF_REVISIT_METHODS = (RevisitMethod.PHONE, RevisitMethod.VISIT, RevisitMethod.HOTLINE)

# The answers a satisfaction rate (满意率) counts as satisfied.
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


class SupervisionGrade(LabelledEnum):
    """A 督办单's grade (GRIDCASE_SUPERVISION_RED decides which)."""

    YELLOW = "yellow", _l("Yellow card")  # 黄牌
    RED = "red", _l("Red card")  # 红牌


class SupervisionStatus(LabelledEnum):
    OPEN = "open", _l("Awaiting reply")  # 待回复
    REPLIED = "replied", _l("Replied")  # 已回复, to evaluate
    ACCEPTED = "accepted", _l("Reply accepted")  # 已认可
    AGAIN = "again", _l("Supervised again")  # 再次督办


class PartyRole(LabelledEnum):
    APPLICANT = "applicant", _l("Applicant")  # 申请人
    RESPONDENT = "respondent", _l("Respondent")  # 被申请人
    THIRD_PARTY = "third_party", _l("Third party")  # 第三人
    OTHER = "other", _l("Other")


def initial_level(severity: Severity | str, ladder: list[str], group_dispute: bool = False) -> str:
    """The ladder level a new case starts at (DESIGN §3).

    general → the lowest level (小事不出村); significant → township (大事不出镇);
    major and critical → the top level. A group dispute (群体性纠纷: a dispute with at least
    GRIDCASE_MASS_INCIDENT_THRESHOLD people involved) starts no lower than a significant matter.
    """
    severity = Severity(severity)
    if group_dispute and severity is Severity.GENERAL:
        severity = Severity.SIGNIFICANT
    if severity is Severity.GENERAL:
        return ladder[0]
    if severity is Severity.SIGNIFICANT:
        return "township" if "township" in ladder else ladder[min(1, len(ladder) - 1)]
    return ladder[-1]


def public_number(city_code: str, local_day: str, sequence: int) -> str:
    """一事一编码: `{6-digit city code}-{yyyymmdd}-{6-digit sequence}`."""
    return f"{city_code[:6]}-{local_day}-{sequence:06d}"
