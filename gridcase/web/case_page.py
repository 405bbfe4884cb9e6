"""What the phone page and the workbench share about one case: its page (`register_case_page` registers
it, with its photo form, on each of their blueprints), its view model, and the action forms,
which post to it, go through the same payload schemas and the same `perform_action` as the
JSON API, and on failure come back with every typed value and an error next to its field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from gridcase.cases.attachments import add_photo
from gridcase.cases.domain import OPEN_STATUSES
from gridcase.cases.lifecycle import Action, above, handles, works_on
from gridcase.cases.models import Case
from gridcase.cases.operations import perform_action
from gridcase.cases.schemas import PAYLOADS, dump_case
from gridcase.cases.states import actor_state, case_state
from gridcase.cases.supervision import case_supervisions
from gridcase.errors import Conflict, GridcaseError
from gridcase.extensions import db
from gridcase.mediation.agreements import case_agreements, court_choices
from gridcase.mediation.archive import archived_file
from gridcase.mediation.case_file import PARTS as CASE_FILE_PARTS
from gridcase.mediation.court_referrals import court_referral
from gridcase.mediation.domain import SessionKind
from gridcase.mediation.evidence import case_evidence
from gridcase.mediation.invitations import mediator_roster, standing_invitations
from gridcase.mediation.sessions import case_sessions, mediates
from gridcase.people.models import User, grid_assignments
from gridcase.people.roles import HANDLER_ROLE_OF_LEVEL, Role
from gridcase.people.scope import territory_column
from gridcase.people.sessions import current_user
from gridcase.settings import ladder, local_tz, setting
from gridcase.territory.queries import grids_feature_collection
from gridcase.units.assignments import unit_assignment
from gridcase.units.queries import dispatchable_units
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required

# render_page(user, ref, outcome) → the blueprint's case page with the outcome of a posted form
CasePageRenderer = Callable[[User, str, FormOutcome], object]


def form_to_payload(action: str, form: MultiDict) -> dict:
    """Flat form fields (dotted names for nested ones) to the action's payload shape."""
    payload: dict = {}
    for name, value in form.items():
        if name in ("csrf_token", "action", "version") or value.strip() == "":
            continue
        value = value.strip()
        if name == "session.held_at" and len(value) == 16:  # <input type=datetime-local>
            value = value + ":00" + _local_offset()
        if name == "session.mediators":
            value = [m.strip() for m in value.replace("，", ",").split(",") if m.strip()]
        if name == "assist_units":  # checkboxes: every one ticked
            value = [code for code in form.getlist(name) if code.strip()]
        target = payload
        *parents, leaf = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    if action == Action.MEDIATE and "agreement" in payload and not payload["agreement"].get("terms"):
        payload.pop("agreement")  # an empty agreement block means "no agreement this time"
    return payload


def _local_offset() -> str:
    offset = datetime.now(local_tz()).strftime("%z")
    return offset[:3] + ":" + offset[3:]


def handle_action_form(user: User, ref: str, endpoint: str) -> FormOutcome:
    """On POST, apply the posted action; redirect on success, or report errors and keep values."""
    if request.method != "POST":
        return FormOutcome()
    form = request.form
    action_name = form.get("action", "")
    outcome = FormOutcome(action=action_name, values=form.copy())
    try:
        action = Action(action_name)
        version = int(form.get("version", "0"))
    except ValueError:
        outcome.status, outcome.message = 422, _("Unknown action.")
        return outcome
    try:
        payload = PAYLOADS[action]().load(form_to_payload(action, form))
        case = perform_action(user, ref, action, version, payload)
        db.session.commit()
    except Conflict:
        db.session.rollback()
        outcome.status = 409
        outcome.message = _(
            "Someone else changed this case while you were working on it. Check the timeline, then try again."
        )
        return outcome
    except (ValidationError, GridcaseError) as exc:
        return outcome.refused(exc)
    flash(_("%(action)s: done.", action=action.label), "success")
    return FormOutcome(redirect=redirect(url_for(endpoint, ref=case.public_number)))


def handle_photo_form(user: User, ref: str, endpoint: str) -> FormOutcome:
    """The page form for photos (without JavaScript, or from the workbench): store each posted
    file as the JSON API's attachment endpoint would, all or none; redirect on success."""
    files = [file for file in request.files.getlist("file") if file.filename]
    outcome = FormOutcome(action="photo")
    if not files:
        outcome.status, outcome.errors = 422, {"file": [_("Choose a photo first.")]}
        outcome.message = _("Please correct the fields marked below.")
        return outcome
    try:
        for file in files:
            add_photo(user, ref, file.read())
        db.session.commit()
    except GridcaseError as exc:
        return outcome.refused(exc)
    flash(_("Photos added: %(count)d.", count=len(files)), "success")
    return FormOutcome(redirect=redirect(url_for(endpoint, ref=ref)))


def level_handlers(case: Case) -> list[User]:
    """The handlers of the case's level whose scope holds it: whom a 督办单 may name."""
    role = HANDLER_ROLE_OF_LEVEL.get(case.level)
    return [u for u in assignable_users(case) if role is not None and u.role == role.value]


