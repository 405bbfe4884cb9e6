"""People and hazards under watch (POST/GET /api/v1/watch-items, GET …/{id}, POST …/{id}/follow-ups,
…/{id}/close, …/{id}/person/reveal) and rounds of 矛盾纠纷排查 (POST/GET /api/v1/screening-rounds,
GET …/{id} with each grid's report, POST …/{id}/reports)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from gridcase.api.answers import answer
from gridcase.api.parties import RevealSchema
from gridcase.api.security import auth_required
from gridcase.errors import NotFound
from gridcase.extensions import db
from gridcase.gridwork.models import ScreeningRound, WatchItem
from gridcase.gridwork.schemas import (
    GridReportSchema,
    NoteSchema,
    PersonInClearSchema,
    ReportInSchema,
    RoundDetailSchema,
    RoundInSchema,
    RoundSchema,
    WatchCloseSchema,
    WatchItemInSchema,
    WatchItemSchema,
    WatchQuerySchema,
)
from gridcase.gridwork.screening import file_report, open_round, round_grids, visible_rounds
from gridcase.gridwork.watch import (
    DUE_SOON_DAYS,
    add_watch_item,
    close_watch_item,
    find_watch_item,
    follow_up,
    reveal_watched_person,
    visible_watch_items,
)
from gridcase.messages import Message
from gridcase.people.sessions import current_user
from gridcase.settings import local_tz, utcnow

blp = Blueprint(
    "watch", __name__, url_prefix="/api/v1", description="Watched people and hazards; screening rounds."
)


@blp.route("/watch-items")
class WatchItems(MethodView):
    @auth_required
    @blp.arguments(WatchQuerySchema(), location="query")
    @blp.response(200, WatchItemSchema(many=True))
    def get(self, args):
        """Open records you may see, the earliest due first: a grid worker's, those they answer
        for; a centre's, those in its scope."""
        query = sa.select(WatchItem).where(visible_watch_items(current_user()), WatchItem.closed_at.is_(None))
        if args["due"]:
            today = utcnow().astimezone(local_tz()).date()
            query = query.where(WatchItem.next_due <= today + timedelta(days=DUE_SOON_DAYS))
        return db.session.scalars(query.order_by(WatchItem.next_due, WatchItem.id).limit(args["limit"])).all()

    @auth_required
    @blp.arguments(WatchItemInSchema())
    @blp.response(201, WatchItemSchema)
    def post(self, body):
        """Put a person (重点人员, 关爱对象) or a hazard (风险隐患) under watch, with who answers for
        it and the rhythm of its follow-ups."""
        item = add_watch_item(current_user(), body, utcnow())
        data = WatchItemSchema().dump(item)
        db.session.commit()
        return answer(data, 201)


@blp.route("/watch-items/<id:item_id>")
class OneWatchItem(MethodView):
    @auth_required
    @blp.response(200, WatchItemSchema)
    def get(self, item_id):
        """One watched record, a person's details masked."""
        return find_watch_item(current_user(), item_id)


@blp.route("/watch-items/<id:item_id>/follow-ups")
class WatchFollowUps(MethodView):
    @auth_required
    @blp.arguments(NoteSchema())
    @blp.response(201, WatchItemSchema)
    def post(self, body, item_id):
        """Record a follow-up done: the next falls due a rhythm from today."""
        user = current_user()
        follow_up(user, item_id, body["note"], utcnow())
        data = WatchItemSchema().dump(find_watch_item(user, item_id))
        db.session.commit()
        return answer(data, 201)


@blp.route("/watch-items/<id:item_id>/close")
class CloseWatchItem(MethodView):
    @auth_required
    @blp.arguments(WatchCloseSchema())
    @blp.response(200, WatchItemSchema)
    def post(self, body, item_id):
        """No longer watched (解除管控, 隐患消除), by a centre, with the reason."""
        item = close_watch_item(current_user(), item_id, body["reason"], utcnow())
        data = WatchItemSchema().dump(item)
        db.session.commit()
        return answer(data, 200)


@blp.route("/watch-items/<id:item_id>/person/reveal")
class RevealWatchedPerson(MethodView):
    @auth_required
    @blp.arguments(RevealSchema(), example={"reason": "月度走访前核对联系方式"})
    @blp.response(200, PersonInClearSchema)
    def post(self, body, item_id):
        """A watched person's name, ID number and phone in clear, for a reason kept in the audit log."""
        person = reveal_watched_person(current_user(), item_id, body["reason"])
        db.session.commit()
        return person


@blp.route("/screening-rounds")
class Rounds(MethodView):
    @auth_required
    @blp.response(200, RoundSchema(many=True))
    def get(self):
        """Screening rounds you see, the latest first."""
        query = sa.select(ScreeningRound).where(visible_rounds(current_user()))
        return db.session.scalars(query.order_by(ScreeningRound.opened_at.desc()).limit(100)).all()

    @auth_required
    @blp.arguments(RoundInSchema())
    @blp.response(201, RoundSchema)
    def post(self, body):
        """Call a round of 矛盾纠纷排查 for the grids of a township, district or the city."""
        round_ = open_round(current_user(), body["region"], body["period"], body["due_on"], utcnow())
        data = RoundSchema().dump(round_)
        db.session.commit()
        return answer(data, 201)


@blp.route("/screening-rounds/<id:round_id>")
class OneRound(MethodView):
    @auth_required
    @blp.response(200, RoundDetailSchema)
    def get(self, round_id):
        """A round with each grid's report (or none yet)."""
        round_ = _round(round_id)
        return answer(_round_detail(round_))


@blp.route("/screening-rounds/<id:round_id>/reports")
class RoundReports(MethodView):
    @auth_required
    @blp.arguments(ReportInSchema())
    @blp.response(201, RoundDetailSchema)
    def post(self, body, round_id):
        """File a grid's report in the round, once: the disputes found, or 0 (零报告)."""
        user = current_user()
        file_report(user, round_id, body["grid_code"], body["disputes_found"], body["note"], utcnow())
        round_ = _round(round_id)
        data = _round_detail(round_)
        db.session.commit()
        return answer(data, 201)


def _round(round_id: int) -> ScreeningRound:
    round_ = db.session.scalar(
        sa.select(ScreeningRound).where(ScreeningRound.id == round_id, visible_rounds(current_user()))
    )
    if round_ is None:
        raise NotFound(Message("No screening round %(round_id)s in your scope.", round_id=str(round_id)))
    return round_


def _round_detail(round_: ScreeningRound) -> dict:
    """The round as RoundDetailSchema documents it: the round, and each grid's report."""
    return {**RoundSchema().dump(round_), "grids": GridReportSchema(many=True).dump(_grid_rows(round_))}


def _grid_rows(round_: ScreeningRound) -> list[dict]:
    return [
        {
            "grid_code": grid.code,
            "grid": grid.name,
            "reported": report is not None,
            "zero_report": report.zero_report if report else None,
            "disputes_found": report.disputes_found if report else None,
            "note": report.note if report else None,
            "reported_at": report.reported_at if report else None,
        }
        for grid, report in round_grids(round_)
    ]
