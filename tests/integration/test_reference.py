"""Reference data kept in the process (gridcase.reference): the working calendar and the active
webhook subscriptions are read once, and a change is seen by the next transaction of every
process, however it was written, while a change rolled back is never seen."""

from datetime import date

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.ladder.clock import load_calendar
from gridcase.ladder.models import CalendarDay
from gridcase.reference import current_generation

MONDAY = date(2031, 5, 5)
TUESDAY = date(2031, 5, 6)


def _sent_by(statements: list[str], action) -> list[str]:
    """What `action` sends to PostgreSQL (the `statements` fixture), but the test's savepoints."""
    statements.clear()
    action()
    return [s for s in statements if not s.startswith("SAVEPOINT")]


def test_a_kept_calendar_costs_no_statement_until_it_changes(app, statements):
    with app.app_context():
        load_calendar()
        db.session.commit()
        # a new transaction reads the generation once, and nothing more
        assert _sent_by(statements, lambda: [load_calendar(), load_calendar()]) == [
            "SELECT reference_generation.generation \nFROM reference_generation"
        ]
        db.session.add(CalendarDay(day=MONDAY, working=False, name="test holiday", year=2031))
        db.session.flush()
        reread = _sent_by(statements, load_calendar)
        assert any("FROM calendar_days" in statement for statement in reread)
        assert not load_calendar().is_working(MONDAY)


def test_a_change_rolled_back_is_never_seen(app):
    with app.app_context():
        assert load_calendar().is_working(MONDAY)
        db.session.add(CalendarDay(day=MONDAY, working=False, name="never", year=2031))
        db.session.flush()
        assert not load_calendar().is_working(MONDAY)  # (kept under the uncommitted generation)
        db.session.rollback()
        assert load_calendar().is_working(MONDAY)
        # A later change takes a new number, not the rolled-back one with other contents.
        db.session.add(CalendarDay(day=TUESDAY, working=False, name="test holiday", year=2031))
        db.session.commit()
        calendar = load_calendar()
        assert calendar.is_working(MONDAY) and not calendar.is_working(TUESDAY)


@pytest.mark.committing
def test_another_process_change_is_seen_by_the_next_transaction(app):
    """Written on a connection of its own, as another worker, the CLI or psql would."""
    with app.app_context():
        assert load_calendar().is_working(MONDAY)
        generation = current_generation()
        db.session.commit()
        other = sa.create_engine(db.engine.url)
        try:
            with other.begin() as connection:  # a delivery counter does not decide who is told
                connection.execute(sa.text("UPDATE webhook_subscriptions SET consecutive_failures = 0"))
            assert current_generation() == generation
            db.session.commit()
            with other.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO calendar_days (day, working, name, year) VALUES (:day, false, 'x', 2031)"
                    ),
                    {"day": MONDAY},
                )
            assert not load_calendar().is_working(MONDAY)
            db.session.commit()
            with other.begin() as connection:
                connection.execute(sa.text("DELETE FROM calendar_days WHERE day = :day"), {"day": MONDAY})
            assert load_calendar().is_working(MONDAY)
        finally:
            with other.begin() as connection:
                connection.execute(sa.text("DELETE FROM calendar_days WHERE day = :day"), {"day": MONDAY})
            other.dispose()
            db.session.rollback()


def test_a_grid_worker_covers_a_grid_from_the_moment_it_is_assigned(app, make_user, statements):
    """A worker's grids are kept too (every case answer to a worker asks whether it covers the
    case): a grid assigned, here or by another process, is covered from then on."""
    from types import SimpleNamespace

    from gridcase.people.models import grid_assignments
    from gridcase.people.scope import covers
    from tests.helpers import FENGQIAO, grid_in

    with app.app_context():
        own, other = grid_in(FENGQIAO, 0), grid_in(FENGQIAO, 1)
        worker = make_user("grid_worker", own.code)
        case_there = SimpleNamespace(grid_code=other.code)
        assert covers(worker, SimpleNamespace(grid_code=own.code)) and not covers(worker, case_there)
        assert _sent_by(statements, lambda: covers(worker, case_there)) == []  # kept
        db.session.execute(sa.insert(grid_assignments).values(user_id=worker.id, grid_code=other.code))
        assert covers(worker, case_there)