def assignable_users(case: Case) -> list[User]:
    """People a case can be assigned to: the grid's workers and the handlers of its level."""
    handler_role = HANDLER_ROLE_OF_LEVEL.get(case.level)
    workers = sa.select(grid_assignments.c.user_id).where(grid_assignments.c.grid_code == case.grid_code)
    node = getattr(case, territory_column(Case, case.level).key)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.active,
                sa.or_(
                    sa.and_(User.role == Role.GRID_WORKER.value, User.id.in_(workers)),
                    sa.and_(
                        User.role == (handler_role.value if handler_role else ""), User.scope_code == node
                    ),
                ),
            )
            .order_by(User.role, User.display_name)
        )
    )


def case_view_model(case: Case, user: User) -> dict:
    """Everything a case page shows, computed once: the case as the API's schema dumps it for
    this user (so the pages show exactly what the API says), the map data and the people it can
    be assigned to."""
    body = dump_case(case, viewer=user, whole=True)
    # The viewer's own unit's assignment, for a unit's person: the one they work through (the
    # open one, else their latest done one), not an earlier one their unit returned.
    mine = unit_assignment(case.id, user.unit_code)
    body["my_assignment"] = next((a for a in body["assignments"] if mine and a["id"] == mine.id), None)
    allowed = body["allowed_actions"]
    actor, state = actor_state(user, case), case_state(case)
    agreements = case_agreements(case.id)
    is_open = case.status in OPEN_STATUSES
    may_invite = is_open and handles(actor, state)
    invitations = standing_invitations(case.id)
    is_dispute = case.kind == "dispute"
    archived = archived_file(case.id) if is_dispute else None
    referral = court_referral(case.id) if is_dispute else None
    # 诉前调解: a handler records a court's referral of an open dispute, then reports its result.
    may_handle_referral = (
        is_dispute
        and archived is None
        and (handles(actor, state) or above(actor, state))
        and (referral is not None or is_open)
    )
    return {
        "may_reveal": handles(actor, state) or above(actor, state) or works_on(actor),
        "revealed": {},
        "case": body,
        "allowed": allowed,
        "assignees": assignable_users(case) if Action.ASSIGN.value in allowed else [],
        "dispatch_units": dispatchable_units(case) if Action.DISPATCH.value in allowed else [],
        "level_handlers": level_handlers(case) if Action.SUPERVISE.value in allowed else [],
        "supervisions": case_supervisions(case.id),
        "agreements": agreements,
        # Where parties apply for 司法确认, or the court that referred the dispute: the city's
        # units, courts first.
        "courts": court_choices(case.city_code) if agreements or may_handle_referral else [],
        "court_referral": referral,
        "may_handle_referral": may_handle_referral,
        "today": datetime.now(local_tz()).date().isoformat(),
        # The mediation record and who mediates: the sittings with their 笔录, the mediators
        # invited from outside, and whom a sitting may name beside the one recording it.
        "sessions": case_sessions(user, case),
        "evidence": case_evidence(user, case),
        "max_evidence_mb": int(setting("GRIDCASE_MAX_EVIDENCE_BYTES")) // (1024 * 1024),
        "session_kinds": list(SessionKind),
        "may_record_session": is_open and mediates(user, case),
        "co_mediators": [
            u for u in [*level_handlers(case), *(m for _i, m in invitations)] if u.id != user.id
        ],
        "invitations": invitations,
        "may_invite": may_invite,
        "roster": mediator_roster(case.city_code) if may_invite else [],
        # The case file (卷宗) of a dispute: its parts, and whether it is archived.
        "case_file_parts": CASE_FILE_PARTS if is_dispute else (),
        "case_file_archived": archived,
        "grid_json": grids_feature_collection([case.grid_code]),
        "point_json": [body["location"]["lon"], body["location"]["lat"]],
        "ladder_levels": _lower_levels(case),
        "max_photos": int(setting("GRIDCASE_MAX_ATTACHMENTS")),
    }


def _lower_levels(case: Case) -> list[str]:
    levels = ladder()
    return levels[: levels.index(case.level)] if case.level in levels else []


def register_case_page(bp: Blueprint, roles: tuple[Role, ...], render_page: CasePageRenderer) -> None:
    """Add the case page to a blueprint (the phone's /m/ or the workbench's /desk/): the page
    with a form for each action (GET, and POST of a form), and its photo form. `render_page`
    draws the blueprint's own page with the outcome of a posted form."""

    @bp.route("/cases/<ref>", methods=["GET", "POST"], endpoint="case")
    @page_login_required(*roles)
    def case(ref):
        """One case: status, light, map, details, masked parties, photos, timeline, and a form
        for each action the user may take now."""
        user = current_user()
        outcome = handle_action_form(user, ref, f"{bp.name}.case")
        return outcome.redirect or render_page(user, ref, outcome)

    @bp.post("/cases/<ref>/photos", endpoint="photos")
    @page_login_required(*roles)
    def photos(ref):
        """The page's photo form (a phone without JavaScript, a signed agreement on the
        workbench): each file checked as the JSON API checks it, all or none."""
        user = current_user()
        outcome = handle_photo_form(user, ref, f"{bp.name}.case")
        return outcome.redirect or render_page(user, ref, outcome)
