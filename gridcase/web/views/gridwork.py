"""The grid work pages of the workbench: the day's patrols of a scope on a map, and the patrol
coverage (巡查覆盖) of its grids."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from geoalchemy2.shape import to_shape

from gridcase.extensions import db
from gridcase.gridwork.models import Patrol
from gridcase.gridwork.patrols import coverage, unpatrolled_grids, visible_patrols
from gridcase.people.roles import HANDLER_ROLES
from gridcase.people.sessions import current_user
from gridcase.settings import local_tz, utcnow
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
