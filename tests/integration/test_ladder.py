"""The ladder over time: one case climbs community → township → city across a public holiday
and weekends, driven by `flask gridcase sweep --at`, and never climbs past the city."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gridcase import locks
from gridcase.cases.events import NewEvent, append_events, verify_chain
from gridcase.cases.intake import create_case
from gridcase.cases.models import CaseEvent
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.ladder.limits import Light, light
from gridcase.ladder.sweep import sweep
from gridcase.locks import lock_key
from gridcase.notifications.models import Notification
from gridcase.stats.models import Alert
from tests.helpers import CITY, FENGQIAO, SHANGHAI, case_payload, grid_in


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def run_sweep(app, at: str) -> str:
    result = CliRunner().invoke(app.cli, ["gridcase", "sweep", "--at", at], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def township_and_city(make_user):
    return make_user("township_coordinator", FENGQIAO), make_user("city_commander", CITY)


def test_a_case_climbs_the_ladder_across_national_day_and_weekends(app, worker, township_and_city):
    township, city = township_and_city
    # Tuesday 29 September 2026, 10:00. 水域不洁 (E0105) keeps the default limits: 3/7/15 days.
    created = local(2026, 9, 29, 10)
    case = create_case(worker, case_payload(grid_in(FENGQIAO).code, category="E0105"), now=created).case
    db.session.commit()

    # Community: Sep 29 (14 h) + Sep 30, then National Day (Oct 1–7 off), Oct 8, Oct 9 to 10:00.
    assert case.due_at == local(2026, 10, 9, 10)
    assert case.warn_at == local(2026, 10, 8, 19, 36)  # 80 % of 72 working hours
    assert light(local(2026, 10, 6, 12), case.status, case.warn_at, case.due_at) is Light.GREEN
    assert light(local(2026, 10, 8, 20), case.status, case.warn_at, case.due_at) is Light.YELLOW

    assert "0 escalated" in run_sweep(app, "2026-10-09T09:59")
    db.session.refresh(case)
    assert case.level == "community"
    assert light(local(2026, 10, 9, 9, 59), case.status, case.warn_at, case.due_at) is Light.YELLOW

    output = run_sweep(app, "2026-10-09T10:00")
    assert f"escalated {case.public_number}: community → township" in output
    db.session.refresh(case)
    assert (case.level, case.status, case.escalation_count) == ("township", "pending", 1)
    assert case.level_started_at == local(2026, 10, 9, 10)
    # Township: Oct 9 (14 h), Sat Oct 10 (调休, a working day), Oct 12–16, Mon Oct 19 to 10:00.
    assert case.due_at == local(2026, 10, 19, 10)
    assert light(local(2026, 10, 9, 10), case.status, case.warn_at, case.due_at) is Light.GREEN
    assert _notified(township, case) == ["escalated"]

    run_sweep(app, "2026-10-19T10:00")
    db.session.refresh(case)
    assert case.level == "city"
    # City: 15 working days from Mon Oct 19 10:00 → Mon Nov 9 10:00.
    assert case.due_at == local(2026, 11, 9, 10)
    assert "escalated" in _notified(city, case)

    output = run_sweep(app, "2026-11-09T10:00")
    assert f"overdue at the top, under 督办: {case.public_number}" in output
    db.session.refresh(case)
    assert case.level == "city"  # 矛盾不上交: nowhere further to go
    assert case.overdue_at == local(2026, 11, 9, 10) and case.supervised_at is not None
    assert light(local(2026, 11, 9, 10), case.status, case.warn_at, case.due_at) is Light.RED
    alert = db.session.scalar(sa.select(Alert).where(Alert.dedup_key == f"top_overdue:{case.id}"))
    assert (alert.kind, alert.severity, alert.status) == ("top_overdue", "red", "open")

    # Later sweeps leave it where it is, and say nothing more about it.
    assert "0 escalated, 0 marked overdue" in run_sweep(app, "2026-12-31T10:00")
    db.session.refresh(case)
    assert (case.level, case.escalation_count) == ("city", 2)
    actions = db.session.scalars(
        sa.select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    )
    assert list(actions) == ["create", "auto_escalate", "auto_escalate", "mark_overdue"]
    assert "intact" in CliRunner().invoke(app.cli, ["gridcase", "verify-chain", str(case.id)]).output


def _notified(user, case) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Notification.kind).where(
                Notification.user_id == user.id, Notification.case_id == case.id
            )
        )
    )


def test_after_downtime_a_case_climbs_one_level_per_sweep(app, worker):
    created = local(2026, 11, 2, 9)
    case = create_case(worker, case_payload(grid_in(FENGQIAO).code, category="E0105"), now=created).case
    long_after = local(2027, 3, 1, 9)  # every level's time has long passed
    first = sweep(long_after)
    assert [number for number, *_ in first.escalated] == [case.public_number]
    assert case.level == "township"
    second = sweep(long_after + timedelta(minutes=1))
    assert second.escalated == [] and case.level == "township"  # its new clock started at the sweep


def test_resolved_cases_do_not_climb(app, worker, make_user):
    mediator = make_user("community_mediator", grid_in(FENGQIAO).community_code)
    case = create_case(worker, case_payload(grid_in(FENGQIAO).code), now=local(2026, 11, 2, 9)).case
    perform_action(
        mediator, case.id, "resolve", case.version, {"outcome": "explained"}, now=local(2026, 11, 2, 10)
    )
    assert sweep(local(2026, 12, 1)).escalated == []


def test_an_approved_extension_keeps_a_case_where_it_is(app, worker, make_user):
    mediator = make_user("community_mediator", grid_in(FENGQIAO).community_code)
    township = make_user("township_coordinator", FENGQIAO)
    case = create_case(
        worker, case_payload(grid_in(FENGQIAO).code, category="E0105"), now=local(2026, 11, 2, 9)
    ).case
    assert case.due_at == local(2026, 11, 5, 9)
    perform_action(
        mediator,
        case.id,
        "request_extension",
        case.version,
        {"days": 2, "reason": "待鉴定"},
        now=local(2026, 11, 3, 9),
    )
    perform_action(
        township, case.id, "decide_extension", case.version, {"approved": True}, now=local(2026, 11, 3, 10)
    )
    assert case.due_at == local(2026, 11, 9, 9)  # two more working days, over the weekend
    assert sweep(local(2026, 11, 6, 9)).escalated == []
    assert [n for n, *_ in sweep(local(2026, 11, 9, 9)).escalated] == [case.public_number]


def test_a_second_sweeper_at_the_same_moment_does_nothing(app, worker):
    """The advisory lock: while one sweep's transaction runs, another sweep returns at once."""
    from sqlalchemy.orm import Session

    create_case(worker, case_payload(grid_in(FENGQIAO).code), now=local(2026, 11, 2, 9))
    first = sweep(local(2026, 12, 1))  # holds the lock until this test's transaction ends
    assert first.ran
    with app.app_context(), Session(db.engine) as other:
        got = other.scalar(
            sa.text("SELECT pg_try_advisory_xact_lock(:k)"),
            {"k": lock_key(locks.SWEEP)},
        )
        assert got is False


