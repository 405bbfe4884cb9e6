"""GET /api/v1/audit: the security audit log, for auditors only (and its CSV export)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gridcase.api.security import auth_required
from gridcase.audit.log import AuditAction, entries, record
from gridcase.audit.schemas import AuditQuerySchema, audit_filters
from gridcase.errors import Forbidden
from gridcase.extensions import db
from gridcase.people.roles import Role
from gridcase.people.scope import user_city_code
from gridcase.people.sessions import current_user
from gridcase.schemas import page_schema
from gridcase.settings import local_tz
from gridcase.stats.spreadsheets import CSV_MIMETYPE, csv_chunks

blp = Blueprint(
    "audit", __name__, url_prefix="/api/v1/audit", description="The security audit log (auditors)."
)

EXPORT_LIMIT = 100_000


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


AuditPageSchema = page_schema(AuditEntrySchema, "AuditPageSchema")


def require_auditor() -> None:
    if current_user().role != Role.AUDITOR:
        raise Forbidden("Only auditors read the security audit log.")


@blp.route("")
class AuditLog(MethodView):
    @auth_required
    @blp.arguments(AuditQuerySchema(), location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args):
        """Audit entries, newest first: sign-ins, lock-outs, denials, reveals of personal data,
        user, configuration, catalogue and geodata changes. Auditors only."""
        require_auditor()
        items, total = entries(
            user_city_code(current_user()), audit_filters(args), args["page"], args["page_size"]
        )
        return {"items": items, "total": total, "page": args["page"], "page_size": args["page_size"]}


@blp.route("/export")
class AuditExport(MethodView):
    @auth_required
    @blp.arguments(AuditQuerySchema(), location="query")
    @blp.response(200, description="CSV (UTF-8 with BOM), newest first.")
    def get(self, args):
        """The filtered audit log as CSV. The export itself is audited."""
        require_auditor()
        items, _total = entries(user_city_code(current_user()), audit_filters(args), 1, EXPORT_LIMIT)
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
            "".join(csv_chunks(AUDIT_HEADER, audit_rows(items))),
            mimetype=CSV_MIMETYPE,
            headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
        )


AUDIT_HEADER = ["时间", "用户", "地址", "操作", "对象", "结果", "详情"]


def audit_rows(items):
    """The entries as spreadsheet rows (written by gridcase.stats.spreadsheets, which never lets
    a cell that a signed-out stranger typed, a username say, become a formula)."""
    tz = local_tz()
    for e in items:
        yield [
            e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_username or "",
            e.ip or "",
            e.action,
            e.target,
            e.result,
            e.details,
        ]
