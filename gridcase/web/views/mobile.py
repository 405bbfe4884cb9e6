"""The grid worker's phone pages (/m/): home, new case, case detail, patrol.

Built for a cheap Android phone in a lane with a weak signal: small pages, big touch targets,
and a new case that is saved on the phone first (an outbox) and sent when there is signal.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gridcase.assessment.domain import Period
from gridcase.assessment.scores import my_score
from gridcase.cases.catalogue import leaf_codes, list_categories
from gridcase.cases.domain import DONE_STATUSES, OPEN_STATUSES, Severity
from gridcase.cases.queries import find_case, list_cases
from gridcase.cases.schemas import dump_cases
from gridcase.errors import GridcaseError, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.gridwork.models import Patrol, Visit
from gridcase.gridwork.patrols import finding_to_case, visible_patrols
from gridcase.gridwork.register import find_households, grid_places
from gridcase.gridwork.schemas import VisitInSchema
from gridcase.gridwork.screening import file_report, reports_owed
from gridcase.gridwork.visits import add_visit_photo, concern_to_case, record_visit, visible_visits
from gridcase.gridwork.watch import due_follow_ups, follow_up
from gridcase.messages import Message, say, say_all
from gridcase.notifications.inbox import inbox, mark_read
from gridcase.people.roles import Role
from gridcase.people.sessions import current_user
from gridcase.settings import local_tz, utcnow
from gridcase.territory.queries import grids_feature_collection
from gridcase.web.case_page import case_view_model, register_case_page
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms
from gridcase.web.maps import map_settings

bp = Blueprint("mobile", __name__, url_prefix="/m")
bp.before_request(protect_forms)


@bp.route("/")
@page_login_required(Role.GRID_WORKER)
def home():
    """My grids on a small map, my open cases by due time, unread notifications, the outbox."""
    user = current_user()
    cases = list_cases(user, {"status": OPEN_STATUSES, "sort": "due_at"}, page_size=50)
    notes, unread = inbox(user, unread_only=True, limit=5)
    grids = grids_feature_collection([g.code for g in user.grids])
    items = dump_cases(cases.items)
    points = [
        {"lon": c["location"]["lon"], "lat": c["location"]["lat"], "light": c["light"], "title": c["title"]}
        for c in items
    ]
    to_verify = dump_cases(list_cases(user, {"verify": "me", "sort": "created_at"}, page_size=20).items)
    today = utcnow().astimezone(local_tz()).date()
    return render_template(
        "mobile/home.html",
        user=user,
        cases=items,
        to_verify=to_verify,
        points_json=points,
        total=cases.total,
        notifications=notes,
        unread=unread,
        grids_json=grids,
        map_json=map_settings(),
        follow_ups=due_follow_ups(user, today),
        screenings=reports_owed(user),
        today=today,
    )


@bp.route("/notifications", methods=["GET", "POST"])
@page_login_required(Role.GRID_WORKER)
def notifications():
    """All my notifications, the latest first; posting marks them all read."""
    user = current_user()
    if request.method == "POST":
        mark_read(user, None, utcnow())
        db.session.commit()
        return redirect(url_for("mobile.notifications"))
    items, unread = inbox(user, limit=100)
    return render_template("mobile/notifications.html", user=user, items=items, unread=unread)


@bp.route("/score")
@page_login_required(Role.GRID_WORKER)
def score():
    """My 考核 score for a month or a quarter (this month to date by default): each item's part
    in it and what it cost me, my place among my township's workers, the period before."""
    user = current_user()
    mine = my_score(user, request.args.get("period"))
    today = utcnow().astimezone(local_tz()).date()
    this_month = Period.month_of(today)
    periods = [this_month, this_month.previous, Period(today.year, quarter=(today.month - 1) // 3 + 1)]
    return render_template("mobile/score.html", user=user, mine=mine, periods=periods)


@bp.route("/cases")
@page_login_required(Role.GRID_WORKER)
def cases():
    """The cases of my grids and the ones I logged — open, done (resolved or closed) or all —
    found by title or number, the latest first."""
    user = current_user()
    show = request.args.get("show", "open")
    statuses = {"open": list(OPEN_STATUSES), "done": list(DONE_STATUSES), "all": None}.get(
        show, list(OPEN_STATUSES)
    )
    q, error = request.args.get("q", "").strip(), ""
    if len(q) > 100:
        q, error = q[:100], _("At most 100 characters.")
    result = list_cases(user, {"status": statuses, "q": q or None, "sort": "-created_at"}, page_size=50)
    return render_template(
        "mobile/cases.html",
        user=user,
        cases=dump_cases(result.items),
        total=result.total,
        show=show if show in ("open", "done", "all") else "open",
        q=q,
        error=error,
    )


@bp.route("/households", methods=["GET", "POST"])
@page_login_required(Role.GRID_WORKER)
def households():
    """My grid's houses with their residents (masked) and its places; a household looked up by
    address, house number or a resident's full ID number — posted, so that an ID number never
    stands in a URL (browser history, server logs)."""
    user = current_user()
    mine = {g.code: g for g in user.grids}
    if not mine:
        raise NotFound(Message("You have no grid to work in."))
    chosen = request.form.get("grid") or request.args.get("grid", "")
    grid = mine.get(chosen) or mine[min(mine)]
    q = request.form.get("q", "")[:60] if request.method == "POST" else ""
    return render_template(
        "mobile/households.html",
        user=user,
        grid=grid,
        q=q,
        houses=find_households(user, grid.code, q),
        places=[] if q else grid_places(user, grid.code),
    )


@bp.post("/watch/<id:item_id>/follow-up")
@page_login_required(Role.GRID_WORKER)
def watch_follow_up(item_id):
    """Record a follow-up of a person or hazard I answer for; back to my list."""
    return _home_step(lambda user: follow_up(user, item_id, request.form.get("note", ""), utcnow()))


@bp.post("/screening/<id:round_id>/report")
@page_login_required(Role.GRID_WORKER)
def screening_report(round_id):
    """File my grid's report in a screening round: the disputes found, or a 零报告."""
    form = request.form
    count = form.get("disputes_found", "0").strip() or "0"

    def report(user):
        if not count.isdigit():
            raise Unprocessable(_("Give the number of disputes found (0 for none)."))
        file_report(user, round_id, form.get("grid_code", ""), int(count), form.get("note", ""), utcnow())

    return _home_step(report)


def _home_step(step):
    """Take a step from a form of the home page and go back to it, saying how it went."""
    user = current_user()
    try:
        step(user)
        db.session.commit()
    except GridcaseError as exc:
        db.session.rollback()
        flash(_sentence(exc), "error")
        return redirect(url_for("mobile.home"))
    flash(_("Saved."), "success")
    return redirect(url_for("mobile.home"))


@bp.route("/new")
@page_login_required(Role.GRID_WORKER)
def new_case():
    """The new-case form. It works offline: the page is cached by the service worker and the
    case waits in the phone's outbox until it can be sent."""
    user = current_user()
    leaves = leaf_codes()
    categories = [
        {
            "code": c.code,
            "name": c.name,
            "kind": c.kind,
            "initials": c.initials or "",
            "severity": c.default_severity,
        }
        for c in list_categories()
        if c.code in leaves
    ]
    return render_template(
        "mobile/new_case.html",
        user=user,
        categories_json=categories,
        severities=[s.value for s in Severity],
        grids_json=grids_feature_collection([g.code for g in user.grids]),
        map_json=map_settings(),
    )


@bp.route("/patrol")
@page_login_required(Role.GRID_WORKER)
def patrol():
    """Start and end a patrol, record findings along the way (all kept on the phone until it
    is sent), and my latest patrols with their findings, each a case in one tap."""
    return _patrol_page(current_user())


@bp.post("/patrol/findings/<id:finding_id>/case")
@page_login_required(Role.GRID_WORKER)
def finding_case(finding_id):
    """Log a finding of my patrol as a case, at the place it was found; then its case page."""
    user = current_user()
    try:
        case = finding_to_case(user, finding_id, request.form.get("category"), "", utcnow())
        db.session.commit()
    except GridcaseError as exc:
        db.session.rollback()
        return _patrol_page(user, message=_sentence(exc), status=exc.status)
    return redirect(url_for("mobile.case", ref=case.public_number))


@bp.route("/visits", methods=["GET", "POST"])
@page_login_required(Role.GRID_WORKER)
def visits():
    """Record a visit to a household or a place, or a 民情日志 entry, where I stand (GPS), with
    an optional photo; my latest records, each concern a case in one tap."""
    user = current_user()
    if request.method == "GET":
        return _visits_page(user, FormOutcome())
    outcome = FormOutcome(action="visit", values=request.form.copy())
    form = request.form
    body = {
        "kind": form.get("kind", ""),
        "topic": form.get("topic") or None,
        "visited_at": utcnow().isoformat(),
        "target": form.get("target", ""),
        "people_met": form.get("people_met", ""),
        "content": form.get("content", ""),
        "concerns": form.get("concerns", ""),
        "lon": form.get("lon") or None,
        "lat": form.get("lat") or None,
    }
    photo = request.files.get("photo")
    try:
        if body["lon"] is None or body["lat"] is None:
            raise ValidationError({"lon": [_("Waiting for the GPS: save again once it shows your place.")]})
        visit, _created = record_visit(user, VisitInSchema().load(body), None, utcnow())
        if photo is not None and photo.filename:
            add_visit_photo(user, visit.id, photo.read())
        db.session.commit()
    except (GridcaseError, ValidationError) as exc:
        db.session.rollback()
        return _visits_page(user, outcome.refused(exc))
    flash(_("Saved."), "success")
    return redirect(url_for("mobile.visits"))


@bp.post("/visits/<id:visit_id>/case")
@page_login_required(Role.GRID_WORKER)
def visit_case(visit_id):
    """Log a visit's concern as a case at the visit's place; then its case page."""
    user = current_user()
    try:
        case = concern_to_case(user, visit_id, request.form.get("category"), "", utcnow())
        db.session.commit()
    except GridcaseError as exc:
        db.session.rollback()
        return _visits_page(user, FormOutcome(action="visit_case").refused(exc))
    return redirect(url_for("mobile.case", ref=case.public_number))


def _visits_page(user, outcome: FormOutcome):
    records = db.session.scalars(
        sa.select(Visit).where(visible_visits(user)).order_by(Visit.visited_at.desc()).limit(20)
    ).all()
    page = render_template(
        "mobile/visits.html", user=user, visits=records, categories=_leaf_categories(), form=outcome
    )
    return page, outcome.status


def _leaf_categories() -> list[dict]:
    leaves = leaf_codes()
    return [{"code": c.code, "name": c.name} for c in list_categories() if c.code in leaves]


def _sentence(exc: GridcaseError) -> str:
    """The refusal in the page's language, with what each field says."""
    fields = say_all(exc.errors) if isinstance(exc.errors, dict) else {}
    details = [
        m for messages in fields.values() for m in (messages if isinstance(messages, list) else [messages])
    ]
    return " ".join([say(exc.message), *[d for d in details if isinstance(d, str)]])


def _patrol_page(user, message: str = "", status: int = 200):
    patrols = db.session.scalars(
        sa.select(Patrol).where(visible_patrols(user)).order_by(Patrol.started_at.desc()).limit(10)
    ).unique()
    page = render_template(
        "mobile/patrol.html", user=user, patrols=list(patrols), categories=_leaf_categories(), message=message
    )
    return page, status


def _case_page(user, ref, outcome):
    """The phone's case page (with JavaScript, photos.js scales each photo down and sends it to
    the JSON API instead of the page's photo form)."""
    model = case_view_model(find_case(user, ref), user)
    return render_template("mobile/case.html", user=user, **model, form=outcome), outcome.status


register_case_page(bp, (Role.GRID_WORKER,), _case_page)
