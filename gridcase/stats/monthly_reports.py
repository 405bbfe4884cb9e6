"""A node's monthly report as its centre issues it (月报签发): the centre's own text saved as a
draft, the month issued once it is over, and from then on the snapshot read in its place.

Issuing follows the practice of official documents (党政机关公文格式 GB/T 9704-2012): the
issuing body (发文机关) is the centre of the node's own level, and the date line (成文日期) is
the day its head signs (签发). What was signed must not change: the issue stores the whole
report — every figure, the charts' series, the 研判分析, the centre's text, who issued it and
when — and every reader (the page, the API, the DOCX and the PDF) reads that snapshot
afterwards, whatever later edits to cases do to the rollups.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from gridcase.errors import Conflict, Forbidden, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.models import User
from gridcase.people.roles import Role
from gridcase.settings import local_tz, utcnow
from gridcase.stats.models import MonthlyReport
from gridcase.stats.queries import stats_region
from gridcase.stats.report import Month, build_report
from gridcase.stats.report_analysis import chinese_date
from gridcase.territory.models import Region

# The roles that staff a centre which issues reports: a township's, a district's, the city's.
ISSUING_ROLES = frozenset({Role.TOWNSHIP_COORDINATOR, Role.DISTRICT_COORDINATOR, Role.CITY_COMMANDER})
# The centre's text (编者按、工作要求): a few paragraphs on a printed page, not an essay.
MAX_CENTRE_TEXT = 3000


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(local_tz()).date()


def read_report(viewer: User, region_code: str | None, month: Month, now: datetime | None = None) -> dict:
    """The report of a node's month for a viewer in scope: the issued snapshot when the month
    was issued, else the figures as they stand now with the centre's draft text, if any.

    Raises:
        Forbidden / NotFound: as for the indicator table (stats_region).
    """
    region = stats_region(viewer, region_code)
    row = _report_row(region.code, month)
    if row is not None and row.snapshot is not None:
        return row.snapshot
    now = now or utcnow()
    report = build_report(region, month, local_today(now), now)
    report["centre_text"] = row.centre_text if row else ""
    report["draft"] = _draft_info(row)
    report["issued"] = None
    report["date_line"] = None
    return report


def save_draft(
    user: User, region_code: str | None, month: Month, centre_text: str, now: datetime | None = None
):
    """Keep the centre's text of a month not yet issued (the month may still be running).

    Raises:
        Forbidden / NotFound: not the node's own centre, or not in scope.
        Unprocessable: a month not begun yet.
        Conflict: the month was issued already; its text is part of what was signed.
    """
    now = now or utcnow()
    region = _issuers_region(user, region_code)
    if month.first > local_today(now):
        raise Unprocessable(
            Message("%(month)s has not begun: there is nothing to report yet.", month=str(month)),
            {"month": [Message("A month not begun yet.")]},
        )
    row = _report_row(region.code, month, lock=True) or _new_row(region, month)
    _refuse_if_issued(row, region)
    row.centre_text, row.draft_saved_at, row.draft_saved_by_id = centre_text, now, user.id
    db.session.flush()
    return row


def issue_report(
    user: User, region_code: str | None, month: Month, centre_text: str | None, now: datetime | None = None
) -> dict:
    """Issue the report a closed month's report: freeze it as it stands, with the centre's text (the
    draft's when none is given), the issuer and the day. Returns the snapshot.

    Raises:
        Forbidden / NotFound: not the node's own centre, or not in scope.
        Unprocessable: the month is not over yet.
        Conflict: the month was issued already (a report is issued once).
    """
    now = now or utcnow()
    region = _issuers_region(user, region_code)
    today = local_today(now)
    if not month.is_over(today):
        raise Unprocessable(
            Message(
                "%(month)s is not over yet: a month's report is issued once the month has ended.",
                month=str(month),
            ),
            {"month": [Message("A month not over yet.")]},
        )
    row = _report_row(region.code, month, lock=True) or _new_row(region, month)
    _refuse_if_issued(row, region)
    text = row.centre_text if centre_text is None else centre_text
    snapshot = build_report(region, month, today, now)
    snapshot.update(
        centre_text=text,
        draft=None,
        issued={"by": user.display_name, "at": now.isoformat(), "date": today.isoformat()},
        date_line=chinese_date(today),
    )
    row.centre_text, row.issued_at, row.issued_by_id, row.snapshot = text, now, user.id, snapshot
    db.session.flush()  # a concurrent first issue of the same month fails here: 409
    return snapshot


def issues_for(user: User, region_code: str) -> bool:
    """Whether the user staffs the centre that issues this node's report (what the page offers)."""
    return user.role in ISSUING_ROLES and user.scope_code == region_code


def _issuers_region(user: User, region_code: str | None) -> Region:
    """The node whose report the user would issue: it must be their own centre's node.

    Raises:
        Forbidden: a role that issues no report, or the centre of another node.
        NotFound: the node is not in the user's scope.
    """
    region = stats_region(user, region_code)
    if user.role not in ISSUING_ROLES:
        raise Forbidden(Message("Only a township, district or city centre issues a monthly report."))
    if user.scope_code != region.code:
        raise Forbidden(Message("Only the centre of %(node)s issues its monthly report.", node=region.name))
    return region


def _refuse_if_issued(row: MonthlyReport, region: Region) -> None:
    if row.issued_at is None:
        return
    issued = row.issued_at.astimezone(local_tz()).date().isoformat()
    raise Conflict(
        Message(
            "The report of %(node)s for %(month)s was issued on %(day)s; an issued report is not "
            "issued again nor changed.",
            node=region.name,
            month=row.month.strftime("%Y-%m"),
            day=issued,
        )
    )


def _report_row(region_code: str, month: Month, lock: bool = False) -> MonthlyReport | None:
    query = sa.select(MonthlyReport).where(
        MonthlyReport.region_code == region_code, MonthlyReport.month == month.first
    )
    if lock:  # a draft saved and an issue at once: one waits for the other
        query = query.with_for_update()
    return db.session.scalar(query)


def _new_row(region: Region, month: Month) -> MonthlyReport:
    row = MonthlyReport(region_code=region.code, month=month.first, centre_text="")
    db.session.add(row)
    return row


def _draft_info(row: MonthlyReport | None) -> dict | None:
    if row is None or row.draft_saved_at is None:
        return None
    saved_by = db.session.get(User, row.draft_saved_by_id)
    return {"saved_at": row.draft_saved_at.isoformat(), "saved_by": saved_by.display_name if saved_by else ""}
