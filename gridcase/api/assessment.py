"""考核 (issue 17): a city's assessment schemes, rankings with their explanations, their
spreadsheet, and a grid worker's own score."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridcase.api.security import auth_required
from gridcase.assessment.domain import CATALOGUE, Subject
from gridcase.assessment.exports import ranking_workbook
from gridcase.assessment.schemes import create_scheme, scheme_versions
from gridcase.assessment.scores import my_score, ranking
from gridcase.extensions import db
from gridcase.people.sessions import current_user
from gridcase.replica import reads_from_replica
from gridcase.settings import local_tz, utcnow
from gridcase.stats.spreadsheets import XLSX_MIMETYPE

blp = Blueprint(
    "assessment",
    __name__,
    url_prefix="/api/v1/assessment",
    description="考核: schemes as data, rankings whose scores explain themselves, a worker's own score.",
)

SUBJECT = fields.Enum(
    Subject,
    by_value=True,
    required=True,
    metadata={"description": "township, community, grid, grid_worker or unit"},
)


class IndicatorSchema(Schema):
    key = fields.String()
    label = fields.String()
    kind = fields.String(metadata={"description": "rate (0–1), count (per month) or penalty (events)"})
    better = fields.String(metadata={"description": "higher or lower"})
    subjects = fields.List(fields.String())
    unmeasured = fields.String(
        allow_none=True, metadata={"description": "Why gridcase cannot measure it: never scored, 不适用."}
    )


class SchemeItemSchema(Schema):
    indicator = fields.String(required=True, validate=validate.Length(1, 32))
    points = fields.Float(
        required=True,
        validate=validate.Range(0, 100, min_inclusive=False),
        metadata={"description": "分值; for a penalty, points off per event."},
    )
    target = fields.Float(
        load_default=None,
        allow_none=True,
        metadata={"description": "目标值 of a rated item: a rate 0–1, a count per month."},
    )
    cap = fields.Float(
        load_default=None,
        allow_none=True,
        metadata={"description": "A penalty's most points off (扣完为止)."},
    )
    label = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    better = fields.String(dump_only=True)
    unmeasured = fields.String(dump_only=True, allow_none=True)


class SchemeCreateSchema(Schema):
    subject = SUBJECT
    name = fields.String(required=True, validate=validate.Length(1, 100))
    effective_from = fields.Date(
        required=True, metadata={"description": "The first day of a month, this month or later."}
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    items = fields.List(fields.Nested(SchemeItemSchema), required=True, validate=validate.Length(1, 40))


class SchemeSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "null for version 0, the built-in example"})
    subject = fields.String()
    subject_label = fields.String()
    version = fields.Integer()
    name = fields.String()
    effective_from = fields.Date(allow_none=True)
    note = fields.String()
    created_at = fields.DateTime(allow_none=True)
    created_by = fields.String(allow_none=True)
    items = fields.List(fields.Nested(SchemeItemSchema))


class SchemeListArgsSchema(Schema):
    subject = SUBJECT


class RankingArgsSchema(Schema):
    subject = SUBJECT
    region = fields.String(
        load_default=None, metadata={"description": "An area in your scope; default: your scope."}
    )
    period = fields.String(
        load_default=None,
        metadata={"description": "A month (2026-11) or a quarter (2026-Q4); default: this month."},
    )


class MyScoreArgsSchema(Schema):
    period = fields.String(
        load_default=None, metadata={"description": "A month or a quarter; default: this month."}
    )


class ItemScoreSchema(Schema):
    indicator = fields.String()
    label = fields.String()
    kind = fields.String()
    better = fields.String()
    value = fields.Float(
        allow_none=True, metadata={"description": "A rate 0–1, a count, or a penalty's events."}
    )
    numerator = fields.Integer(allow_none=True)
    denominator = fields.Integer(allow_none=True)
    points = fields.Float()
    target = fields.Float(allow_none=True, metadata={"description": "For a count, scaled to the period."})
    applicable = fields.Boolean()
    reason = fields.String(
        allow_none=True, metadata={"description": "Why the item is not applicable (不适用)."}
    )
    attainment = fields.Float(allow_none=True)
    scaled_points = fields.Float(
        allow_none=True, metadata={"description": "Its points scaled to the applicable 100."}
    )
    earned = fields.Float(allow_none=True)
    lost = fields.Float(allow_none=True)
    deducted = fields.Float(allow_none=True)
    earned_change = fields.Float(
        allow_none=True, metadata={"description": "earned against the period before"}
    )


class RankingRowSchema(Schema):
    key = fields.String(metadata={"description": "A node's or a unit's code, or a grid worker's user id."})
    name = fields.String()
    parent = fields.String(
        allow_none=True, metadata={"description": "The node it lies in; a worker's grids."}
    )
    drill_region = fields.String(allow_none=True, metadata={"description": "Rank what lies inside it."})
    score = fields.Float(allow_none=True, metadata={"description": "null: not scored (不参评)"})
    base = fields.Float(allow_none=True)
    deducted = fields.Float()
    rank = fields.Integer(allow_none=True)
    previous_score = fields.Float(allow_none=True)
    previous_rank = fields.Integer(allow_none=True)
    change = fields.Float(allow_none=True)
    rank_change = fields.Integer(allow_none=True, metadata={"description": "places gained (+) or lost (−)"})
    items = fields.List(fields.Nested(ItemScoreSchema))


class AssessedAreaSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()


class _PeriodSchema(Schema):
    period = fields.String()
    period_label = fields.String()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    to_date = fields.Boolean(metadata={"description": "The period is not over: scored up to `to`."})
    previous_period = fields.String()
    region = fields.Nested(AssessedAreaSchema)
    scheme = fields.Nested(SchemeSchema)


class RankingSchema(_PeriodSchema):
    subject = fields.String()
    subject_label = fields.String()
    previous_from = fields.Date()
    previous_to = fields.Date()
    previous_scheme_version = fields.Integer()
    rows = fields.List(fields.Nested(RankingRowSchema))
    red_board = fields.List(fields.String(), metadata={"description": "红榜: keys of the first three"})
    black_board = fields.List(
        fields.String(), metadata={"description": "黑榜: keys of the last three, last first"}
    )


class MyScoreSchema(_PeriodSchema):
    ranked = fields.Integer(metadata={"description": "How many workers of the township were scored."})
    row = fields.Nested(RankingRowSchema)


@blp.route("/indicators")
class Indicators(MethodView):
    @auth_required
    @blp.response(200, IndicatorSchema(many=True))
    def get(self):
        """The catalogue a scheme's items are chosen from, with the subjects each applies to."""
        return [
            {**indicator.__dict__, "subjects": sorted(subject.value for subject in indicator.subjects)}
            for indicator in CATALOGUE
        ]


