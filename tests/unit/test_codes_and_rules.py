"""Territory codes, the initial ladder level, lights and public numbers."""

from datetime import UTC, datetime, timedelta

import pytest

from gridcase.cases.domain import initial_level, public_number
from gridcase.ladder.limits import Light, level_above, light, time_limit_days
from gridcase.territory.codes import code_problem, implied_parent_code, normalise_code

LADDER = ["community", "township", "city"]


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("330681000000", "city"),
        ("330681109000", "township"),
        ("330681109201", "community"),
        ("330681109201001", "grid"),
        ("330681000000", "district"),
    ],
)
def test_valid_codes(code, level):
    assert code_problem(code, level) is None


@pytest.mark.parametrize(
    ("code", "level", "words"),
    [
        ("33068110900", "township", "12 digits"),
        ("330681109001", "township", "ends with 000"),
        ("330681109000", "community", "cannot be 000"),
        ("330681109201000", "grid", "starts at 001"),
        ("3306811092010A1", "grid", "15 digits"),
        ("330681109000", "city", "padded"),
    ],
)
def test_wrong_codes_say_why(code, level, words):
    assert words in code_problem(code, level)


def test_parents_follow_from_codes():
    assert implied_parent_code("330681109201001", "grid") == "330681109201"
    assert implied_parent_code("330681109201", "community") == "330681109000"
    assert implied_parent_code("330681109000", "township") == "330681000000"
    assert implied_parent_code("330681000000", "district") == "330600000000"
    assert normalise_code("330681", "city") == "330681000000"


def test_initial_level_follows_severity():
    assert initial_level("general", LADDER) == "community"
    assert initial_level("significant", LADDER) == "township"
    assert initial_level("major", LADDER) == "city"
    assert initial_level("critical", LADDER) == "city"
    assert initial_level("significant", ["community", "township", "district", "city"]) == "township"


def test_a_group_dispute_starts_at_the_township_at_least():
    assert initial_level("general", LADDER, group_dispute=True) == "township"
    assert initial_level("major", LADDER, group_dispute=True) == "city"


def test_lights():
    due = datetime(2026, 12, 1, tzinfo=UTC)
    warn = due - timedelta(days=1)
    assert light(warn - timedelta(seconds=1), "pending", warn, due) is Light.GREEN
    assert light(warn, "in_progress", warn, due) is Light.YELLOW
    assert light(due, "pending", warn, due) is Light.RED
    assert light(due, "resolved", warn, due) is None


def test_time_limits_and_the_top_of_the_ladder():
    defaults = {"community": 3, "township": 7, "city": 15}
    assert time_limit_days("township", None, defaults) == 7
    assert time_limit_days("township", {"township": 2}, defaults) == 2
    assert level_above(LADDER, "community") == "township"
    assert level_above(LADDER, "city") is None


def test_public_number_format():
    assert public_number("330681000000", "20261125", 42) == "330681-20261125-000042"