def test_sweep_rejects_a_malformed_time(app):
    result = CliRunner().invoke(app.cli, ["gridcase", "sweep", "--at", "next tuesday"])
    assert result.exit_code == 1
    assert "is not an ISO 8601 time" in result.output


@pytest.mark.slow
def test_a_sweep_of_five_thousand_due_cases_takes_a_few_statements(app, worker, make_user):
    """Set-based (issue 20): the cases, their chained events, the notifications and the outbox
    of a whole batch are written by a few statements, not a few per case; the calendar is read
    once; every chain still verifies and everyone is told as one by one."""
    township = make_user("township_coordinator", FENGQIAO)
    created = local(2026, 3, 2, 10)
    template = create_case(worker, case_payload(grid_in(FENGQIAO).code), now=created).case
    copied = [c.name for c in template.__table__.columns if c.name not in ("id", "public_number")]
    copies = db.session.scalars(
        sa.text(
            f"""
            INSERT INTO cases ({", ".join(copied)}, public_number)
            SELECT {", ".join(copied)}, '330681-20260302-' || lpad((100000 + n)::text, 6, '0')
            FROM cases, generate_series(1, 4999) AS n WHERE id = :id
            RETURNING id
            """
        ),
        {"id": template.id},
    ).all()
    # Each copy starts its chain as intake does (events are append-only: they are made here).
    first = db.session.execute(
        sa.select(CaseEvent).where(CaseEvent.case_id == template.id, CaseEvent.seq == 1)
    ).scalar_one()
    append_events(
        [
            NewEvent(
                case_id=case_id,
                action=first.action,
                at=first.at,
                actor_id=first.actor_id,
                from_status=None,
                to_status=first.to_status,
                from_level=None,
                to_level=first.to_level,
                payload=first.payload,
            )
            for case_id in copies
        ]
    )
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        report = sweep(local(2026, 3, 6, 12))  # past the community's 3 working days
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(report.escalated) == 5000
    # the calendar once at most (none when this process keeps it), never once a case
    assert sum("FROM calendar_days" in statement for statement in statements) <= 1
    assert len(statements) <= 30, statements
    assert template.level == "township" and template.version == 2  # the session's copy reads anew
    checked, broken = 0, []
    for case_id in [template.id, *copies[:50]]:
        n, b = verify_chain(case_id)
        checked, broken = checked + n, broken + b
    assert checked == 51 and broken == []
    climbed = db.session.scalar(
        sa.select(sa.func.count()).where(CaseEvent.action == "auto_escalate", CaseEvent.case_id.in_(copies))
    )
    assert climbed == 4999
    told = db.session.scalar(
        sa.select(sa.func.count()).where(
            Notification.user_id == township.id, Notification.kind == "escalated"
        )
    )
    assert told == 5000
    mine = db.session.scalar(
        sa.select(sa.func.count()).where(Notification.user_id == worker.id, Notification.kind == "your_case")
    )
    assert mine == 5000
