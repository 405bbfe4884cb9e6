"""The mediation pages of the workbench: an invited mediator's own list of cases, and the case
page's forms for the mediation record (调解笔录, 调查记录), its evidence files, for inviting
mediators and for the case file (卷宗)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gridcase.cases.models import Case
from gridcase.cases.queries import visible_cases
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.mediation.case_file import case_file_document
from gridcase.mediation.evidence import add_evidence as store_evidence
from gridcase.mediation.evidence import open_evidence as evidence_bytes
from gridcase.mediation.invitations import invite_mediator, withdraw_invitation
from gridcase.mediation.models import MediationInvitation
from gridcase.mediation.schemas import SessionInSchema
from gridcase.mediation.sessions import record_session
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


def _local_time(value: str) -> str:
    """A datetime-local field's value (no offset) read as the city's local time; left as typed
    when it is no time at all (the schema then says so by the field)."""
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=local_tz()).isoformat()
    except ValueError:
        return value


def _int(value: str | None) -> int:
    return int(value) if (value or "").isdigit() else 0
