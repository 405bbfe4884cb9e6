"""Working-day arithmetic: the clock runs on working days only, in the city's local time."""

from datetime import UTC, date, datetime, timedelta

import pytest

from gridcase.ladder.calendar import WorkCalendar
from tests.helpers import SHANGHAI


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


plain = WorkCalendar(SHANGHAI)
# 2026 National Day: Oct 1–7 off; Sat Oct 10 is an adjusted working day (调休).
national_day = WorkCalendar(
    SHANGHAI,
    {date(2026, 10, d): False for d in (1, 2, 5, 6, 7)} | {date(2026, 10, 10): True},
)


def test_weekdays_work_weekends_rest():
    assert plain.is_working(date(2026, 11, 27))  # Friday
    assert not plain.is_working(date(2026, 11, 28))  # Saturday


def test_three_working_days_from_monday_morning():
    assert plain.add_working_days(local(2026, 11, 23, 10), 3) == local(2026, 11, 26, 10)


def test_the_weekend_does_not_count():
    # Friday 10:00 + 3 working days: Fri 14h, Mon, Tue → Wednesday 10:00.
    assert plain.add_working_days(local(2026, 11, 27, 10), 3) == local(2026, 12, 2, 10)


def test_a_case_arriving_on_saturday_starts_on_monday():
    assert plain.add_working_days(local(2026, 11, 28, 15), 3) == local(2026, 12, 3, 0)


def test_holidays_stop_the_clock_and_adjusted_weekends_run_it():
    # Sep 30 (Wed) 09:00 + 3 days: Sep 30 15h, (Oct 1–7 off), Oct 8, Oct 9, Sat Oct 10 09:00.
    assert national_day.add_working_days(local(2026, 9, 30, 9), 3) == local(2026, 10, 10, 9)


def test_fractional_days_for_the_warning_light():
    # 80 % of 3 days = 2.4 days = 57.6 hours of working time.
    assert plain.add_working_days(local(2026, 11, 23, 0), 2.4) == local(2026, 11, 25, 9, 36)


def test_elapsed_working_time_is_the_inverse():
    start = local(2026, 9, 29, 16, 30)
    for days in (0.5, 1, 3, 7, 15):
        end = national_day.add_working_days(start, days)
        assert national_day.working_time_between(start, end) == timedelta(days=days)


def test_elapsed_time_is_zero_backwards():
    assert plain.working_time_between(local(2026, 11, 24), local(2026, 11, 23)) == timedelta(0)


def test_results_are_utc_and_inputs_may_be_any_zone():
    result = plain.add_working_days(datetime(2026, 11, 23, 2, tzinfo=UTC), 1)  # Mon 10:00 local
    assert result.tzinfo is not None
    assert result == local(2026, 11, 24, 10)


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        plain.add_working_time(local(2026, 11, 23), timedelta(hours=-1))


def test_shipped_calendars_are_consistent():
    """The shipped years list only real exceptions: holidays on weekdays, 调休 on weekends."""
    import json
    from pathlib import Path

    folder = Path(__file__).parents[2] / "geodata" / "calendar"
    for path in folder.glob("*.json"):
        document = json.loads(path.read_text())
        for entry in document["days"]:
            day = date.fromisoformat(entry["date"])
            assert day.year == document["year"]
            if entry["working"]:
                assert day.weekday() >= 5, f"{path.name}: {day} is a weekday marked as 调休"
