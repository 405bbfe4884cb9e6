"""The command centre's dashboard (/dashboard/): the city on a map coloured by open cases or any
indicator, the KPI tiles, weekly trends, open risk alerts, and drill-down to any node of the
user's scope. Built for a 1920×1080 screen, usable on a laptop; it refreshes itself.

The page is a shell; its script reads the JSON API (stats, alerts, case points, regions) with
the signed-in session, so the dashboard shows exactly what the API says.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gridcase.assessment.domain import CATALOGUE, RATE, Period, Subject
from gridcase.assessment.schemes import create_scheme, scheme_in_effect, scheme_versions
from gridcase.assessment.scores import ranking
from gridcase.cases.domain import OPEN_STATUSES
from gridcase.errors import GridcaseError, NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.people.roles import HANDLER_ROLES, Role
from gridcase.people.scope import covers_region, user_city_code
from gridcase.people.sessions import current_user
from gridcase.replica import reads_from_replica
from gridcase.settings import local_tz, setting, utcnow
from gridcase.stats.alert_queries import alert_cases_visible, find_alert
from gridcase.stats.alerts import acknowledge_alert, assess_alert, close_alert
from gridcase.stats.indicators import UNIT_RATES
from gridcase.stats.models import AlertKind, CloseOutcome, RiskGrade
from gridcase.stats.queries import stats_query, stats_region
from gridcase.stats.schemas import AcknowledgeSchema, AssessSchema, CloseSchema
from gridcase.stats.supervision_stats import supervision_table
from gridcase.stats.trends import trend_table
from gridcase.stats.unit_indicators import unit_indicator_table
from gridcase.territory.queries import ancestors, get_region
from gridcase.units.domain import UnitKind
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms
from gridcase.web.maps import map_settings

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.before_request(protect_forms)

REFRESH_SECONDS = 60


@bp.route("/")
@page_login_required(*HANDLER_ROLES)
@reads_from_replica
def index():
    """The dashboard of a territory node in my scope (default: my scope)."""
    user = current_user()
    region = get_region(request.args.get("region") or user.scope_code)
    if not covers_region(user, region):
        raise NotFound(Message("No territory node has the code %(code)s.", code=str(region.code)))
    path = [r for r in ancestors(region) if covers_region(user, r)] + [region]
    today = utcnow().astimezone(local_tz()).date()
    config = {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "from": request.args.get("from") or (today - timedelta(days=29)).isoformat(),
        "to": request.args.get("to") or today.isoformat(),
        "refreshSeconds": REFRESH_SECONDS,
        "map": map_settings(),
        "caseUrl": "/desk/cases/",
        "alertUrl": url_for("dashboard.alert", alert_id=0)[:-1],
        # A grid is the bottom of the drill-down: a click on one opens its open cases in the
        # queue (the review's 73).
        "gridQueueUrl": url_for(
            "desk.queue", filtered=1, status=[s.value for s in OPEN_STATUSES], sort="due_at"
        )
        + "&region=",
        "timezone": str(local_tz()),
    }
    return render_template(
        "dashboard/index.html",
        user=user,
        region=region,
        path=path,
        config_json=config,
    )


# The forms of an alert's page: (schema of the posted fields, what they do).
ALERT_FORMS = {
    "acknowledge": (
        AcknowledgeSchema,
        lambda user, alert_id, data: acknowledge_alert(user, alert_id, data["note"]),
    ),
    "assess": (AssessSchema, assess_alert),
    "close": (
        CloseSchema,
        lambda user, alert_id, data: close_alert(user, alert_id, data["note"], data["outcome"]),
    ),
}


@bp.route("/alerts/<id:alert_id>", methods=["GET", "POST"])
@page_login_required(*HANDLER_ROLES)
def alert(alert_id):
    """One risk alert: what it is, where, its cases (each opens on the workbench), and the
    forms to acknowledge (签收), assess (研判: grade, who answers for it, by when) and close it
    (销号 with an outcome)."""
    user = current_user()
    outcome = FormOutcome()
    if request.method == "POST":
        outcome = _alert_form(user, alert_id)
        if outcome.redirect:
            return outcome.redirect
    found, region, _count = find_alert(user, alert_id)
    return (
        render_template(
            "dashboard/alert.html",
            user=user,
            alert=found,
            kind=AlertKind.label_of(found.kind),
            region=region,
            cases=alert_cases_visible(user, found),
            form=outcome,
            risk_grades=list(RiskGrade),
            close_outcomes=list(CloseOutcome),
        ),
        outcome.status,
    )


def _alert_form(user, alert_id: int) -> FormOutcome:
    action = request.form.get("action", "")
    outcome = FormOutcome(action=action, values=request.form.copy())
    if action not in ALERT_FORMS:
        outcome.status, outcome.message = 422, _("Unknown action.")
        return outcome
    schema, apply = ALERT_FORMS[action]
    fields = {k: v for k, v in request.form.items() if k not in ("csrf_token", "action") and v.strip()}
    try:
        apply(user, alert_id, schema().load(fields))
        db.session.commit()
    except (ValidationError, GridcaseError) as exc:
        return outcome.refused(exc)
    flash(_("Done."), "success")
    return FormOutcome(redirect=redirect(url_for("dashboard.alert", alert_id=alert_id)))


@bp.route("/units")
@page_login_required(*HANDLER_ROLES)
@reads_from_replica
def units():
    """Indicators per unit (条块联动) for a node in my scope and a period of dispatch days
    (default: the last 30 days): one row per unit its cases were dispatched to."""
    user = current_user()
    today = utcnow().astimezone(local_tz()).date()
    first = _day(request.args.get("from"), "from") or today - timedelta(days=29)
    last = _day(request.args.get("to"), "to") or today
    query = stats_query(user, {"region": request.args.get("region"), "from": first, "to": last})
    table = unit_indicator_table(query)
    path = [r for r in ancestors(query.region) if covers_region(user, r)] + [query.region]
    return render_template(
        "dashboard/units.html",
        user=user,
        region=query.region,
        path=path,
        table=table,
        supervision=supervision_table(query),
        rates=UNIT_RATES,
        unit_kinds=UnitKind,
    )


@bp.route("/trends")
@page_login_required(*HANDLER_ROLES)
@reads_from_replica
def trends():
    """研判: the node's areas and categories, the last 7 days against the weeks before and the
    same days a year before, the significant rises marked (as GET /api/v1/stats/trends)."""
    user = current_user()
    region = stats_region(user, request.args.get("region"))
    path = [r for r in ancestors(region) if covers_region(user, r)] + [region]
    return render_template(
        "dashboard/trends.html",
        user=user,
        region=region,
        path=path,
        rows=trend_table(region, utcnow()),
        weeks=setting("GRIDCASE_RISING_WEEKS"),
        alpha=setting("GRIDCASE_RISING_ALPHA"),
        minimum=setting("GRIDCASE_RISING_MIN_COUNT"),
    )


# Below each kind of area, the subjects it may rank (the first is the default: the level below).
_ALL_SUBJECTS = (Subject.TOWNSHIP, Subject.COMMUNITY, Subject.GRID, Subject.GRID_WORKER, Subject.UNIT)
_RANKABLE = {
    "city": _ALL_SUBJECTS,
    "district": _ALL_SUBJECTS,
    "township": _ALL_SUBJECTS[1:],
    "community": _ALL_SUBJECTS[2:],
}
# What a row of each subject drills down into.
_DRILL_INTO = {Subject.TOWNSHIP: Subject.COMMUNITY, Subject.COMMUNITY: Subject.GRID}


@bp.route("/assessment")
@page_login_required(*HANDLER_ROLES)
@reads_from_replica
def assessment():
    """考核排名: the subjects of an area scored for a month or a quarter, sortable, each score
    explained, 红黑榜, change against the period before, drill-down and the spreadsheet (as GET
    /api/v1/assessment/rankings)."""
    user = current_user()
    region = stats_region(user, request.args.get("region"))
    choices = _RANKABLE.get(region.level, (Subject.GRID_WORKER, Subject.UNIT))
    try:
        subject = Subject(request.args.get("subject") or choices[0].value)
    except ValueError:
        asked = request.args["subject"]
        raise Unprocessable(_("No such kind of subject to rank."), {"subject": [asked]}) from None
    table = ranking(user, subject, region.code, request.args.get("period"))
    path = [r for r in ancestors(region) if covers_region(user, r)] + [region]
    today = utcnow().astimezone(local_tz()).date()
    this_month = Period.month_of(today)
    return render_template(
        "dashboard/assessment.html",
        user=user,
        region=region,
        path=path,
        table=table,
        choices=choices,
        subject=subject,
        drill_into=_DRILL_INTO.get(subject),
        periods=[this_month, this_month.previous, Period(today.year, quarter=(today.month - 1) // 3 + 1)],
        rated=[item for item in table["scheme"]["items"] if item["kind"] != "penalty"],
    )


@bp.route("/assessment/schemes", methods=["GET", "POST"])
@page_login_required(*HANDLER_ROLES)
def assessment_schemes():
    """考核方案: the versions of the city's scheme for a kind of subject, each item's points and
    target; the city centre makes the next version here (as POST /api/v1/assessment/schemes)."""
    user = current_user()
    try:
        subject = Subject(request.values.get("subject") or Subject.TOWNSHIP.value)
    except ValueError:
        raise Unprocessable(
            _("No such kind of subject to rank."), {"subject": [request.values["subject"]]}
        ) from None
    outcome = FormOutcome()
    if request.method == "POST":
        outcome = _scheme_form(user, subject)
        if outcome.redirect:
            return outcome.redirect
    today = utcnow().astimezone(local_tz()).date()
    in_effect = scheme_in_effect(user_city_code(user), subject, today)
    current = {item.indicator: item for item in in_effect.items}
    return (
        render_template(
            "dashboard/assessment_schemes.html",
            user=user,
            subject=subject,
            subjects=list(Subject),
            versions=scheme_versions(user, subject),
            in_effect=in_effect,
            catalogue=[
                (indicator, current.get(indicator.key))
                for indicator in CATALOGUE
                if subject in indicator.subjects
            ],
            next_month=Period.month_of(today),
            can_edit=user.role == Role.CITY_COMMANDER,
            form=outcome,
        ),
        outcome.status,
    )


def _scheme_form(user, subject: Subject) -> FormOutcome:
    """A new version from the form: one row per indicator, points left empty leave it out; a
    rate's target is typed in percent."""
    form = request.form
    outcome = FormOutcome(action="scheme", values=form.copy())
    items, keys, errors = [], [], {}
    for indicator in CATALOGUE:
        points = form.get(f"points-{indicator.key}", "").strip()
        if subject not in indicator.subjects or not points:
            continue
        try:
            item = {"indicator": indicator.key, "points": float(points)}
            target = form.get(f"target-{indicator.key}", "").strip()
            cap = form.get(f"cap-{indicator.key}", "").strip()
            if target:
                item["target"] = float(target) / 100 if indicator.kind == RATE else float(target)
            if cap:
                item["cap"] = float(cap)
        except ValueError:
            errors[f"item-{indicator.key}"] = [_("Not a valid number.")]
            continue
        items.append(item)
        keys.append(indicator.key)
    try:
        period = Period.parse(form.get("effective_month", ""))
        if period.month is None:
            raise ValueError
    except ValueError:
        errors["effective_month"] = [_("A month is written like 2026-11.")]
    if errors:
        outcome.status, outcome.errors = 422, errors
        outcome.message = _("Please correct the fields marked below.")
        return outcome
    data = {
        "subject": subject.value,
        "name": form.get("name", "").strip()[:100] or "考核方案",
        "note": form.get("note", "").strip()[:2000],
        "effective_from": period.first,
        "items": items,
    }
    try:
        create_scheme(user, data, utcnow())
        db.session.commit()
    except GridcaseError as exc:
        outcome.refused(exc)
        # The domain names an item by its place in the list; the page by its row.
        outcome.errors = {
            (f"item-{keys[int(name.split('.')[1])]}" if name.startswith("items.") else name): value
            for name, value in outcome.errors.items()
        }
        return outcome
    flash(_("Saved."), "success")
    return FormOutcome(redirect=redirect(url_for("dashboard.assessment_schemes", subject=subject.value)))


def _day(text: str | None, field: str) -> date | None:
    """A local date from the query string (yyyy-mm-dd), None when not given.

    Raises:
        Unprocessable: not a date.
    """
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Unprocessable(_("A date is written like 2026-12-07."), {field: [text]}) from None
