"""Fixtures of the reliability suite, and its summary at the end of the run.

The integration fixtures (a rolled-back transaction per test, users, the test client) apply
here too; tests that run a real server are marked `committing` and clean up after themselves.
"""

from __future__ import annotations

import pytest

from tests.integration.conftest import api_as, client, make_user, transaction  # noqa: F401
from tests.reliability.budget import BUDGET, REPORT, SECTIONS


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/reliability/" in item.nodeid:
            item.add_marker(pytest.mark.reliability)


def pytest_terminal_summary(terminalreporter):
    if not REPORT.lines:
        return
    terminalreporter.section(f"reliability summary ({BUDGET.name} run)")
    for section in SECTIONS:
        lines = REPORT.lines.get(section, [])
        terminalreporter.write_line(f"{section}:")
        for line in lines or ["(not run)"]:
            terminalreporter.write_line(f"  - {line}")
