"""GET /api/v1/audit: the security audit log, for auditors only (and its CSV export)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridcase.api.plain import FILTER_DATES
from gridcase.api.security import auth_required, current_user
from gridcase.audit.log import AuditAction, entries, record
from gridcase.errors import Forbidden
from gridcase.extensions import db
from gridcase.people.roles import Role
from gridcase.settings import MAX_PAGE, local_tz

blp = Blueprint(
    "audit", __name__, url_prefix="/api/v1/audit", description="The security audit log (auditors)."
)

EXPORT_LIMIT = 100_000


class AuditQuerySchema(Schema):
    action = fields.String(load_default=None, validate=validate.OneOf([a.value for a in AuditAction]))
    actor = fields.String(load_default=None, metadata={"description": "A username."})
    result = fields.String(load_default=None, validate=validate.OneOf(["ok", "failed", "denied"]))
    from_ = fields.Date(data_key="from", load_default=None, validate=FILTER_DATES)
    to = fields.Date(load_default=None, validate=FILTER_DATES)
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_username = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    action = fields.String()
    target = fields.String()
    result = fields.String()
    details = fields.Dict()


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


def require_auditor() -> None:
    if current_user().role != Role.AUDITOR:
        raise Forbidden("Only auditors read the security audit log.")


def audit_filters(args: dict) -> dict:
    """Local dates to the moments they start (to: the end of that day)."""
    tz = local_tz()
    filters = {k: args.get(k) for k in ("action", "actor", "result")}
    if args.get("from_"):
        filters["from"] = datetime.combine(args["from_"], time(), tz)
    if args.get("to"):
        filters["to"] = datetime.combine(args["to"] + timedelta(days=1), time(), tz)
    return filters


@blp.route("")
class AuditLog(MethodView):
    @auth_required
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args):
        """Audit entries, newest first: sign-ins, lock-outs, denials, reveals of personal data,
        user, configuration, catalogue and geodata changes. Auditors only."""
        require_auditor()
        items, total = entries(audit_filters(args), args["page"], args["page_size"])
        return {"items": items, "total": total, "page": args["page"], "page_size": args["page_size"]}


@blp.route("/export")
class AuditExport(MethodView):
    @auth_required
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, description="CSV (UTF-8 with BOM), newest first.")
    def get(self, args):
        """The filtered audit log as CSV. The export itself is audited."""
        require_auditor()
        items, _total = entries(audit_filters(args), 1, EXPORT_LIMIT)
        record(
            AuditAction.AUDIT_EXPORTED,
            actor=current_user(),
            details={
                "rows": len(items),
                "filters": {
                    k: str(v) for k, v in args.items() if v is not None and k not in ("page", "page_size")
                },
            },
        )
        db.session.commit()
        return Response(
            audit_csv(items),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
        )


def audit_csv(items) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["时间", "用户", "地址", "操作", "对象", "结果", "详情"])
    tz = local_tz()
    for e in items:
        writer.writerow(
            [
                e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_username or "",
                e.ip or "",
                e.action,
                e.target,
                e.result,
                e.details,
            ]
        )
    return "\ufeff" + buffer.getvalue()
