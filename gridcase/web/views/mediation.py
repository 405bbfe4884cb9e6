"""The mediation pages of the workbench: an invited mediator's own list of cases, a handler's
follow-ups (调解待办), and the case
page's forms for the mediation record (调解笔录, 调查记录), its evidence files, for inviting
mediators, for a court's referral (诉前调解) and for the case file (卷宗)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from gridcase.cases.models import Case
from gridcase.cases.queries import visible_cases
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.mediation.case_file import case_file_document
from gridcase.mediation.court_referrals import (
    extend_court_referral,
    record_court_referral,
    report_referral_result,
)
from gridcase.mediation.domain import ReferralResult
from gridcase.mediation.evidence import add_evidence as store_evidence
from gridcase.mediation.evidence import open_evidence as evidence_bytes
from gridcase.mediation.follow_ups import (
    CONFIRMATION_RULING,
    CONFIRMATION_WINDOW,
    COURT_REFERRAL,
    PERFORMANCE,
    follow_ups,
)
from gridcase.mediation.invitations import invite_mediator, withdraw_invitation
from gridcase.mediation.models import MediationInvitation
from gridcase.mediation.schemas import SessionInSchema
from gridcase.mediation.sessions import record_session
from gridcase.people.models import User
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.people.sessions import current_user
from gridcase.printing import Format, send_paperwork
from gridcase.settings import local_tz, utcnow
from gridcase.uploads import send_private_file, takes_larger_uploads
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms
from gridcase.web.views.desk import render_case_page

bp = Blueprint("mediation_page", __name__, url_prefix="/desk")
bp.before_request(protect_forms)


@bp.get("/invited")
@page_login_required(Role.EXTERNAL_MEDIATOR)
def invited():
    """An invited mediator's cases: those they stand invited to, the latest invitation first."""
    user = current_user()
    rows = db.session.execute(
        sa.select(Case, MediationInvitation.invited_at)
        .join(MediationInvitation, MediationInvitation.case_id == Case.id)
        .where(
            visible_cases(user),
            MediationInvitation.mediator_id == user.id,
            MediationInvitation.withdrawn_at.is_(None),
        )
        .order_by(MediationInvitation.invited_at.desc())
    ).all()
    return render_template("desk/invited.html", user=user, rows=rows)


@bp.get("/follow-ups")
@page_login_required(*HANDLER_ROLES)
def follow_ups_page():
    """调解待办: what the disputes I mediate or handle still wait for, the earliest due first."""
    user, now = current_user(), utcnow()
    kinds = {
        PERFORMANCE: _("Performance to check with the parties"),
        CONFIRMATION_WINDOW: _("Judicial confirmation: the time to apply is ending"),
        CONFIRMATION_RULING: _("Judicial confirmation: the court's ruling to record"),
        COURT_REFERRAL: _("Result to report to the court"),
    }
    today = now.astimezone(local_tz()).date()
    return render_template(
        "desk/follow_ups.html", user=user, items=follow_ups(user, now), kinds=kinds, today=today
    )


@bp.post("/cases/<ref>/sessions")
@page_login_required(*HANDLER_ROLES, Role.EXTERNAL_MEDIATOR)
def record(ref):
    """Record a sitting or an inquiry with its 笔录."""
    user = current_user()
    outcome = FormOutcome(action="session", values=request.form.copy())
    form = {
        "kind": request.form.get("kind", ""),
        "held_at": _local_time(request.form.get("held_at", "")),
        "place": request.form.get("place", ""),
        "mediator_ids": request.form.getlist("mediator_ids"),
        "party_ids": request.form.getlist("party_ids"),
        "record": request.form.get("record", ""),
    }
    try:
        record_session(user, ref, SessionInSchema().load(form), utcnow())
        db.session.commit()
    except (GridcaseError, ValidationError) as exc:
        return render_case_page(user, ref, outcome.refused(exc))
    flash(_("The session record is saved."), "success")
    return redirect(url_for("desk.case", ref=ref, _anchor="sessions"))


@bp.post("/cases/<ref>/evidence")
@page_login_required(*HANDLER_ROLES, Role.EXTERNAL_MEDIATOR)
def add_evidence(ref):
    """Add an evidence file (a PDF, a recording) to the mediation record."""
    user = current_user()
    outcome = FormOutcome(action="evidence", values=request.form.copy())
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            message = _("Choose a file.")
            raise ValidationError({"file": [message]})
        store_evidence(user, ref, upload.read(), request.form.get("title", ""), utcnow())
        db.session.commit()
    except (GridcaseError, ValidationError) as exc:
        return render_case_page(user, ref, outcome.refused(exc))
    flash(_("The evidence file is added."), "success")
    return redirect(url_for("desk.case", ref=ref, _anchor="evidence"))


takes_larger_uploads("mediation_page.add_evidence", "GRIDCASE_MAX_EVIDENCE_BYTES")


