"""The grid work pages of the workbench: the day's patrols of a scope on a map, and the patrol
coverage (巡查覆盖) of its grids; the 矛盾纠纷排查 rounds over the scope (called here) with each
grid's report; the watch list of the scope."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from marshmallow import ValidationError

from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.gridwork.models import Patrol, ScreeningRound, WatchItem
from gridcase.gridwork.patrols import coverage, unpatrolled_grids, visible_patrols
from gridcase.gridwork.screening import CALLING_ROLES, open_round, round_grids, visible_rounds
from gridcase.gridwork.watch import close_watch_item, visible_watch_items
from gridcase.people.roles import HANDLER_ROLES
from gridcase.people.sessions import current_user
from gridcase.settings import local_tz, utcnow
from gridcase.territory.levels import ANCESTOR_COLUMNS, RegionLevel
from gridcase.territory.models import Region
from gridcase.web.forms import FormOutcome
from gridcase.web.login import page_login_required, protect_forms
from gridcase.web.maps import map_settings

bp = Blueprint("gridwork_page", __name__, url_prefix="/desk")
bp.before_request(protect_forms)

COVERAGE_DAYS = 7  # the rhythm a grid is expected to be walked in (巡查频次: at least weekly)
MAX_UNPATROLLED_LISTED = 100


@bp.get("/patrols")
@page_login_required(*HANDLER_ROLES)
def patrols():
    """The patrols of a day (default today) in my scope, their tracks on the map, and how many
    of my grids were patrolled in the last seven days."""
    user, now = current_user(), utcnow()
    today = now.astimezone(local_tz()).date()
    day, message = today, ""
    if request.args.get("day"):
        try:
            day = min(date.fromisoformat(request.args["day"]), today)
        except ValueError:
            message = _("Give a day.")
    start = datetime.combine(day, time(), local_tz())
    rows = (
        db.session.scalars(
            sa.select(Patrol)
            .where(
                visible_patrols(user),
                Patrol.started_at >= start,
                Patrol.started_at < start + timedelta(days=1),
            )
            .options(so.selectinload(Patrol.grids), so.selectinload(Patrol.findings))
            .order_by(Patrol.started_at)
        )
        .unique()
        .all()
    )
    since = datetime.combine(today - timedelta(days=COVERAGE_DAYS - 1), time(), local_tz())
    patrolled, total = coverage(user, since)
    return render_template(
        "desk/patrols.html",
        user=user,
        day=day,
        today=today,
        message=message,
        rows=rows,
        tracks=_tracks(rows),
        patrolled=patrolled,
        total=total,
        coverage_days=COVERAGE_DAYS,
        unpatrolled=unpatrolled_grids(user, since, MAX_UNPATROLLED_LISTED),
        max_listed=MAX_UNPATROLLED_LISTED,
        map_json=map_settings(),
    )


@bp.route("/screening", methods=["GET", "POST"])
@page_login_required(*HANDLER_ROLES)
def screening():
    """The screening rounds over my scope, each grid's report or its absence; a township,
    district or city centre calls a round here."""
    user, now = current_user(), utcnow()
    outcome = FormOutcome()
    if request.method == "POST":
        outcome = FormOutcome(action="round", values=request.form.copy())
        try:
            due_on = _day(request.form.get("due_on", ""))
            open_round(user, request.form.get("region", ""), request.form.get("period", ""), due_on, now)
            db.session.commit()
            flash(_("The screening round is called: every grid reports by its due day."), "success")
            return redirect(url_for("gridwork_page.screening"))
        except (GridcaseError, ValidationError) as exc:
            db.session.rollback()
            outcome.refused(exc)
    rounds = db.session.scalars(
        sa.select(ScreeningRound)
        .where(visible_rounds(user))
        .order_by(ScreeningRound.opened_at.desc())
        .limit(12)
    ).all()
    may_call = user.role in CALLING_ROLES
    regions = [(user.scope_code, user.scope.name)]
    if may_call and user.scope_level in ("city", "district"):
        column = getattr(Region, ANCESTOR_COLUMNS[RegionLevel(user.scope_level)])
        regions += db.session.execute(
            sa.select(Region.code, Region.name)
            .where(Region.level == RegionLevel.TOWNSHIP.value, column == user.scope_code)
            .order_by(Region.code)
        ).all()
    page = render_template(
        "desk/screening.html",
        user=user,
        rounds=[(r, round_grids(r)) for r in rounds],
        may_call=may_call,
        regions=regions,
        today=now.astimezone(local_tz()).date(),
        form=outcome,
    )
    return page, outcome.status


@bp.get("/watch")
@page_login_required(*HANDLER_ROLES)
def watch_list():
    """The people and hazards under watch in my scope, the earliest due first."""
    return _watch_page(current_user(), FormOutcome())


@bp.post("/watch/<id:item_id>/close")
@page_login_required(*HANDLER_ROLES)
def close_watch(item_id):
    """No longer watched, with the reason."""
    user = current_user()
    try:
        close_watch_item(user, item_id, request.form.get("reason", ""), utcnow())
        db.session.commit()
    except GridcaseError as exc:
        db.session.rollback()
        return _watch_page(user, FormOutcome(action="close", values=request.form.copy()).refused(exc))
    flash(_("Closed."), "success")
    return redirect(url_for("gridwork_page.watch_list"))


def _watch_page(user, outcome: FormOutcome):
    items = db.session.scalars(
        sa.select(WatchItem)
        .where(visible_watch_items(user), WatchItem.closed_at.is_(None))
        .order_by(WatchItem.next_due, WatchItem.id)
        .limit(500)
    ).all()
    today = utcnow().astimezone(local_tz()).date()
    return render_template(
        "desk/watch.html", user=user, items=items, today=today, form=outcome
    ), outcome.status


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({"due_on": [_("Give a day.")]}) from None


def _tracks(rows: list[Patrol]) -> dict:
    """The tracks as a GeoJSON FeatureCollection (2D), each named by its worker and times."""
    ids = [p.id for p in rows if p.track is not None]
    shapes = dict(
        db.session.execute(
            sa.select(Patrol.id, sa.func.ST_AsGeoJSON(sa.func.ST_Force2D(Patrol.track), 6)).where(
                Patrol.id.in_(ids)
            )
        ).all()
    )
    features = []
    for patrol in rows:
        if patrol.id not in shapes:
            continue
        when = (
            f"{patrol.started_at.astimezone(local_tz()):%H:%M}–{patrol.ended_at.astimezone(local_tz()):%H:%M}"
        )
        findings = [
            {"lon": to_shape(f.location).x, "lat": to_shape(f.location).y, "note": f.note}
            for f in patrol.findings
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": f"{patrol.worker.display_name} {when}", "findings": findings},
                "geometry": json.loads(shapes[patrol.id]),
            }
        )
    return {"type": "FeatureCollection", "features": features}
