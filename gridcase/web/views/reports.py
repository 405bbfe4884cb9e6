"""The printable monthly report (月报) of a territory node, and its centre's forms: the centre's
text saved as a draft, and the month issued (签发)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from gridcase.errors import GridcaseError, Unprocessable
from gridcase.extensions import db
from gridcase.people.roles import HANDLER_ROLES
from gridcase.people.sessions import current_user
from gridcase.replica import reads_from_replica
from gridcase.stats.monthly_reports import issue_report, issues_for, local_today, read_report, save_draft
from gridcase.stats.report import Month
from gridcase.stats.report_charts import CHART_TITLES, CHARTS
from gridcase.stats.schemas import MonthlyReportTextSchema
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(protect_forms)

# The centre's forms: what each does with the loaded text.
REPORT_FORMS = {
    "draft": lambda user, data: save_draft(user, data["region"], data["month"], data["centre_text"] or ""),
    "issue": lambda user, data: issue_report(user, data["region"], data["month"], data["centre_text"] or ""),
}


@bp.route("/monthly", methods=["GET", "POST"])
@page_login_required(*HANDLER_ROLES)
def monthly():
    """The month's indicators against the previous month, the charts, the 研判分析 and the
    centre's text; for the node's own centre, the forms to save its text and to issue the
    month once it is over. An issued month shows the report as issued."""
    user = current_user()
    outcome = FormOutcome()
    if request.method == "POST":
        outcome = _report_form(user)
        if outcome.redirect:
            return outcome.redirect
    month = _month(request.values.get("month"))
    return _page(user, request.values.get("region"), month, outcome)


@reads_from_replica
def _page(user, region_code: str | None, month: Month, outcome: FormOutcome):
    report = read_report(user, region_code, month)
    return (
        render_template(
            "reports/monthly.html",
            user=user,
            report=report,
            may_issue=issues_for(user, report["region"]["code"]),
            month_over=month.is_over(local_today()),
            charts=[(name, CHART_TITLES[name]) for name in CHARTS if name != "areas" or report["by_area"]],
            form=outcome,
        ),
        outcome.status,
    )


def _month(text: str | None) -> Month:
    try:
        return Month.parse(text) if text else Month.of(local_today())
    except ValueError:
        raise Unprocessable(_("A month is written like 2026-11.")) from None


def _report_form(user) -> FormOutcome:
    action = request.form.get("action", "")
    outcome = FormOutcome(action=action, values=request.form.copy())
    if action not in REPORT_FORMS:
        outcome.status, outcome.message = 422, _("Unknown action.")
        return outcome
    fields = {k: v for k, v in request.form.items() if k in ("region", "month", "centre_text")}
    try:
        data = MonthlyReportTextSchema().load(fields)
        REPORT_FORMS[action](user, data)
        db.session.commit()
    except (ValidationError, GridcaseError, IntegrityError) as exc:  # IntegrityError: issued twice at once
        return outcome.refused(exc)
    flash(_("The report is issued.") if action == "issue" else _("The draft is saved."), "success")
    return FormOutcome(
        redirect=redirect(url_for("reports.monthly", region=fields.get("region"), month=fields.get("month")))
    )
