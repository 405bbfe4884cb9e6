"""The front desk's page (/desk/new, 一窗受理): a centre's staff register a matter brought to
them and say at once what the desk does with it (gridcase.cases.front_desk)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from gridcase.cases.catalogue import leaf_codes, list_categories
from gridcase.cases.domain import DESK_SOURCES, CaseKind, Disposition, Outcome, PartyRole, Severity
from gridcase.cases.front_desk import register_at_desk
from gridcase.cases.lifecycle import Action
from gridcase.cases.schemas import PAYLOADS, CaseCreateSchema
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.people.roles import HANDLER_ROLES
from gridcase.people.scope import in_scope
from gridcase.people.sessions import current_user
from gridcase.settings import local_tz, utcnow
from gridcase.territory.levels import RegionLevel
from gridcase.territory.models import Region
from gridcase.territory.queries import children_feature_collection
from gridcase.units.queries import units_serving
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms
from gridcase.web.maps import map_settings

bp = Blueprint("front_desk", __name__, url_prefix="/desk")
bp.before_request(protect_forms)

PARTY_ROWS = 3  # rows for parties on the form; blank ones are ignored
# The form's fields that show their own errors (the rest are said at the top of the form).
SHOWN_FIELDS = [
    "source",
    "external_ref",
    "occurred_at",
    "informant",
    "kind",
    "category",
    "title",
    "description",
    "severity",
    "people_involved",
    "location",
    "grid",
    "address",
    "parties",
    "file",
    "disposition",
    "lead_unit",
    "assist_units",
    "requirement",
    "outcome",
    "summary",
]


@bp.route("/new", methods=["GET", "POST"])
@page_login_required(*HANDLER_ROLES)
def new_case():
    """The front desk's form; posting it registers the matter and opens its case page."""
    user = current_user()
    outcome = FormOutcome()
    if request.method == "POST":
        outcome = FormOutcome(action="create", values=request.form.copy())
        try:
            disposition, intake, follow_up = _read_form(request.form)
            photos = [f.read() for f in request.files.getlist("photos") if f.filename]
            case = register_at_desk(user, intake, disposition, follow_up, photos)
            db.session.commit()
        except (GridcaseError, ValidationError) as exc:
            outcome.refused(exc)
        else:
            flash(_("Registered as case %(number)s.", number=case.public_number), "success")
            return redirect(url_for("desk.case", ref=case.public_number))
    return _page(user, outcome)


def _read_form(form: MultiDict) -> tuple[Disposition, dict, dict | None]:
    """The form as the intake schema and the follow-up action's schema load it: errors of both
    at once, each under its field's name."""
    errors: dict = {}
    try:
        disposition = Disposition(form.get("disposition", Disposition.ACCEPT.value))
    except ValueError:
        disposition, errors["disposition"] = Disposition.ACCEPT, [_("Choose what the desk does with it.")]
    intake = {
        key: form.get(key, "").strip()
        for key in ("kind", "category", "title", "description", "source", "address")
        if form.get(key, "").strip()
    }
    for key in ("severity", "external_ref", "people_involved"):
        if form.get(key, "").strip():
            intake[key] = form[key].strip()
    intake["may_intensify"] = form.get("may_intensify") == "true"
    person = {field: form.get(f"informant.{field}", "").strip() for field in ("name", "phone", "id_number")}
    if any(person.values()):
        intake["informant"] = {k: v for k, v in person.items() if v}
    if form.get("occurred_at", "").strip():
        intake["occurred_at"] = _local_datetime(form["occurred_at"], errors)
    if form.get("lon", "").strip() and form.get("lat", "").strip():
        intake["location"] = {"lon": form["lon"], "lat": form["lat"]}
    parties = []
    for i in range(PARTY_ROWS):
        party = {f: form.get(f"parties.{i}.{f}", "").strip() for f in ("name", "role", "phone", "id_number")}
        if party["name"] or party["phone"] or party["id_number"]:
            parties.append({k: v for k, v in party.items() if v})
    intake["parties"] = parties
    schema = CaseCreateSchema(partial=("location",))
    try:
        loaded = schema.load(intake)
    except ValidationError as exc:
        errors.update(exc.messages)
        loaded = {}
    loaded["grid"] = form.get("grid", "").strip() or None
    follow_up = None
    if disposition in (Disposition.DISPATCH, Disposition.RESOLVE):
        follow_up, follow_errors = _follow_up(disposition, form)
        errors.update(follow_errors)
    if errors:
        raise ValidationError(errors)
    return disposition, loaded, follow_up


def _follow_up(disposition: Disposition, form: MultiDict) -> tuple[dict | None, dict]:
    if disposition is Disposition.DISPATCH:
        action, data = (
            Action.DISPATCH,
            {
                "lead_unit": form.get("lead_unit", ""),
                "assist_units": [c for c in form.getlist("assist_units") if c and c != form.get("lead_unit")],
                "requirement": form.get("requirement", ""),
            },
        )
    else:
        action, data = (
            Action.RESOLVE,
            {"outcome": form.get("outcome", ""), "summary": form.get("summary", "")},
        )
    try:
        return PAYLOADS[action]().load(data), {}
    except ValidationError as exc:
        return None, exc.messages


def _local_datetime(text: str, errors: dict) -> str | None:
    """A datetime-local field (the city's time) as an aware ISO time."""
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=local_tz()).isoformat()
    except ValueError:
        errors["occurred_at"] = [_("Give a date and time, such as 2026-12-05 09:30.")]
        return None


def _page(user, outcome: FormOutcome):
    leaves = leaf_codes()
    grids = db.session.scalars(
        sa.select(Region)
        .where(Region.level == RegionLevel.GRID.value, in_scope(user, Region))
        .order_by(Region.code)
    ).all()
    return render_template(
        "desk/new.html",
        user=user,
        form=outcome,
        shown_fields=SHOWN_FIELDS,
        sources=[(s.value, s.label) for s in DESK_SOURCES],
        kinds=list(CaseKind),
        categories=[
            (c.code, f"{c.name}（{CaseKind(c.kind).label}）") for c in list_categories() if c.code in leaves
        ],
        severities=[(s.value, s.label) for s in Severity],
        grids=[(g.code, g.name) for g in grids],
        party_roles=[(r.value, r.label) for r in PartyRole],
        party_rows=PARTY_ROWS,
        dispositions=list(Disposition),
        units=[(u.code, u.name) for u in units_serving(user.scope)],
        outcomes=[(o.value, o.label) for o in Outcome],
        now_local=utcnow().astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M"),
        map_json=map_settings(),
        scope_json=children_feature_collection(user.scope_code),
    ), outcome.status
