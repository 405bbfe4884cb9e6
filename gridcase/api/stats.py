"""Indicators for the command centre (DESIGN §5): GET /api/v1/stats and its export."""

from __future__ import annotations

from flask import Response, send_file, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridcase.api.security import auth_required
from gridcase.cases.domain import CaseKind
from gridcase.people.sessions import current_user
from gridcase.replica import reads_from_replica
from gridcase.schemas import CodeNameSchema, PeriodArgsSchema
from gridcase.settings import local_tz, utcnow
from gridcase.stats.exports import stats_header, stats_rows, unit_stats_header, unit_stats_rows
from gridcase.stats.indicators import INDICATORS, RATES, UNIT_COUNTS, UNIT_INDICATORS, UNIT_RATES
from gridcase.stats.queries import indicator_table, stats_query, stats_region
from gridcase.stats.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, csv_chunks, xlsx_workbook
from gridcase.stats.supervision_stats import SUPERVISION_RATES, supervision_table
from gridcase.stats.trends import trend_table
from gridcase.stats.unit_indicators import unit_indicator_table
from gridcase.units.domain import UnitKind

blp = Blueprint(
    "stats",
    __name__,
    url_prefix="/api/v1/stats",
    description="Indicators (统计指标) of a territory node and period, its children and weekly series.",
)


class StatsQueryArgsSchema(PeriodArgsSchema):
    region = fields.String(
        load_default=None, metadata={"description": "A territory code in your scope; default: your scope."}
    )
    kind = fields.Enum(CaseKind, by_value=True, load_default=None)
    category = fields.String(
        load_default=None, metadata={"description": "A category code; a group code includes its categories."}
    )


