"""The printable monthly report (月报) of a territory node."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from gridcase.errors import Unprocessable
from gridcase.people.roles import HANDLER_ROLES
from gridcase.people.sessions import current_user
from gridcase.replica import reads_from_replica
from gridcase.settings import local_tz, utcnow
from gridcase.stats.report import Month, monthly_report
from gridcase.web.login import page_login_required, protect_forms

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(protect_forms)

# (key, label, is a rate, higher is better) in the order of the report's table.
ROWS = [
    ("accepted", "受理数", False, None),
    ("resolved", "化解数", False, None),
    ("resolution_rate", "化解率", True, True),
    ("local_resolution_rate", "就地化解率", True, True),
    ("township_containment_rate", "大事不出镇率", True, True),
    ("on_time_rate", "按期办结率", True, True),
    ("escalation_rate", "上交率", True, False),
    ("reopen_rate", "返工率", True, False),
    ("satisfaction_rate", "满意率", True, True),
    ("median_hours_to_accept", "响应时长中位数（小时）", False, False),
    ("median_hours_to_resolve", "办结时长中位数（小时）", False, False),
    ("overdue_open", "超期未办结（当前）", False, False),
]


@bp.route("/monthly")
@page_login_required(*HANDLER_ROLES)
@reads_from_replica
def monthly():
    """The month's indicators against the previous month, top categories, weakest communities."""
    user = current_user()
    today = utcnow().astimezone(local_tz()).date()
    default = today.strftime("%Y-%m")
    try:
        month = Month.parse(request.args.get("month") or default)
    except ValueError:
        raise Unprocessable(_("A month is written like 2026-11.")) from None
    report = monthly_report(user, request.args.get("region"), month, today)
    return render_template("reports/monthly.html", user=user, report=report, rows=ROWS)
