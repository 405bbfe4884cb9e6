"""What a citizen reads about a case's status: fixed words, never the free text handlers write,
which may name people. Open311's `status_notes` and updates feed and the public tracking page say
the same. Pure: no database."""

from __future__ import annotations

from gridcase.cases.domain import Status

OUTCOME_ZH = {
    "mediated": "调解成功",
    "agreement_signed": "签订调解协议",
    "referred_to_court": "引导通过诉讼解决",
    "referred_to_department": "移交职能部门处理",
    "explained": "已解释说明",
    "other": "已处理",
}


def status_notes(status: str, outcome: str | None = None, duplicate: bool = False) -> str:
    """The `status_notes` of a request: why it has its status, in the city's words."""
    status = Status(status)
    if status is Status.PENDING:
        return "已登记，等待受理。"
    if status is Status.IN_PROGRESS:
        return "已受理，正在办理。"
    if status is Status.RESOLVED:
        return f"已化解（{OUTCOME_ZH.get(outcome or 'other', '已处理')}），等待核查。"
    if status is Status.REJECTED:
        return "不予受理。"
    if duplicate:
        return "与已登记的同一事项合并办理（重复件）。"
    return "已办结。"


def update_description(action: str, to_status: str, payload: dict) -> str:
    """The description of one status change in the updates feed."""
    reopened = Status(to_status) is Status.IN_PROGRESS
    if action == "accept":
        return "已受理，正在办理。"
    if action == "resolve":
        return status_notes(Status.RESOLVED, payload.get("outcome"))
    if action == "verify":
        return "核查未通过，重新办理。" if reopened else "经核查已办结。"
    if action == "revisit" and reopened:
        return "回访不满意，重新办理。"
    if action == "reopen":
        return "重新办理。"
    if action == "mark_duplicate":
        return status_notes(Status.CLOSED, duplicate=True)
    return status_notes(to_status, payload.get("outcome"))
