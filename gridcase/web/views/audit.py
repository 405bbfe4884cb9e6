"""The security audit log page (/audit/), for auditors only."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from marshmallow import ValidationError

from gridcase.audit.log import AuditAction, entries
from gridcase.audit.schemas import AuditQuerySchema, audit_filters
from gridcase.people.roles import Role
from gridcase.people.scope import user_city_code
from gridcase.people.sessions import current_user
from gridcase.web.login import page_login_required, protect_forms

bp = Blueprint("audit_page", __name__, url_prefix="/audit")
bp.before_request(protect_forms)


@bp.route("/")
@page_login_required(Role.AUDITOR)
def index():
    """Audit entries, newest first, filtered; CSV export of what is shown."""
    # (lang: the page's language, not a filter)
    args = {k: v for k, v in request.args.items() if v.strip() and k != "lang"}
    errors = {}
    try:
        query = AuditQuerySchema().load(args)
    except ValidationError as exc:
        errors, query = exc.messages, AuditQuerySchema().load({})
    items, total = entries(
        user_city_code(current_user()), audit_filters(query), query["page"], query["page_size"]
    )
    export_args = {k: v for k, v in args.items() if k not in ("page", "page_size")}
    return render_template(
        "audit/index.html",
        user=current_user(),
        items=items,
        total=total,
        page=query["page"],
        pages=max(math.ceil(total / query["page_size"]), 1),
        args=args,
        errors=errors,
        actions=[a.value for a in AuditAction],
        export_url=url_for("audit.AuditExport") + "?" + urlencode(export_args),
        page_url=lambda n: "?" + urlencode({**export_args, "page": n}),
    )
