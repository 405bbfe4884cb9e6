"""User accounts for the city's administrator (/admin/users): the list with a new-user form, and
one user's page to change, disable or enable the account and reset its password or two-factor
sign-in. The forms go through the JSON API's schemas and the same audited operations
(gridcase.people.admin); a refused form comes back with every reason next to its field."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.messages import say_all
from gridcase.people import admin as accounts
from gridcase.people.models import User, grid_assignments
from gridcase.people.roles import Role
from gridcase.people.schemas import ROLES, UserChangeSchema, UserCreateSchema, UserQuerySchema
from gridcase.people.scope import user_city_code
from gridcase.people.sessions import current_user
from gridcase.settings import utcnow
from gridcase.units.queries import city_units
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms

bp = Blueprint("admin_page", __name__, url_prefix="/admin")
bp.before_request(protect_forms)

# Open311 client systems are made with their API key on the command line, not here.
NEW_USER_ROLES = [r for r in ROLES if r != Role.OPEN311_CLIENT]
CREATE_FIELDS = ("username", "display_name", "role", "scope", "unit", "grids", "password")
CHANGE_FIELDS = ("display_name", "role", "scope", "unit", "grids", "active")
# A password to show once, on the next page of the user it belongs to. The session cookie
# carries it for one redirect: never a URL, never a log line.
SHOWN_PASSWORD = "admin_shown_password"


@bp.route("/users", methods=["GET", "POST"])
@page_login_required(Role.ADMIN)
def users():
    """The city's users, filtered by role or name, and a form for a new user (a password left
    blank is generated and shown once, on the new user's page)."""
    admin = current_user()
    outcome = FormOutcome()
    if request.method == "POST":
        outcome = FormOutcome(action="create", values=_typed(request.form))
        try:
            data = UserCreateSchema().load(_payload(request.form, CREATE_FIELDS))
            user, password = accounts.add_user(admin, data)
            db.session.commit()
        except (ValidationError, GridcaseError, IntegrityError) as exc:
            # IntegrityError: the same username, created a moment ago by someone else
            outcome.refused(exc, conflict=("username", _("This username is taken.")))
        else:
            if password:
                session[SHOWN_PASSWORD] = {"user_id": user.id, "password": password}
            flash(_("User %(username)s created.", username=user.username), "success")
            return redirect(url_for("admin_page.user", user_id=user.id))
    return _list_page(admin, outcome)


@bp.get("/users/<id:user_id>")
@page_login_required(Role.ADMIN)
def user(user_id):
    """One user of the city, with a form for each change an administrator may make."""
    return _user_page(current_user(), user_id, FormOutcome())


@bp.post("/users/<id:user_id>")
@page_login_required(Role.ADMIN)
def change(user_id):
    """Change the display name, role and scope, a grid worker's grids, or disable or enable the
    account (audited; disabling ends its sessions and API tokens)."""
    admin = current_user()
    form = "active" if request.form.get("form") == "active" else "details"
    outcome = FormOutcome(action=form, values=_typed(request.form))
    try:
        data = UserChangeSchema().load(_payload(request.form, CHANGE_FIELDS))
        accounts.change_user(admin, user_id, data)
        db.session.commit()
    except (ValidationError, GridcaseError) as exc:
        return _user_page(admin, user_id, outcome.refused(exc))
    if "active" in data:
        flash(
            _("Account enabled.")
            if data["active"]
            else _("Account disabled; its sessions and API tokens have ended."),
            "success",
        )
    else:
        flash(_("Changes saved."), "success")
    return redirect(url_for("admin_page.user", user_id=user_id))


@bp.post("/users/<id:user_id>/reset-password")
@page_login_required(Role.ADMIN)
def reset_password(user_id):
    """Give the user a new temporary password, shown once; their sessions and tokens end."""
    admin = current_user()
    if user_id == admin.id:  # this session would end before the new password was shown
        flash(_("Change your own password on your account page."), "info")
        return redirect(url_for("signin.account"))
    password = accounts.reset_password(admin, user_id)
    db.session.commit()
    session[SHOWN_PASSWORD] = {"user_id": user_id, "password": password}
    flash(_("Password reset; the user's sessions and API tokens have ended."), "success")
    return redirect(url_for("admin_page.user", user_id=user_id))


@bp.post("/users/<id:user_id>/reset-two-factor")
@page_login_required(Role.ADMIN)
def reset_two_factor(user_id):
    """Forget the user's authenticator (a lost phone); they set it up at their next sign-in."""
    accounts.reset_two_factor(current_user(), user_id)
    db.session.commit()
    flash(_("Two-factor sign-in reset; the user sets it up again at the next sign-in."), "success")
    return redirect(url_for("admin_page.user", user_id=user_id))


def _list_page(admin: User, outcome: FormOutcome):
    args = {k: v.strip() for k, v in request.args.items() if k in ("role", "q") and v.strip()}
    errors = {}
    try:
        query = UserQuerySchema().load(args)
    except ValidationError as exc:
        errors, query = say_all(exc.messages), UserQuerySchema().load({})
    found = accounts.list_users(admin, query["role"], query["q"])
    page = render_template(
        "admin/users.html",
        user=admin,
        users=found,
        grids=_grid_codes(found),
        args=args,
        errors=errors,
        form=outcome,
        roles=ROLES,
        new_roles=NEW_USER_ROLES,
        units=city_units(user_city_code(admin)),
        now=utcnow(),
    )
    return page, outcome.status


def _user_page(admin: User, user_id: int, outcome: FormOutcome):
    """The user's page (a user of another city is a 404), with a password to show once."""
    account = accounts.get_user(admin, user_id)
    shown = session.pop(SHOWN_PASSWORD, None)
    password = shown["password"] if shown and shown.get("user_id") == account.id else None
    response = make_response(
        render_template(
            "admin/user.html",
            user=admin,
            account=account,
            password=password,
            form=outcome,
            roles=NEW_USER_ROLES if account.role != Role.OPEN311_CLIENT else ROLES,
            units=(units := city_units(user_city_code(admin))),
            unit_names={u.code: u.name for u in units},
            now=utcnow(),
        ),
        outcome.status,
    )
    if password:
        response.headers["Cache-Control"] = "no-store"
    return response


def _typed(form: MultiDict) -> MultiDict:
    """What the user typed, to put back into a refused form: never the password."""
    values = form.copy()
    values.pop("password", None)
    return values


def _payload(form: MultiDict, names: tuple[str, ...]) -> dict:
    """The form's filled-in fields as the API's schema takes them; grids as a list of codes."""
    data = {}
    for name in names:
        value = form.get(name, "")
        if not value.strip():
            continue
        if name == "grids":
            data[name] = [code for code in re.split(r"[\s,，;；]+", value) if code]
        else:
            data[name] = value if name == "password" else value.strip()
    return data


def _grid_codes(users: list[User]) -> dict[int, list[str]]:
    """The grids of the grid workers among `users`, in one query rather than one per row."""
    ids = [u.id for u in users if u.role == Role.GRID_WORKER]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(grid_assignments.c.user_id, grid_assignments.c.grid_code)
        .where(grid_assignments.c.user_id.in_(ids))
        .order_by(grid_assignments.c.grid_code)
    )
    codes: dict[int, list[str]] = {}
    for user_id, code in rows:
        codes.setdefault(user_id, []).append(code)
    return codes
