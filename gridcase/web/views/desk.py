"""The coordinators' workbench (/desk/): the queue of cases at my level, one case with every
action my role may take, and my notifications."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gridcase.api.case_body import case_body
from gridcase.api.cases import CaseQueryArgsSchema
from gridcase.api.plain import plain
from gridcase.cases.catalogue import leaf_codes, list_categories
from gridcase.cases.domain import Severity, Status
from gridcase.cases.parties import reveal_party
from gridcase.cases.queries import case_events, find_case, list_cases
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.notifications.inbox import inbox, mark_read
from gridcase.people.roles import HANDLER_ROLES
from gridcase.settings import ladder, utcnow
from gridcase.territory.models import Region
from gridcase.web import labels
from gridcase.web.case_page import FormOutcome, case_view_model, handle_action_form, handle_photo_form
from gridcase.web.login import page_login_required, protect_forms, session_user
from gridcase.web.maps import map_settings

bp = Blueprint("desk", __name__, url_prefix="/desk")
bp.before_request(protect_forms)

QUEUE_PAGE_SIZE = 25


def _default_filters(user) -> dict:
    """The queue a coordinator starts from: open cases at their own level, most urgent first."""
    level = user.scope_level if user.scope_level in ladder() else ladder()[-1]
    return {"status": [Status.PENDING.value, Status.IN_PROGRESS.value], "level": [level], "sort": "due_at"}


@bp.route("/")
@page_login_required(*HANDLER_ROLES)
def queue():
    """Cases in my scope, filtered and sorted (due, severity, category, community), with lights."""
    user = session_user()
    errors = {}
    if request.args.get("filtered"):
        try:
            args = CaseQueryArgsSchema().load(_query_args())
            args["from"] = args.pop("from_")
            filters = plain(args)
        except ValidationError as exc:
            errors, filters = exc.messages, _default_filters(user)
    else:
        filters = _default_filters(user)
    requested_page = request.args.get("page", "1")
    page = int(requested_page) if requested_page.isdigit() and int(requested_page) > 0 else 1
    result = list_cases(user, filters, page=page, page_size=QUEUE_PAGE_SIZE)
    leaves = leaf_codes()
    communities = []
    if user.scope_level in ("city", "district", "township"):
        communities = db.session.scalars(
            sa.select(Region)
            .where(
                Region.level == "community", getattr(Region, f"{user.scope_level}_code") == user.scope_code
            )
            .order_by(Region.code)
        ).all()
    items = [case_body(c) for c in result.items]
    community_names = dict(
        db.session.execute(
            sa.select(Region.code, Region.name).where(Region.code.in_({c["community_code"] for c in items}))
        ).all()
    )
    return render_template(
        "desk/queue.html",
        user=user,
        cases=items,
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
        unread=inbox(user, unread_only=True, limit=1)[1],
    )


def _query_with_page(page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return urlencode(args, doseq=True)


def _query_args() -> dict:
    """The query string as the list schema expects it: repeated keys as lists, blanks dropped."""
    args = {}
    for key in request.args:
        if key in ("filtered", "page"):
            continue
        values = [v for v in request.args.getlist(key) if v.strip()]
        if not values:
            continue
        args[key] = values if key in ("status", "level", "severity") else values[0]
    return args


@bp.route("/cases/<ref>", methods=["GET", "POST"])
@page_login_required(*HANDLER_ROLES)
def case(ref):
    """One case: map, details, masked parties, photos, timeline and a form for each action."""
    user = session_user()
    outcome = handle_action_form(user, ref, "desk.case")
    return outcome.redirect or _case_page(user, ref, outcome)


@bp.post("/cases/<ref>/photos")
@page_login_required(*HANDLER_ROLES)
def photos(ref):
    """Add photos from the case page's form (a signed agreement, the site after the work)."""
    user = session_user()
    outcome = handle_photo_form(user, ref, "desk.case")
    return outcome.redirect or _case_page(user, ref, outcome)


@bp.post("/cases/<ref>/parties/<int:party_id>/reveal")
@page_login_required(*HANDLER_ROLES)
def reveal(ref, party_id):
    """Show one party in full on the case page, with a reason (audited, and in the timeline)."""
    user = session_user()
    outcome = FormOutcome(action="reveal", values=request.form.copy())
    revealed = {}
    try:
        revealed[party_id] = reveal_party(user, ref, party_id, request.form.get("reason", ""))
        db.session.commit()
    except GridcaseError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        outcome.status, outcome.message = exc.status, labels.say(exc.message)
        outcome.errors = labels.say_all(exc.errors or {})
    return _case_page(user, ref, outcome, revealed=revealed, reveal_party_id=party_id)


def _case_page(user, ref, outcome: FormOutcome, revealed: dict | None = None, reveal_party_id=None):
    """The case page, with the outcome of a posted form (its errors and typed values)."""
    found = find_case(user, ref)
    model = case_view_model(found, user, case_events(found))
    model["revealed"] = revealed or {}
    response = render_template(
        "desk/case.html",
        user=user,
        **model,
        form=outcome,
        reveal_party_id=reveal_party_id,
        map_json=map_settings(),
        unread=inbox(user, unread_only=True, limit=1)[1],
    )
    return response, outcome.status


@bp.route("/notifications", methods=["GET", "POST"])
@page_login_required(*HANDLER_ROLES)
def notifications():
    """My notifications; posting marks them all read."""
    user = session_user()
    if request.method == "POST":
        mark_read(user, None, utcnow())
        db.session.commit()
        return redirect(url_for("desk.notifications"))
    items, unread = inbox(user, limit=100)
    return render_template(
        "desk/notifications.html", user=user, items=items, unread=unread, title=_("Notifications")
    )
