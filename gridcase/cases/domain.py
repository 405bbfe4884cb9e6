"""Vocabulary of a case (DESIGN §2). Pure: no database, no Flask."""

from __future__ import annotations

from enum import StrEnum

# Ladder levels as people in the field name them (used in alert and notification texts).
LEVEL_NAMES_ZH = {"grid": "网格", "community": "村社区", "township": "镇街", "district": "区县", "city": "市"}


class CaseKind(StrEnum):
    INCIDENT = "incident"  # 事件
    DISPUTE = "dispute"  # 矛盾纠纷


class Severity(StrEnum):
    GENERAL = "general"  # 一般
    SIGNIFICANT = "significant"  # 较大
    MAJOR = "major"  # 重大
    CRITICAL = "critical"  # 特别重大


SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
SEVERITY_NAMES_ZH = {"general": "一般", "significant": "较大", "major": "重大", "critical": "特别重大"}


class Status(StrEnum):
    PENDING = "pending"  # 待受理
    IN_PROGRESS = "in_progress"  # 办理中
    RESOLVED = "resolved"  # 已化解 (awaiting verification)
    CLOSED = "closed"  # 已办结
    REJECTED = "rejected"  # 不予受理


OPEN_STATUSES = frozenset({Status.PENDING, Status.IN_PROGRESS})
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})


class Source(StrEnum):
    GRID_WORKER = "grid_worker"  # 网格员上报
    PUBLIC = "public"  # 随手拍 / Open311
    HOTLINE = "hotline"  # 12345
    REFERRAL = "referral"  # 上级交办


class Outcome(StrEnum):
    MEDIATED = "mediated"  # 调解成功
    AGREEMENT_SIGNED = "agreement_signed"  # 签订调解协议
    REFERRED_TO_COURT = "referred_to_court"  # 引导诉讼
    REFERRED_TO_DEPARTMENT = "referred_to_department"  # 移交职能部门
    EXPLAINED = "explained"  # 解释说明
    OTHER = "other"


class PartyRole(StrEnum):
    APPLICANT = "applicant"  # 申请人
    RESPONDENT = "respondent"  # 被申请人
    THIRD_PARTY = "third_party"  # 第三人
    OTHER = "other"


def initial_level(severity: Severity | str, ladder: list[str]) -> str:
    """The ladder level a new case starts at (DESIGN §3).

    general → the lowest level (小事不出村); significant → township (大事不出镇);
    major and critical → the top level.
    """
    severity = Severity(severity)
    if severity is Severity.GENERAL:
        return ladder[0]
    if severity is Severity.SIGNIFICANT:
        return "township" if "township" in ladder else ladder[min(1, len(ladder) - 1)]
    return ladder[-1]


def public_number(city_code: str, local_day: str, sequence: int) -> str:
    """一事一编码: `{6-digit city code}-{yyyymmdd}-{6-digit sequence}`."""
    return f"{city_code[:6]}-{local_day}-{sequence:06d}"
