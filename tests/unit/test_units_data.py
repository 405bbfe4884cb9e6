"""The demo units file is what its builder makes, and the unit rules that need no database."""

import subprocess
import sys
from pathlib import Path

import pytest

from gridcase.units.domain import code_problem, credit_code_problem, limits_problem

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_units_file_is_what_build_units_makes():
    done = subprocess.run(
        [sys.executable, "geodata/build_units.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91350100M000100Y43", None),  # the standard's own example
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100I43", "18 characters"),  # I is not in the alphabet
        ("91350100M000100Y44", "check character"),
    ],
)
def test_the_unified_social_credit_code_check(code, problem):
    found = credit_code_problem(code)
    assert (found is None) if problem is None else (problem in found)


def test_codes_and_limits():
    assert code_problem("330681109000-sfs") is None
    assert code_problem("司法所") and code_problem("-x") and code_problem(None)
    assert limits_problem(1, 22) is None
    assert "longer" in limits_problem(5, 3)
    assert limits_problem(0, 3) and limits_problem(1, 400) and limits_problem(True, 3)
