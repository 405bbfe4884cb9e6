"""The public pages (/public/, 群众随手拍), phone first, no sign-in: report a problem with a pin,
photos and a description (the contact optional), then follow it by its number and tracking code
and rate how it was handled; the public map of incidents. Chinese first (?lang=en for English),
every asset served here, the same CSP as every page (gridcase.channels.public has the rules)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _

from gridcase.cases.domain import Satisfaction
from gridcase.channels.public import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    PHOTOS_MAX,
    answer_report_revisit,
    find_report,
    nearby_reports,
    new_challenge,
    public_categories,
    public_map,
    public_view,
    submit_report,
)
from gridcase.errors import GridcaseError, NotFound, TooManyRequests
from gridcase.extensions import db
from gridcase.messages import say, say_all
from gridcase.settings import utcnow
from gridcase.web.login import protect_forms
from gridcase.web.maps import map_settings

bp = Blueprint("public", __name__, url_prefix="/public")
bp.before_request(protect_forms)


def _address() -> str:
    """The client's address as the WSGI server saw it (behind a proxy, configure ProxyFix)."""
    return request.remote_addr or ""


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.get("/report")
def report_form():
    return _report_page({}, {}, None, 200)


@bp.get("/challenge")
def challenge():
    """A fresh proof-of-work challenge for the report form."""
    response = jsonify(new_challenge(utcnow()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/nearby")
def nearby():
    """Open reports of the category near the pin, offered before a second one is sent."""
    try:
        lon, lat = float(request.args["lon"]), float(request.args["lat"])
    except (KeyError, ValueError):
        return jsonify([])
    return jsonify(nearby_reports(request.args.get("category", ""), lon, lat, utcnow()))


@bp.post("/report")
def report():
    form = request.form
    values = {
        key: form.get(key, "")
        for key in ("category", "description", "name", "phone", "address", "lon", "lat")
    }
    photos = [f.read() for f in request.files.getlist("photos") if f and f.filename]
    try:
        lon, lat = float(values["lon"]), float(values["lat"])
    except ValueError:
        error = _("Put the pin where the problem is.")
        return _report_page(values, {"location": [error]}, error, 422)
    data = {
        **values,
        "lon": lon,
        "lat": lat,
        "challenge": form.get("challenge", ""),
        "solution": form.get("solution", ""),
    }
    try:
        case, code = submit_report(data, photos, _address(), utcnow())
        db.session.commit()
    except GridcaseError as exc:
        db.session.rollback()
        return _report_page(
            values,
            say_all(exc.errors) if isinstance(exc.errors, dict) else {},
            say(exc.message),
            int(exc.status),
        )
    return render_template("public/reported.html", number=case.public_number, code=code, due=case.due_at)


def _report_page(values: dict, errors: dict, message: str | None, status: int):
    return (
        render_template(
            "public/report.html",
            categories=public_categories(),
            values=values,
            errors=errors,
            message=message,
            map_json=map_settings(),
            description_max=DESCRIPTION_MAX,
            contact_max=CONTACT_MAX,
            photos_max=PHOTOS_MAX,
        ),
        status,
    )


@bp.route("/track", methods=["GET", "POST"])
def track():
    """The number and the code in a form (posted: the code never sits in a URL or a log)."""
    if request.method == "GET":
        return render_template(
            "public/track.html", view=None, number=request.args.get("number", ""), error=None
        )
    number, code = request.form.get("number", "").strip(), request.form.get("code", "").strip()
    try:
        case = find_report(number, code, _address(), utcnow())
        db.session.commit()  # (nothing written but a failure's record, which must stay)
    except (NotFound, TooManyRequests) as exc:
        db.session.commit()
        status = int(exc.status)
        return render_template("public/track.html", view=None, number=number, error=say(exc.message)), status
    return render_template("public/track.html", view=public_view(case), number=number, code=code, error=None)


@bp.post("/track/revisit")
def revisit():
    """The reporter's 回访, with the same number and code."""
    number, code = request.form.get("number", "").strip(), request.form.get("code", "").strip()
    answer = request.form.get("satisfaction", "")
    try:
        case = find_report(number, code, _address(), utcnow())
    except (NotFound, TooManyRequests) as exc:
        db.session.commit()  # the failed look-up's record, and nothing else, stays
        return render_template("public/track.html", view=None, number=number, error=say(exc.message)), int(
            exc.status
        )
    if answer not in Satisfaction._value2member_map_:
        error = _("Choose one of the answers.")
        return render_template(
            "public/track.html", view=public_view(case), number=number, code=code, error=error
        ), 422
    try:
        case = answer_report_revisit(
            number, code, Satisfaction(answer), request.form.get("comment", "")[:500], _address(), utcnow()
        )
        db.session.commit()
    except GridcaseError as exc:
        db.session.rollback()
        view = public_view(find_report(number, code, _address(), utcnow()))
        return render_template(
            "public/track.html", view=view, number=number, code=code, error=say(exc.message)
        ), int(exc.status)
    return render_template(
        "public/track.html", view=public_view(case), number=number, code=code, error=None, thanked=True
    )


@bp.get("/map")
def map_page():
    return render_template("public/map.html", map_json=map_settings())


@bp.get("/map.json")
def map_points():
    """The public incidents of the last 90 days, rounded to about 50 m: no person, no dispute."""
    return jsonify(public_map(utcnow()))
