"""The workbench (/desk/): for coordinators the queue of cases at my level, for a unit's people
the cases dispatched to their unit (/desk/unit); one case with every action my role may take;
my notifications."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gridcase.cases.catalogue import leaf_codes, list_categories
from gridcase.cases.domain import OPEN_STATUSES, PartyRole, Severity, Status
from gridcase.cases.parties import reveal_informant as reveal_person
from gridcase.cases.parties import reveal_party
from gridcase.cases.queries import count_cases, find_case, list_cases
from gridcase.cases.revisit_codes import INFORMANT, SLIP, SMS, issue_revisit_code
from gridcase.cases.schemas import CaseQueryArgsSchema, dump_cases
from gridcase.cases.supervision import open_supervisions_of
from gridcase.errors import GridcaseError, Unprocessable
from gridcase.extensions import db
from gridcase.mediation.agreements import archive_signed_original, record_confirmation, record_performance
from gridcase.mediation.documents import agreement_document as produce_agreement
from gridcase.mediation.domain import Confirmation, Performance
from gridcase.notifications.inbox import inbox, mark_read
from gridcase.people.roles import HANDLER_ROLES, UNIT_ROLES, Role
from gridcase.people.sessions import current_user
from gridcase.people.two_factor import qr_code_data_uri
from gridcase.printing import Format, send_paperwork
from gridcase.settings import MAX_PAGE, ladder, utcnow
from gridcase.territory.models import Region
from gridcase.text import ascii_digits
from gridcase.units.queries import latest_leads
from gridcase.units.queue import unit_name, unit_queue
from gridcase.web.case_page import case_view_model, register_case_page
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms
from gridcase.web.maps import map_settings

bp = Blueprint("desk", __name__, url_prefix="/desk")
bp.before_request(protect_forms)

QUEUE_PAGE_SIZE = 25
# Who works at the desk: the coordinating levels, the units cases are dispatched to, and the
# mediators invited onto cases.
DESK_ROLES = (*HANDLER_ROLES, *UNIT_ROLES, Role.EXTERNAL_MEDIATOR)


def _default_filters(user) -> dict:
    """The queue a coordinator starts from: open cases at their own level, most urgent first."""
    level = user.scope_level if user.scope_level in ladder() else ladder()[-1]
    return {"status": list(OPEN_STATUSES), "level": [level], "sort": "due_at"}


@bp.route("/")
@page_login_required(*HANDLER_ROLES)
def queue():
    """Cases in my scope, filtered and sorted (due, severity, category, community), with lights."""
    user = current_user()
    errors = {}
    if request.args.get("filtered"):
        try:
            filters = CaseQueryArgsSchema().load(_query_args())
        except ValidationError as exc:
            errors, filters = exc.messages, _default_filters(user)
    else:
        filters = _default_filters(user)
    requested_page = request.args.get("page", "1")
    page = int(requested_page) if ascii_digits(requested_page) and 0 < int(requested_page) <= MAX_PAGE else 1
    result = list_cases(user, filters, page=page, page_size=QUEUE_PAGE_SIZE)
    leaves = leaf_codes()
    communities = []
    if user.scope_level in ("city", "district", "township"):
        # (the filter's options: a code and a name each, not whole nodes)
        communities = db.session.execute(
            sa.select(Region.code, Region.name)
            .where(
                Region.level == "community", getattr(Region, f"{user.scope_level}_code") == user.scope_code
            )
            .order_by(Region.code)
        ).all()
    items = dump_cases(result.items)
    community_names = dict(
        db.session.execute(
            sa.select(Region.code, Region.name).where(Region.code.in_({c["community_code"] for c in items}))
        ).all()
    )
    return render_template(
        "desk/queue.html",
        user=user,
        cases=items,
        leads=latest_leads([c["id"] for c in items]),
        supervisions=open_supervisions_of([c["id"] for c in items]),
        community_names=community_names,
        query_with_page=_query_with_page,
        total=result.total,
        page=page,
        pages=max(math.ceil(result.total / QUEUE_PAGE_SIZE), 1),
        filters=filters,
        errors=errors,
        categories=[c for c in list_categories() if c.code in leaves],
        communities=list(communities),
        levels=ladder(),
        severities=[s.value for s in Severity],
        statuses=[s.value for s in Status],
        to_verify=count_cases(user, {"verify": "me"}),
        verifying=filters.get("verify") == "me",
        export_query=_export_query(filters),
    )


def _export_query(filters: dict) -> str:
    """The export's query for the cases the queue shows: the same filters and order (the export
    takes no page)."""
    shown = CaseQueryArgsSchema().dump(filters)
    pairs = [
        (key, value)
        for key, values in shown.items()
        if key not in ("page", "page_size") and values not in (None, "", [])
        for value in (values if isinstance(values, list) else [values])
    ]
    return urlencode(pairs)


@bp.route("/unit")
@page_login_required(*UNIT_ROLES)
def unit_queue_page():
    """My unit's cases: awaiting our signature (on the signing clock), then those we work on
    (on the finishing clock), each with its light; or, with ?show=done, our finished ones."""
    user = current_user()
    finished = request.args.get("show") == "done"
    items = unit_queue(user.unit_code, utcnow(), open_only=not finished)
    return render_template(
        "desk/unit_queue.html",
        user=user,
        unit_name=unit_name(user.unit_code),
        items=items,
        supervisions={
            case_id: s
            for case_id, s in open_supervisions_of([i.case.id for i in items]).items()
            if s.target_unit_code == user.unit_code
        },
        finished=finished,
    )


def _query_with_page(page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return urlencode(args, doseq=True)


def _query_args() -> dict:
    """The query string as the list schema expects it: repeated keys as lists, blanks dropped."""
    args = {}
    for key in request.args:
        if key in ("filtered", "page", "lang"):  # (lang: the page's language, not a filter)
            continue
        values = [v for v in request.args.getlist(key) if v.strip()]
        if not values:
            continue
        args[key] = values if key in ("status", "level", "severity") else values[0]
    return args


@bp.post("/cases/<ref>/parties/<id:party_id>/reveal")
@page_login_required(*DESK_ROLES)
def reveal(ref, party_id):
    """Show one party in full on the case page, with a reason (audited, and in the timeline)."""
    user = current_user()
    outcome = FormOutcome(action="reveal", values=request.form.copy())
    revealed = {}
    try:
        revealed[party_id] = reveal_party(user, ref, party_id, request.form.get("reason", ""))
        db.session.commit()
    except GridcaseError as exc:
        outcome.refused(exc)
    return render_case_page(user, ref, outcome, revealed=revealed, reveal_party_id=party_id)


@bp.post("/cases/<ref>/informant/reveal")
@page_login_required(*DESK_ROLES)
def reveal_informant(ref):
    """Show the person who brought the matter (反映人) in full, with a reason (audited)."""
    user = current_user()
    outcome = FormOutcome(action="reveal", values=request.form.copy())
    revealed = {}
    try:
        revealed["informant"] = reveal_person(user, ref, request.form.get("reason", ""))
        db.session.commit()
    except GridcaseError as exc:
        outcome.refused(exc)
    return render_case_page(user, ref, outcome, revealed=revealed, reveal_party_id="informant")


@bp.post("/cases/<ref>/agreements/<id:agreement_id>/document")
@page_login_required(*DESK_ROLES)
def agreement_document(ref, agreement_id):
    """The 人民调解协议书 for the parties to sign, as a Word document or a PDF, for a reason
    (audited)."""
    user = current_user()
    try:
        fmt = Format.of(request.form.get("format"))
    except ValueError:
        fmt = Format.DOCX
    try:
        content, filename = produce_agreement(user, ref, agreement_id, request.form.get("reason", ""), fmt)
        db.session.commit()
    except GridcaseError as exc:
        outcome = FormOutcome(action="agreement", values=request.form.copy()).refused(exc)
        return render_case_page(user, ref, outcome)
    return send_paperwork(content, fmt, filename)


@bp.post("/cases/<ref>/agreements/<id:agreement_id>/performance")
@page_login_required(*HANDLER_ROLES)
def agreement_performance(ref, agreement_id):
    """Record how the parties performed their agreement (履行情况)."""
    user = current_user()
    outcome = FormOutcome(action="performance", values=request.form.copy())
    try:
        performance = Performance(request.form.get("performance", ""))
    except ValueError:
        outcome.status, outcome.message = 422, _("Choose how it was performed.")
        return render_case_page(user, ref, outcome)
    try:
        record_performance(user, ref, agreement_id, performance, request.form.get("note", ""), utcnow())
        db.session.commit()
    except GridcaseError as exc:
        outcome.refused(exc)
        return render_case_page(user, ref, outcome)
    flash(_("Performance recorded."), "success")
    return redirect(url_for("desk.case", ref=ref))


@bp.post("/cases/<ref>/agreements/<id:agreement_id>/confirmation")
@page_login_required(*HANDLER_ROLES)
def agreement_confirmation(ref, agreement_id):
    """Record the application for 司法确认 at a court, or the court's ruling."""
    user = current_user()
    outcome = FormOutcome(action="confirmation", values=request.form.copy())
    try:
        step = Confirmation(request.form.get("step", ""))
    except ValueError:
        outcome.status, outcome.message = 422, _("Choose what to record.")
        return render_case_page(user, ref, outcome)
    form = request.form
    try:
        record_confirmation(user, ref, agreement_id, step, form.get("unit"), form.get("note", ""), utcnow())
        db.session.commit()
    except GridcaseError as exc:
        outcome.refused(exc)
        return render_case_page(user, ref, outcome)
    flash(_("Judicial confirmation recorded."), "success")
    return redirect(url_for("desk.case", ref=ref))


