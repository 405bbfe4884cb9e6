"""What an audit-log query carries, and how the log's entries look: the JSON API's /api/v1/audit
and the auditors' page read the log through these same schemas."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from marshmallow import fields, validate

from gridcase.audit.log import AuditAction
from gridcase.schemas import PageArgsSchema, PeriodArgsSchema
from gridcase.settings import MAX_PAGE, local_tz


class AuditQuerySchema(PeriodArgsSchema, PageArgsSchema):
    action = fields.String(load_default=None, validate=validate.OneOf([a.value for a in AuditAction]))
    actor = fields.String(load_default=None, metadata={"description": "A username."})
    result = fields.String(load_default=None, validate=validate.OneOf(["ok", "failed", "denied"]))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(1, 500))


def audit_filters(args: dict) -> dict:
    """The loaded query as `gridcase.audit.log.entries` takes it: local dates to the moments
    they start (`to`: the end of that day)."""
    tz = local_tz()
    filters = {k: args.get(k) for k in ("action", "actor", "result")}
    if args.get("from"):
        filters["from"] = datetime.combine(args["from"], time(), tz)
    if args.get("to"):
        filters["to"] = datetime.combine(args["to"] + timedelta(days=1), time(), tz)
    return filters
