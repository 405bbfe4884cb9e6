"""The monthly report (月报) of a node, on the stats blueprint: GET /api/v1/stats/monthly-report,
its draft text and its issue (签发), its document (DOCX, PDF) and its charts (PNG)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from gridcase.api.security import auth_required
from gridcase.api.stats import IndicatorsSchema, StatsChildSchema, StatsNodeSchema, blp
from gridcase.extensions import db
from gridcase.people.sessions import current_user
from gridcase.printing import Format, send_paperwork
from gridcase.replica import reads_from_replica
from gridcase.stats.monthly_reports import issue_report, local_today, read_report, save_draft
from gridcase.stats.report import Month
from gridcase.stats.report_charts import CHARTS, chart_png
from gridcase.stats.report_document import report_document
from gridcase.stats.schemas import MonthlyReportArgsSchema, MonthlyReportTextSchema

DATE = {"format": "date"}


def _date(description: str) -> fields.String:
    """A local date in ISO form (the report is kept as JSON, so it is stored as text)."""
    return fields.String(allow_none=True, metadata={**DATE, "description": description})


class ReportRowSchema(Schema):
    key = fields.String()
    name = fields.String(metadata={"description": "The indicator's Chinese name."})
    unit = fields.String(metadata={"description": "件, % or 小时"})
    # A count stays an integer, a rate or a median a number: Raw keeps each as the report has it.
    value = fields.Raw(
        allow_none=True, metadata={"type": "number", "description": "This period; a rate from 0 to 1."}
    )
    previous = fields.Raw(
        allow_none=True, metadata={"type": "number", "description": "The period compared with."}
    )
    change = fields.Raw(
        allow_none=True, metadata={"type": "number", "description": "value − previous; null: not compared."}
    )
    better = fields.Boolean(
        allow_none=True,
        metadata={
            "description": "The change is better (true) or worse (false) by the indicator's direction."
        },
    )
    text = fields.String(metadata={"description": "The value as the report prints it."})
    previous_text = fields.String()
    change_text = fields.String()


class CategoryFiguresSchema(Schema):
    code = fields.String()
    name = fields.String()
    accepted = fields.Integer()
    resolved = fields.Integer()
    resolution_rate = fields.Float(allow_none=True)


class CommunityFiguresSchema(CategoryFiguresSchema):
    on_time_rate = fields.Float(allow_none=True)
    escalation_rate = fields.Float(allow_none=True)


class TrendMonthSchema(Schema):
    month = fields.String(metadata={"description": "YYYY-MM"})
    label = fields.String()
    accepted = fields.Integer()
    resolved = fields.Integer(metadata={"description": "Of the month's accepted cases, those resolved."})
    partial = fields.Boolean(metadata={"description": "The month-to-date's own month."})


class CountedSchema(Schema):
    code = fields.String()
    name = fields.String()
    accepted = fields.Integer()


class RisingSchema(Schema):
    code = fields.String(metadata={"description": "A top-level category (大类)."})
    name = fields.String()
    current = fields.Integer(metadata={"description": "Cases in the period."})
    expected = fields.Float(metadata={"description": "The baseline months' rate over the period's days."})
    p_value = fields.Float()


class HotspotAlertsSchema(Schema):
    hotspot = fields.Integer(metadata={"description": "同类高发 alerts opened in the period."})
    rising_issue = fields.Integer(metadata={"description": "同类上升 alerts opened in the period."})
    open = fields.Integer(metadata={"description": "Of those, not closed out (销号)."})


class IssuedSchema(Schema):
    by = fields.String(metadata={"description": "Who issued it (签发人)."})
    at = fields.String(metadata={"format": "date-time"})
    date = fields.String(metadata={**DATE, "description": "成文日期, local."})


class DraftSchema(Schema):
    saved_by = fields.String()
    saved_at = fields.String(metadata={"format": "date-time"})


class MonthlyReportSchema(Schema):
    region = fields.Nested(StatsNodeSchema)
    month = fields.String(metadata={"description": "YYYY-MM"})
    previous_month = fields.String()
    first = _date("The first day counted.")
    last = _date("The last day counted.")
    previous_first = _date("The first day compared with.")
    previous_last = _date("The last day compared with.")
    to_date = _date("A month not over yet: the last day counted (月度累计); null for a whole month.")
    previous_to = _date("A month-to-date: the last of the same days of the month before (上月同期).")
    title = fields.String()
    subtitle = fields.String()
    issuer = fields.String(
        allow_none=True,
        metadata={"description": "发文机关: the centre of the node's level; null below a township."},
    )
    period = fields.String(metadata={"description": "统计期间, as printed."})
    comparison = fields.String(metadata={"description": "对比期间, as printed."})
    date_line = fields.String(
        allow_none=True, metadata={"description": "成文日期 as printed; null until issued."}
    )
    indicators = fields.Nested(IndicatorsSchema)
    previous = fields.Nested(IndicatorsSchema)
    rows = fields.List(fields.Nested(ReportRowSchema), metadata={"description": "The indicator table."})
    children = fields.List(fields.Nested(StatsChildSchema))
    top_categories = fields.List(fields.Nested(CategoryFiguresSchema))
    worst_communities = fields.List(fields.Nested(CommunityFiguresSchema))
    trend = fields.List(
        fields.Nested(TrendMonthSchema), metadata={"description": "The trend chart's months."}
    )
    by_area = fields.List(fields.Nested(CountedSchema), metadata={"description": "The areas chart."})
    by_category = fields.List(fields.Nested(CountedSchema), metadata={"description": "The categories chart."})
    baseline_months = fields.Integer(metadata={"description": "Months 同类上升 compares the period with."})
    rising = fields.List(fields.Nested(RisingSchema))
    hotspot_grids = fields.List(fields.Nested(CountedSchema))
    hotspot_alerts = fields.Nested(HotspotAlertsSchema)
    analysis = fields.List(fields.String(), metadata={"description": "研判分析: numbered paragraphs."})
    centre_text = fields.String(metadata={"description": "The centre's text: as issued, or the draft."})
    draft = fields.Nested(DraftSchema, allow_none=True)
    issued = fields.Nested(IssuedSchema, allow_none=True, metadata={"description": "null: not issued."})
    generated_at = fields.String(
        metadata={"format": "date-time", "description": "When the figures were read."}
    )
    figures_as_of = fields.String(
        allow_none=True,
        metadata={"format": "date-time", "description": "Changes to cases before this are in the figures."},
    )


class MonthlyReportDocumentArgsSchema(MonthlyReportArgsSchema):
    format = fields.String(load_default="docx", validate=validate.OneOf(["docx", "pdf"]))


class MonthlyReportChartArgsSchema(MonthlyReportArgsSchema):
    chart = fields.String(required=True, validate=validate.OneOf(CHARTS))


def _month(args: dict) -> Month:
    return args["month"] or Month.of(local_today())


@blp.route("/monthly-report")
class MonthlyReportView(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(MonthlyReportArgsSchema(), location="query")
    @blp.response(200, MonthlyReportSchema)
    def get(self, args):
        """The monthly report (月报) of a node: the month's indicators against the month before,
        its areas and categories, the charts' series and the 研判分析 written from them.

        A month not over yet is a month-to-date against the same days of the month before
        (`to_date`). Once the node's centre has issued the month (`issued`), this is the report
        as issued: later changes to cases do not change it."""
        return read_report(current_user(), args["region"], _month(args))


@blp.route("/monthly-report/draft")
class MonthlyReportDraft(MethodView):
    @auth_required
    @blp.arguments(MonthlyReportTextSchema())
    @blp.response(200, MonthlyReportSchema)
    def put(self, data):
        """Save the centre's text (编者按、工作要求) of a month not issued yet, as a draft.

        Only the node's own centre (a township, district or city centre's staff); 409 once the
        month is issued."""
        user = current_user()
        save_draft(user, data["region"], data["month"], data["centre_text"] or "")
        db.session.commit()
        return read_report(user, data["region"], data["month"])


@blp.route("/monthly-report/issue")
class MonthlyReportIssue(MethodView):
    @auth_required
    @blp.arguments(MonthlyReportTextSchema())
    @blp.response(201, MonthlyReportSchema)
    def post(self, data):
        """Issue the report a month's report: it is frozen as it stands today, with the centre's text
        (the draft's when `centre_text` is omitted), your name and today's date (成文日期).

        Only the node's own centre; a month not over yet is refused (422), and so is a month
        issued already (409): a report is issued once."""
        snapshot = issue_report(current_user(), data["region"], data["month"], data["centre_text"])
        db.session.commit()
        return snapshot


@blp.route("/monthly-report/document")
class MonthlyReportDocument(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(MonthlyReportDocumentArgsSchema(), location="query")
    @blp.response(200, description="The report as DOCX (editable) or PDF.")
    def get(self, args):
        """The monthly report as a document (DOCX or PDF): issuing centre, title, period, the
        indicator table, the charts, the 研判分析, the centre's text and the date line."""
        report = read_report(current_user(), args["region"], _month(args))
        fmt = Format.of(args["format"])
        content, name = report_document(report, fmt)
        return send_paperwork(content, fmt, name)


@blp.route("/monthly-report/chart")
class MonthlyReportChart(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(MonthlyReportChartArgsSchema(), location="query")
    @blp.response(200, description="A PNG image.")
    def get(self, args):
        """One chart of the monthly report as PNG: `trend` (受理数 and 化解数 of the month and
        the five before), `areas` (受理数 by child area) or `categories` (受理数 by 大类)."""
        report = read_report(current_user(), args["region"], _month(args))
        response = Response(chart_png(report, args["chart"]), mimetype="image/png")
        response.headers["Cache-Control"] = "private, no-store"  # figures of the centre's work
        return response