@bp.post("/cases/<ref>/evidence/<id:evidence_id>/download")
@page_login_required(*HANDLER_ROLES, Role.EXTERNAL_MEDIATOR)
def open_evidence(ref, evidence_id):
    """An evidence file as uploaded, for a reason (audited)."""
    user = current_user()
    try:
        data, content_type, filename = evidence_bytes(
            user, ref, evidence_id, request.form.get("reason", ""), utcnow()
        )
        db.session.commit()
    except GridcaseError as exc:
        outcome = FormOutcome(action="evidence_open", values=request.form.copy())
        return render_case_page(user, ref, outcome.refused(exc))
    return send_private_file(data, content_type, filename)


@bp.post("/cases/<ref>/invitations")
@page_login_required(*HANDLER_ROLES)
def invite(ref):
    """Invite a mediator of the city's roster onto the case."""
    user = current_user()
    try:
        invite_mediator(user, ref, _int(request.form.get("mediator_id")), utcnow())
        db.session.commit()
    except GridcaseError as exc:
        outcome = FormOutcome(action="invite", values=request.form.copy())
        return render_case_page(user, ref, outcome.refused(exc))
    flash(_("The mediator is invited and told."), "success")
    return redirect(url_for("desk.case", ref=ref, _anchor="invitations"))


@bp.post("/cases/<ref>/invitations/<id:invitation_id>/withdraw")
@page_login_required(*HANDLER_ROLES)
def withdraw(ref, invitation_id):
    """Withdraw an invitation: the mediator no longer sees the case."""
    user = current_user()
    try:
        withdraw_invitation(user, ref, invitation_id, utcnow())
        db.session.commit()
    except GridcaseError as exc:
        outcome = FormOutcome(action="invite", values=request.form.copy())
        return render_case_page(user, ref, outcome.refused(exc))
    flash(_("The invitation is withdrawn."), "success")
    return redirect(url_for("desk.case", ref=ref, _anchor="invitations"))


@bp.post("/cases/<ref>/case-file")
@page_login_required(*HANDLER_ROLES)
def case_file(ref):
    """The dispute's case file (人民调解卷宗), as DOCX or PDF, for a reason (audited)."""
    user = current_user()
    try:
        fmt = Format.of(request.form.get("format"))
    except ValueError:
        fmt = Format.PDF
    try:
        content, filename = case_file_document(user, ref, request.form.get("reason", ""), fmt)
        db.session.commit()
    except GridcaseError as exc:
        outcome = FormOutcome(action="case_file", values=request.form.copy())
        return render_case_page(user, ref, outcome.refused(exc))
    return send_paperwork(content, fmt, filename)


@bp.post("/cases/<ref>/court-referral", endpoint="record_court_referral")
@page_login_required(*HANDLER_ROLES)
def record_court_referral_page(ref):
    """Record that a court referred the dispute to mediation before registering the suit."""

    def record(user: User, form) -> str:
        referral = record_court_referral(
            user,
            ref,
            form.get("court_unit_code"),
            form.get("court_number", ""),
            _day(form, "referred_on"),
            form.get("note", ""),
            utcnow(),
        )
        return _(
            "The court's referral is recorded: the mediation has until %(day)s.",
            day=referral.due_on.isoformat(),
        )

    return _court_referral_step(ref, record)


@bp.post("/cases/<ref>/court-referral/extension")
@page_login_required(*HANDLER_ROLES)
def court_referral_extension(ref):
    """Extend the period of a court's referral, as both parties agreed."""

    def extend(user: User, form) -> str:
        extend_court_referral(user, ref, _day(form, "due_on"), form.get("note", ""), utcnow())
        return _("The period is extended.")

    return _court_referral_step(ref, extend)


@bp.post("/cases/<ref>/court-referral/result")
@page_login_required(*HANDLER_ROLES)
def court_referral_result(ref):
    """Report the result of a court's referral back to the court."""

    def report(user: User, form) -> str:
        try:
            result = ReferralResult(form.get("result", ""))
        except ValueError:
            raise ValidationError({"result": [_("Choose the result.")]}) from None
        report_referral_result(user, ref, result, form.get("note", ""), utcnow())
        return _("The result is reported to the court.")

    return _court_referral_step(ref, report)


def _court_referral_step(ref, step: Callable[[User, MultiDict], str]):
    """Take one step of a court's referral from the posted form and commit it, then back to the
    case page saying so; refused, the case page with the form's errors and nothing saved."""
    user, form = current_user(), request.form
    try:
        done = step(user, form)
        db.session.commit()
    except (GridcaseError, ValidationError) as exc:
        outcome = FormOutcome(action="court_referral", values=form.copy())
        return render_case_page(user, ref, outcome.refused(exc))
    flash(done, "success")
    return redirect(url_for("desk.case", ref=ref, _anchor="court-referral"))


def _day(form, name: str) -> date:
    """A date field's value.

    Raises:
        ValidationError: not a day (YYYY-MM-DD), said by the field.
    """
    try:
        return date.fromisoformat(form.get(name, "").strip())
    except ValueError:
        raise ValidationError({name: [_("Give a day.")]}) from None


def _local_time(value: str) -> str:
    """A datetime-local field's value (no offset) read as the city's local time; left as typed
    when it is no time at all (the schema then says so by the field)."""
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=local_tz()).isoformat()
    except ValueError:
        return value


def _int(value: str | None) -> int:
    return int(value) if (value or "").isdigit() else 0
