"""The city's administrator's pages. User accounts (/admin/users): the list with a new-user
form, and one user's page to change, disable or enable the account and reset its password or
two-factor sign-in. Units (/admin/units): the list, a new unit, and one unit's page to change
it, deactivate or activate it, and set the categories it handles. The forms go through the JSON
API's schemas and the same audited operations (gridcase.people.admin, gridcase.units.admin); a
refused form comes back with every reason next to its field."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from gridcase.cases.catalogue import list_categories
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
from gridcase.units import admin as unit_admin
from gridcase.units.domain import UnitKind
from gridcase.units.importer import category_leaves
from gridcase.units.queries import city_units
from gridcase.units.schemas import UnitCategoriesSchema, UnitChangeSchema, UnitCreateSchema, UnitQuerySchema
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


# --- units (职能部门, 站所, 专业调委会) -----------------------------------------------------------

UNIT_CREATE_FIELDS = ("code", "name", "name_en", "kind", "region", "credit_code", "sign_days", "finish_days")
UNIT_CHANGE_FIELDS = ("name", "name_en", "kind", "credit_code", "sign_days", "finish_days")
# Cleared when left blank on the change form (the others are required: blank is "may not be null").
UNIT_OPTIONAL_FIELDS = ("name_en", "credit_code")


@bp.get("/units")
@page_login_required(Role.ADMIN)
def units():
    """The city's units, filtered by level, region served, a category handled or active."""
    admin = current_user()
    names = ("level", "region", "category", "active", "q")
    args = {k: v.strip() for k, v in request.args.items() if k in names and v.strip()}
    errors = {}
    try:
        query = UnitQuerySchema().load(args)
    except ValidationError as exc:
        errors, query = say_all(exc.messages), UnitQuerySchema().load({})
    return render_template(
        "admin/units.html",
        user=admin,
        units=unit_admin.list_units(admin, **query),
        regions=unit_admin.unit_regions(admin),
        args=args,
        errors=errors,
        kinds=UnitKind,
    )


@bp.route("/units/new", methods=["GET", "POST"])
@page_login_required(Role.ADMIN)
def new_unit():
    """A form for a new unit of the city; its categories are set on its page next."""
    admin = current_user()
    outcome = FormOutcome()
    if request.method == "POST":
        outcome = FormOutcome(action="create", values=request.form.copy())
        try:
            data = UnitCreateSchema().load(_payload(request.form, UNIT_CREATE_FIELDS))
            unit = unit_admin.create_unit(admin, data)
            db.session.commit()
        except (ValidationError, GridcaseError, IntegrityError) as exc:
            # IntegrityError: the same code, created a moment ago by someone else
            outcome.refused(exc, conflict=("code", _("This unit code is taken.")))
        else:
            flash(
                _("Unit %(code)s created; now choose the categories it handles.", code=unit.code), "success"
            )
            return redirect(url_for("admin_page.unit", code=unit.code))
    page = render_template(
        "admin/unit_new.html",
        user=admin,
        form=outcome,
        regions=unit_admin.unit_regions(admin),
        kinds=UnitKind,
    )
    return page, outcome.status


@bp.get("/units/<string:code>")
@page_login_required(Role.ADMIN)
def unit(code):
    """One unit of the city, with a form for its details, one to deactivate or activate it, and
    one for the categories it handles (a unit of another city is a 404)."""
    return _unit_page(current_user(), code, FormOutcome())


@bp.post("/units/<string:code>")
@page_login_required(Role.ADMIN)
def change_unit(code):
    """Change the unit's details and limits, or deactivate or activate it (audited; a unit
    still holding open assignments is not deactivated)."""
    admin = current_user()
    form = "active" if request.form.get("form") == "active" else "details"
    outcome = FormOutcome(action=form, values=request.form.copy())
    try:
        if form == "active":
            data = UnitChangeSchema().load({"active": request.form.get("active", "")})
        else:
            data = UnitChangeSchema().load(_unit_change_payload(request.form))
        unit_admin.change_unit(admin, code, data)
        db.session.commit()
    except (ValidationError, GridcaseError) as exc:
        return _unit_page(admin, code, outcome.refused(exc))
    if "active" in data:
        flash(_("Unit activated.") if data["active"] else _("Unit deactivated."), "success")
    else:
        flash(_("Changes saved."), "success")
    return redirect(url_for("admin_page.unit", code=code))


@bp.post("/units/<string:code>/categories")
@page_login_required(Role.ADMIN)
def unit_categories(code):
    """Set the categories the unit handles, with its own limits for each where they differ and
    whether it is the region's default unit for it (the flag moves here from the unit that held
    it; audited on both)."""
    admin = current_user()
    outcome = FormOutcome(action="categories", values=request.form.copy())
    items = _categories_payload(request.form)
    try:
        data = UnitCategoriesSchema().load({"categories": items})
        unit_admin.set_categories(admin, code, data["categories"])
        db.session.commit()
    except ValidationError as exc:
        # The schema names a category's row by its place in the list; the page by its code.
        rows = exc.messages.get("categories", {})
        by_code = {items[i]["category"]: m for i, m in rows.items()} if isinstance(rows, dict) else {}
        exc = ValidationError({"categories": by_code or rows})
        return _unit_page(admin, code, outcome.refused(exc))
    except (GridcaseError, IntegrityError) as exc:
        # IntegrityError: another unit made the default for one of them a moment ago
        return _unit_page(admin, code, outcome.refused(exc))
    flash(_("Categories saved."), "success")
    return redirect(url_for("admin_page.unit", code=code))


def _unit_page(admin: User, code: str, outcome: FormOutcome):
    """The unit's page (a unit of another city is a 404), its categories form listing the whole
    catalogue by group."""
    unit = unit_admin.get_unit(admin, code)
    leaves = category_leaves()
    categories = {c.code: c for c in list_categories()}
    # The catalogue's groups, each with its leaves: the rows of the categories form.
    groups = [
        (categories[parent], [categories[leaf] for leaf in leaves[parent]])
        for parent in categories
        if parent in leaves and leaves[parent] != [parent]
    ]
    grouped = {leaf.code for _parent, group in groups for leaf in group}
    loose = [categories[c] for c in leaves[None] if c not in grouped]
    if loose:
        groups.append((None, loose))
    return (
        render_template(
            "admin/unit.html",
            user=admin,
            unit=unit,
            handled={h.category_code: h for h in unit.handles},
            groups=groups,
            row_codes={c.code for _parent, group in groups for c in group},
            form=outcome,
            kinds=UnitKind,
        ),
        outcome.status,
    )


def _unit_change_payload(form: MultiDict) -> dict:
    """The details form as the API's schema takes it: every field is on the form, so a blank
    optional one is cleared and a blank required one is refused ("may not be null")."""
    data = {}
    for name in UNIT_CHANGE_FIELDS:
        if name not in form:
            continue
        value = form.get(name, "").strip()
        data[name] = value or None
    return data


def _categories_payload(form: MultiDict) -> list[dict]:
    """The categories form: a row for every category, ticked when handled (a default is handled
    too), with its own limits left blank for the unit's."""
    defaults = set(form.getlist("default"))
    items = []
    for code in dict.fromkeys([*form.getlist("handles"), *form.getlist("default")]):
        item = {"category": code, "default": code in defaults}
        for name in ("sign_days", "finish_days"):
            item[name] = form.get(f"{name}-{code}", "").strip() or None
        items.append(item)
    return items