class StatsExportArgsSchema(StatsQueryArgsSchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


def _indicator_field(key: str, name: str, unit: str):
    if key in RATES or key in UNIT_RATES:
        return fields.Float(
            allow_none=True, metadata={"description": f"{name}: 0 to 1; null when nothing to divide by."}
        )
    if key.startswith("median"):
        return fields.Float(
            allow_none=True, metadata={"description": f"{name}（{unit}）; null when no case."}
        )
    return fields.Integer(metadata={"description": f"{name}（{unit}）"})


IndicatorsSchema = Schema.from_dict(
    {key: _indicator_field(key, name, unit) for key, name, unit in INDICATORS}, name="StatsIndicators"
)


UnitIndicatorsSchema = Schema.from_dict(
    {key: _indicator_field(key, name, unit) for key, name, unit in UNIT_INDICATORS},
    name="UnitStatsIndicators",
)
UnitCountsSchema = Schema.from_dict({name: fields.Integer() for name in UNIT_COUNTS}, name="UnitStatsCounts")


class StatsNodeSchema(CodeNameSchema):
    level = fields.String()


class StatsChildSchema(StatsNodeSchema):
    indicators = fields.Nested(IndicatorsSchema)


class StatsWeekSchema(Schema):
    week_start = fields.Date(metadata={"description": "The Monday of the week (local time)."})
    indicators = fields.Nested(IndicatorsSchema)


class StatsPeriodSchema(Schema):
    """What a table of figures is about: a node, a period, a kind and a category."""

    region = fields.Nested(StatsNodeSchema)
    from_ = fields.Date(data_key="from", attribute="from", allow_none=True)
    to = fields.Date(allow_none=True)
    kind = fields.String(allow_none=True)
    category = fields.String(allow_none=True)


class StatsSchema(StatsPeriodSchema):
    indicators = fields.Nested(IndicatorsSchema)
    children = fields.List(
        fields.Nested(StatsChildSchema), metadata={"description": "One row per child node."}
    )
    series = fields.List(
        fields.Nested(StatsWeekSchema),
        metadata={"description": "Week by week over the period, by creation week of the cases."},
    )
    refreshed_until = fields.DateTime(
        allow_none=True, metadata={"description": "Changes to cases before this moment are counted."}
    )
    median_relative_precision = fields.Float(
        metadata={"description": "Medians come from histograms and are within this share of the exact value."}
    )


class UnitStatsRowSchema(CodeNameSchema):
    name_en = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": ", ".join(k.value for k in UnitKind)})
    level = fields.String(metadata={"description": "The level of the region the unit serves."})
    counts = fields.Nested(
        UnitCountsSchema, metadata={"description": "What each rate divides: numerators and denominators."}
    )
    indicators = fields.Nested(UnitIndicatorsSchema)


class UnitStatsSchema(StatsPeriodSchema):
    units = fields.List(
        fields.Nested(UnitStatsRowSchema),
        metadata={
            "description": (
                "Each unit the node's cases were dispatched to in the period, most dispatches first."
            )
        },
    )


@blp.route("")
class Stats(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(StatsQueryArgsSchema(), location="query")
    @blp.response(200, StatsSchema)
    def get(self, args):
        """The indicators of DESIGN §5 for a node and period, one row per child node and a weekly series.

        The period is on case creation time in local days. Counts are read from rollups the
        scheduler refreshes every minute (see `refreshed_until`); overdue_open is counted live."""
        return indicator_table(stats_query(current_user(), args))


class TrendArgsSchema(Schema):
    region = fields.String(
        load_default=None, metadata={"description": "A territory code in your scope; default: your scope."}
    )


class TrendSchema(Schema):
    area_code = fields.String()
    area = fields.String()
    category_code = fields.String(metadata={"description": "A top-level category (大类)."})
    category = fields.String()
    current = fields.Integer(metadata={"description": "Cases in the last 7 days."})
    baseline_mean = fields.Float(metadata={"description": "Cases per 7 days over the weeks before."})
    p_value = fields.Float(
        metadata={"description": "Week-on-week: P(this many or more, were the rate unchanged)."}
    )
    rising = fields.Boolean(
        metadata={"description": "Flagged: significant at GRIDCASE_RISING_ALPHA, enough cases."}
    )
    last_year = fields.Integer(metadata={"description": "Cases in the same 7 days 52 weeks before."})
    year_p_value = fields.Float(metadata={"description": "Year-on-year, by the same test."})
    rising_on_last_year = fields.Boolean()


@blp.route("/trends")
class Trends(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(TrendArgsSchema(), location="query")
    @blp.response(200, TrendSchema(many=True))
    def get(self, args):
        """研判: for the node's children and each top-level category, the last 7 days against the
        weeks before and against the same days a year before, with the p-values of the
        conditional Poisson test; the most significant rises first."""
        return trend_table(stats_region(current_user(), args["region"]), utcnow())


@blp.route("/units")
class UnitStats(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(StatsQueryArgsSchema(), location="query")
    @blp.response(200, UnitStatsSchema)
    def get(self, args):
        """Indicators per unit (条块联动): 派遣数, 签收及时率, 按期办结率, 退回率, 返工率, 满意率 and the
        median hours to sign and to finish, for each unit the node's cases were dispatched to.

        The period is on the dispatch time (派遣) in local days; kind and category filter the
        cases. Counted live: an assignment still unsigned or unfinished past its due time counts
        as late now. Signing is judged on every assignment, finishing, rework and satisfaction on
        the lead unit's (主办)."""
        return unit_indicator_table(stats_query(current_user(), args))


class SupervisionCountsSchema(Schema):
    supervised = fields.Integer(metadata={"description": "督办数"})
    yellow = fields.Integer(metadata={"description": "黄牌数"})
    red = fields.Integer(metadata={"description": "红牌数"})
    reply_due = fields.Integer(metadata={"description": "Replies that could be judged: given, or past due."})
    replied_on_time = fields.Integer(metadata={"description": "按期回复"})
    accepted = fields.Integer(metadata={"description": "回复认可"})
    again = fields.Integer(metadata={"description": "再次督办"})
    evaluated = fields.Integer(metadata={"description": "Replies evaluated: accepted or supervised again."})


class SupervisionTargetSchema(Schema):
    name = fields.String(metadata={"description": "The unit's name, or the centre's node's."})
    unit_code = fields.String(allow_none=True, metadata={"description": "A unit addressed, or null."})
    level = fields.String(allow_none=True, metadata={"description": "The level addressed, or null."})
    node_code = fields.String(allow_none=True, metadata={"description": "The node of that level."})
    counts = fields.Nested(SupervisionCountsSchema)
    indicators = fields.Nested(
        Schema.from_dict(
            {
                key: fields.Float(allow_none=True, metadata={"description": f"{key}: 0 to 1"})
                for key in SUPERVISION_RATES
            },
            name="SupervisionIndicators",
        )
    )


class SupervisionStatsSchema(StatsPeriodSchema):
    targets = fields.List(fields.Nested(SupervisionTargetSchema))


@blp.route("/supervision")
class SupervisionStats(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(StatsQueryArgsSchema(), location="query")
    @blp.response(200, SupervisionStatsSchema)
    def get(self, args):
        """督办 counted for assessment (督办考核): per target of the 督办单 on the node's cases
        issued in the period — a centre (by its node) or a unit — how many it received, red
        cards, replies in time (an open one past its deadline counts as late now), replies
        accepted and supervised again. Counted live."""
        return supervision_table(stats_query(current_user(), args))


@blp.route("/export")
class StatsExport(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(StatsExportArgsSchema(), location="query")
    @blp.response(200, description="The node and its children, as CSV (UTF-8 with BOM) or XLSX.")
    def get(self, args):
        """The indicator table (the node and its children) as CSV or XLSX; the XLSX workbook
        also has a sheet by unit (按单位, as GET /api/v1/stats/units).

        The same filters as GET /api/v1/stats; Chinese headers, rates in percent."""
        fmt = args.pop("format")
        query = stats_query(current_user(), args)
        table = indicator_table(query)
        name = f"gridcase-stats-{table['region']['code']}-{utcnow().astimezone(local_tz()):%Y%m%d}.{fmt}"
        if fmt == "xlsx":
            units = unit_indicator_table(query)
            workbook = xlsx_workbook(
                [
                    ("统计指标", stats_header(), stats_rows(table)),
                    ("按单位", unit_stats_header(), unit_stats_rows(units)),
                ]
            )
            return send_file(workbook, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)
        return Response(
            stream_with_context(csv_chunks(stats_header(), stats_rows(table))),
            mimetype=CSV_MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
