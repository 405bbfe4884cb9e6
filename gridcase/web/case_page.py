"""What the phone page and the workbench share about one case: its view model, and the action
forms, which post here, go through the same payload schemas and the same `perform_action` as
the JSON API, and on failure come back with every typed value and an error next to its field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from gridcase.api.actions import PAYLOADS
from gridcase.api.case_body import case_body
from gridcase.api.plain import plain
from gridcase.cases.attachments import add_photo
from gridcase.cases.lifecycle import Action, above, handles
from gridcase.cases.models import Case
from gridcase.cases.operations import actor_state, case_state, perform_action
from gridcase.errors import Conflict, GridcaseError
from gridcase.extensions import db
from gridcase.notifications.inbox import HANDLER_ROLE_OF_LEVEL
from gridcase.people.models import User, grid_assignments
from gridcase.people.roles import Role
from gridcase.people.scope import case_territory_column
from gridcase.settings import ladder, local_tz, setting
from gridcase.territory.queries import grids_feature_collection
from gridcase.web import labels


@dataclass
class FormOutcome:
    """The result of handling a posted action form (or of a plain GET)."""

    redirect: object | None = None
    status: int = 200
    action: str | None = None  # the form that failed
    message: str | None = None
    errors: dict = field(default_factory=dict)
    values: MultiDict = field(default_factory=MultiDict)

    def error(self, name: str) -> str:
        """The message for one field (dotted names for nested ones), for the template."""
        node = self.errors
        for part in name.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return ""
        if isinstance(node, list):
            return " ".join(str(m) for m in node)
        return str(node) if not isinstance(node, dict) else ""

    def value(self, action: str, name: str, default: str = "") -> str:
        """What the user typed into a field of `action`'s form, when that form failed."""
        return self.values.get(name, default) if self.action == action else default


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
        case = perform_action(user, ref, action, version, plain(payload))
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        outcome.status, outcome.errors = 422, labels.say_all(exc.messages)
        outcome.message = _("Please correct the fields marked below.")
        return outcome
    except Conflict:
        db.session.rollback()
        outcome.status = 409
        outcome.message = _(
            "Someone else changed this case while you were working on it. Check the timeline, then try again."
        )
        return outcome
    except GridcaseError as exc:
        return _refused(outcome, exc)
    flash(_("%(action)s: done.", action=labels.ACTION.get(action.value, action.value)), "success")
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
        return _refused(outcome, exc)
    flash(_("Photos added: %(count)d.", count=len(files)), "success")
    return FormOutcome(redirect=redirect(url_for(endpoint, ref=ref)))


def _refused(outcome: FormOutcome, exc: GridcaseError) -> FormOutcome:
    """A refused form: nothing of it is kept, and the page says why (a case out of scope stays
    a 404, as everywhere)."""
    db.session.rollback()
    if exc.status == 404:
        raise exc
    errors = labels.say_all(exc.errors) if isinstance(exc.errors, dict) else {}
    outcome.status, outcome.message, outcome.errors = exc.status, labels.say(exc.message), errors
    return outcome


def assignable_users(case: Case) -> list[User]:
    """People a case can be assigned to: the grid's workers and the handlers of its level."""
    handler_role = HANDLER_ROLE_OF_LEVEL.get(case.level)
    workers = sa.select(grid_assignments.c.user_id).where(grid_assignments.c.grid_code == case.grid_code)
    node = getattr(case, case_territory_column(case.level).key)
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


def case_view_model(case: Case, user: User, events) -> dict:
    """Everything a case page shows, computed once: the API's own body of the case (so the
    pages show exactly what the API says), the map data and the people it can be assigned to."""
    body = case_body(case, events=events, viewer=user)
    allowed = body["allowed_actions"]
    actor, state = actor_state(user, case), case_state(case)
    return {
        "may_reveal": handles(actor, state) or above(actor, state),
        "revealed": {},
        "case": body,
        "allowed": allowed,
        "assignees": assignable_users(case) if Action.ASSIGN.value in allowed else [],
        "grid_json": grids_feature_collection([case.grid_code]),
        "point_json": [body["location"]["lon"], body["location"]["lat"]],
        "ladder_levels": _lower_levels(case),
        "max_photos": int(setting("GRIDCASE_MAX_ATTACHMENTS")),
    }


def _lower_levels(case: Case) -> list[str]:
    levels = ladder()
    return levels[: levels.index(case.level)] if case.level in levels else []