@bp.post("/cases/<ref>/agreements/<id:agreement_id>/signed")
@page_login_required(*HANDLER_ROLES)
def agreement_signed_original(ref, agreement_id):
    """Upload the signed agreement (a scan or photo) as its archived original."""
    user = current_user()
    outcome = FormOutcome(action="signed_original")
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Unprocessable(_("Choose the scan or photo of the signed agreement."))
        archive_signed_original(user, ref, agreement_id, upload.read(), utcnow())
        db.session.commit()
    except GridcaseError as exc:
        outcome.refused(exc)
        return render_case_page(user, ref, outcome)
    flash(_("The signed agreement is archived."), "success")
    return redirect(url_for("desk.case", ref=ref))


@bp.post("/cases/<ref>/revisit-slip")
@page_login_required(*HANDLER_ROLES)
def revisit_slip(ref):
    """Issue a one-time revisit code for the person who brought the matter or a party, and show
    the slip to print (the code is shown here only). Refused: the case page says why."""
    user = current_user()
    outcome = FormOutcome(action="revisit_slip", values=request.form.copy())
    addressee = request.form.get("addressee", "")
    by_sms = request.form.get("delivery") == SMS
    try:
        issued = issue_revisit_code(user, ref, addressee, SMS if by_sms else SLIP)
        db.session.commit()
    except GridcaseError as exc:
        outcome.refused(exc)
        return render_case_page(user, ref, outcome)
    if by_sms:  # the scheduler sends it; nobody here sees the code
        flash(_("The revisit code goes to the person by SMS."), "success")
        return redirect(url_for("desk.case", ref=ref))
    case = find_case(user, ref)
    survey_url = url_for("revisit.survey", _external=True)
    person = (
        case.informant if addressee == INFORMANT else next(p for p in case.parties if str(p.id) == addressee)
    )
    who = _("the person who brought it") if addressee == INFORMANT else PartyRole(person.party_role).label
    response = render_template(
        "desk/revisit_slip.html",
        user=user,
        case=case,
        issued=issued,
        survey_url=survey_url,
        qr=qr_code_data_uri(url_for("revisit.survey", code=issued.code, _external=True)),
        addressee=f"{who} {person.name_masked}",
    )
    # The code must not stay in a cache or come back with the browser's history.
    return response, 200, {"Cache-Control": "no-store"}


def render_case_page(user, ref, outcome: FormOutcome, revealed: dict | None = None, reveal_party_id=None):
    """The workbench's case page: map, details, masked parties (one revealed, with its form's
    outcome), photos, timeline and a form for each action, with the outcome of a posted form."""
    model = case_view_model(find_case(user, ref), user)
    model["revealed"] = revealed or {}
    response = render_template(
        "desk/case.html",
        user=user,
        **model,
        form=outcome,
        reveal_party_id=reveal_party_id,
        map_json=map_settings(),
    )
    return response, outcome.status


register_case_page(bp, DESK_ROLES, render_case_page)


@bp.route("/notifications", methods=["GET", "POST"])
@page_login_required(*DESK_ROLES)
def notifications():
    """My notifications; posting marks them all read."""
    user = current_user()
    if request.method == "POST":
        mark_read(user, None, utcnow())
        db.session.commit()
        return redirect(url_for("desk.notifications"))
    items, _unread = inbox(user, limit=100)
    return render_template("desk/notifications.html", user=user, items=items, title=_("Notifications"))
