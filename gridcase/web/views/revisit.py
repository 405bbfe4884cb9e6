"""The public revisit page (/revisit, 回访): the person who brought a matter, or a party, opens
it from the QR code on their slip (or types the code), sees which case it is and answers how
satisfied they are. No account: the one-time code is the key (gridcase.cases.revisit_codes)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from gridcase.cases.domain import Satisfaction
from gridcase.cases.revisit_codes import answer_revisit, open_invitation
from gridcase.errors import GridcaseError
from gridcase.extensions import db
from gridcase.messages import say
from gridcase.web.login import protect_forms

bp = Blueprint("revisit", __name__, url_prefix="/revisit")
bp.before_request(protect_forms)

MAX_COMMENT = 500


@bp.route("", methods=["GET", "POST"])
def survey():
    """GET ?code=: the survey of the case the code opens (or the form to type a code); POST:
    the answer."""
    code = (request.values.get("code") or "").strip()
    if not code:
        return render_template("revisit/survey.html", case=None, code="", error=None)
    try:
        _invitation, case = open_invitation(code)
    except GridcaseError as exc:  # (nothing was written: no rollback needed)
        return render_template("revisit/survey.html", case=None, code=code, error=say(exc.message)), 404
    if request.method == "GET":
        return render_template("revisit/survey.html", case=case, code=code, error=None)
    answer = request.form.get("satisfaction", "")
    if answer not in Satisfaction._value2member_map_:
        error = _("Choose one of the answers.")
        return render_template("revisit/survey.html", case=case, code=code, error=error), 422
    try:
        answer_revisit(code, Satisfaction(answer), request.form.get("comment", "")[:MAX_COMMENT])
        db.session.commit()
    except GridcaseError as exc:  # used a moment ago in another tab (refused before any write)
        return render_template("revisit/survey.html", case=None, code=code, error=say(exc.message)), 404
    return render_template("revisit/thanks.html", dissatisfied=answer == Satisfaction.DISSATISFIED)