@blp.route("/schemes")
class Schemes(MethodView):
    @auth_required
    @blp.arguments(SchemeListArgsSchema(), location="query")
    @blp.response(200, SchemeSchema(many=True))
    def get(self, args):
        """Every version of your city's scheme for a kind of subject, newest first; version 0,
        the built-in example, is in effect until the city makes its own."""
        return [version.as_dict() for version in scheme_versions(current_user(), args["subject"])]

    @auth_required
    @blp.arguments(SchemeCreateSchema())
    @blp.response(201, SchemeSchema)
    def post(self, data):
        """The next version of the scheme (the city centre): rated items' points add up to 100;
        a penalty has points per event and a cap; in effect from the first of a month not yet
        passed, so closed periods keep their scores."""
        data["subject"] = data["subject"].value
        version = create_scheme(current_user(), data, utcnow())
        db.session.commit()
        return version.as_dict()


@blp.route("/rankings")
class Rankings(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(RankingArgsSchema(), location="query")
    @blp.response(200, RankingSchema)
    def get(self, args):
        """Every subject of the kind in the area, scored for the month or quarter (to date, and
        said so, when not over), ranked, with each item's part in the score, the change against
        the period before, and the 红黑榜."""
        return ranking(current_user(), args["subject"], args["region"], args["period"])


@blp.route("/rankings/export")
class RankingExport(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(RankingArgsSchema(), location="query")
    @blp.response(200, description="The ranking as an XLSX workbook: the ranking, then each item's figures.")
    def get(self, args):
        """The ranking as a spreadsheet."""
        table = ranking(current_user(), args["subject"], args["region"], args["period"])
        day = utcnow().astimezone(local_tz())
        about = f"{table['subject']}-{table['region']['code']}-{table['period']}"
        name = f"gridcase-assessment-{about}-{day:%Y%m%d}.xlsx"
        return send_file(
            ranking_workbook(table), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name
        )


@blp.route("/my-score")
class MyScore(MethodView):
    @auth_required
    @reads_from_replica
    @blp.arguments(MyScoreArgsSchema(), location="query")
    @blp.response(200, MyScoreSchema)
    def get(self, args):
        """A grid worker's own score, explained, and their place among their township's workers."""
        return my_score(current_user(), args["period"])
