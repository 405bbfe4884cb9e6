"""Risk alerts (风险预警) of the command centre: lists in scope, one alert with its cases,
acknowledging (签收), assessing (研判) and closing (销号)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gridcase.api.security import auth_required
from gridcase.cases.schemas import CaseSchema
from gridcase.extensions import db
from gridcase.people.schemas import PersonSchema
from gridcase.people.sessions import current_user
from gridcase.replica import reads_from_replica
from gridcase.schemas import CodeNameSchema, PageArgsSchema, page_schema
from gridcase.stats.alert_queries import alert_cases_visible, find_alert, list_alerts
from gridcase.stats.alerts import acknowledge_alert, assess_alert, close_alert
from gridcase.stats.models import AlertKind, AlertStatus
from gridcase.stats.schemas import AcknowledgeSchema, AssessSchema, CloseSchema

blp = Blueprint(
    "alerts",
    __name__,
    url_prefix="/api/v1/alerts",
    description=(
        "Risk alerts (风险预警): 督办, mass incidents, hotspots, repeat parties, may intensify, "
        "cases returned twice by units."
    ),
)


class AlertQueryArgsSchema(PageArgsSchema):
    status = fields.List(
        fields.Enum(AlertStatus, by_value=True),
        load_default=None,
        metadata={"description": "Default: open and acknowledged."},
    )
    kind = fields.List(fields.Enum(AlertKind, by_value=True), load_default=None)
    region = fields.String(
        load_default=None, metadata={"description": "Only alerts about this node of your scope and below."}
    )


class AlertRegionSchema(CodeNameSchema):
    level = fields.String()


class AlertCaseSchema(CaseSchema):
    """A case an alert links: enough to recognise it and open it."""

    class Meta:
        fields = (
            "id",
            "public_number",
            "title",
            "kind",
            "status",
            "level",
            "severity",
            "grid_code",
            "created_at",
        )


class AlertSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": ", ".join(kind.value for kind in AlertKind)})
    kind_label = fields.String(metadata={"description": "The kind's name in the page's language."})
    severity = fields.String(metadata={"description": "red or yellow"})
    title = fields.String()
    status = fields.String(metadata={"description": "open, acknowledged or closed"})
    region = fields.Nested(
        AlertRegionSchema, metadata={"description": "The narrowest node holding its cases."}
    )
    case_count = fields.Integer()
    opened_at = fields.DateTime()
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.Nested(PersonSchema, allow_none=True)
    acknowledge_note = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.Nested(PersonSchema, allow_none=True)
    close_note = fields.String(allow_none=True)
    close_outcome = fields.String(allow_none=True)
    assessed_at = fields.DateTime(allow_none=True)
    assessed_by = fields.Nested(PersonSchema, allow_none=True)
    assessment = fields.String(allow_none=True)
    risk_grade = fields.String(allow_none=True)
    responsible = fields.String(allow_none=True)
    response_due = fields.Date(allow_none=True)
    cases = fields.List(
        fields.Nested(AlertCaseSchema), metadata={"description": "Its cases that you may see."}
    )


class AlertListItemSchema(AlertSchema):
    class Meta:
        exclude = ("cases",)


AlertListSchema = page_schema(AlertListItemSchema, "AlertListSchema")


def alert_body(alert, region=None, case_count: int = 0, cases=None) -> dict:
    body = {
        "id": alert.id,
        "kind": alert.kind,
        "kind_label": AlertKind.label_of(alert.kind),
        "severity": alert.severity,
        "title": alert.title,
        "status": alert.status,
        "region": region,
        "case_count": case_count,
        "opened_at": alert.opened_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledge_note": alert.acknowledge_note,
        "closed_at": alert.closed_at,
        "closed_by": alert.closed_by,
        "close_note": alert.note,
        "close_outcome": alert.close_outcome,
        "assessed_at": alert.assessed_at,
        "assessed_by": alert.assessed_by,
        "assessment": alert.assessment,
        "risk_grade": alert.risk_grade,
        "responsible": alert.responsible,
        "response_due": alert.response_due,
    }
    if cases is not None:
        body["cases"] = cases
    return body


def _detail(alert_id: int) -> dict:
    viewer = current_user()
    alert, region, case_count = find_alert(viewer, alert_id)
    return alert_body(alert, region, case_count, cases=alert_cases_visible(viewer, alert))


@blp.route("")
class Alerts(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(AlertQueryArgsSchema(), location="query")
    @blp.response(200, AlertListSchema)
    def get(self, args):
        """Risk alerts whose node lies in your scope, red before yellow, newest first.

        Open and acknowledged ones unless `status` says otherwise; `kind` may repeat."""
        filters = {
            "status": [s.value for s in args["status"] or []],
            "kind": [k.value for k in args["kind"] or []],
            "region": args["region"],
        }
        page = list_alerts(current_user(), filters, page=args["page"], page_size=args["page_size"])
        return {
            "items": [alert_body(*item) for item in page.items],
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
        }


@blp.route("/<id:alert_id>")
class AlertView(MethodView):
    @auth_required
    @blp.response(200, AlertSchema)
    def get(self, alert_id):
        """One alert with the cases it links that you may see."""
        return _detail(alert_id)


@blp.route("/<id:alert_id>/acknowledge")
class AcknowledgeAlert(MethodView):
    @auth_required
    @blp.arguments(AcknowledgeSchema())
    @blp.response(200, AlertSchema)
    def post(self, data, alert_id):
        """签收: you have seen the alert and are acting on it (recorded with your name and the time)."""
        acknowledge_alert(current_user(), alert_id, data["note"])
        db.session.commit()
        return _detail(alert_id)


@blp.route("/<id:alert_id>/close")
class CloseAlert(MethodView):
    @auth_required
    @blp.arguments(CloseSchema())
    @blp.response(200, AlertSchema)
    def post(self, data, alert_id):
        """销号: the risk is dealt with; the note says how (recorded with your name and the time)."""
        close_alert(current_user(), alert_id, data["note"], data["outcome"])
        db.session.commit()
        return _detail(alert_id)


@blp.route("/<id:alert_id>/assess")
class AssessAlert(MethodView):
    @auth_required
    @blp.arguments(AssessSchema())
    @blp.response(200, AlertSchema)
    def post(self, data, alert_id):
        """研判: what the risk is, its grade, who answers for it and by when (an open alert is
        acknowledged by it too); a later assessment replaces the earlier one."""
        assess_alert(current_user(), alert_id, data)
        db.session.commit()
        return _detail(alert_id)
