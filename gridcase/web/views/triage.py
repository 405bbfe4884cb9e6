"""The city centre's triage page (/desk/triage, 待定位): requests from other systems that could not
be placed in a grid, each placed by a click on the map — then registered as a case in the grid
holding the point — or set aside with a reason (as /api/v1/triage)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gridcase.cases.catalogue import list_categories
from gridcase.channels.schemas import DismissSchema, PlaceSchema
from gridcase.channels.triage import dismiss, place, waiting
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.people.roles import Role
from gridcase.people.scope import user_city_code
from gridcase.people.sessions import current_user
from gridcase.settings import utcnow
from gridcase.territory.queries import children_feature_collection
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms
from gridcase.web.maps import map_settings

bp = Blueprint("triage_page", __name__, url_prefix="/desk/triage")
bp.before_request(protect_forms)


@bp.get("")
@page_login_required(Role.CITY_COMMANDER)
def queue():
    """The city's requests waiting to be placed, oldest first, with the city's map."""
    return _page(FormOutcome())


@bp.post("/<int:request_id>/place")
@page_login_required(Role.CITY_COMMANDER)
def place_request(request_id):
    user = current_user()
    outcome = FormOutcome(action=f"place-{request_id}", values=request.form.copy())
    try:
        data = PlaceSchema().load({"lon": request.form.get("lon"), "lat": request.form.get("lat")})
        case = place(user, request_id, data["lon"], data["lat"], utcnow())
        db.session.commit()
    except (ValidationError, GridcaseError) as exc:
        return _page(outcome.refused(exc))
    flash(_("Registered as %(number)s.", number=case.public_number), "success")
    return redirect(url_for("triage_page.queue"))


@bp.post("/<int:request_id>/dismiss")
@page_login_required(Role.CITY_COMMANDER)
def dismiss_request(request_id):
    user = current_user()
    outcome = FormOutcome(action=f"dismiss-{request_id}", values=request.form.copy())
    try:
        data = DismissSchema().load({"reason": request.form.get("reason", "").strip()})
        dismiss(user, request_id, data["reason"], utcnow())
        db.session.commit()
    except (ValidationError, GridcaseError) as exc:
        return _page(outcome.refused(exc))
    flash(_("Set aside."), "success")
    return redirect(url_for("triage_page.queue"))


def _page(outcome: FormOutcome):
    user = current_user()
    names = {c.code: c.name for c in list_categories()}
    rows = waiting(user)
    return (
        render_template(
            "desk/triage.html",
            user=user,
            rows=rows,
            categories=names,
            form=outcome,
            townships=children_feature_collection(user_city_code(user)),
            map_json=map_settings(),
        ),
        outcome.status,
    )
