"""Bad input, generated: schemathesis reads /api/v1/openapi.json and sends every operation
requests made from its schema, valid ones and deliberately invalid ones, with a valid bearer
token. None may answer with a server error.

The app is called in-process inside the test's rolled-back transaction, so the thousands of
generated cases and actions leave nothing behind.
"""

from __future__ import annotations

import time
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from gridcase.extensions import db
from tests.helpers import CITY
from tests.reliability.budget import BUDGET, REPORT
from tests.reliability.signin import bearer, enrol_second_factor, token_from_client


def test_generated_requests_never_get_a_server_error(app, client, make_user):
    commander = make_user("city_commander", CITY)
    enrol_second_factor(commander)
    headers = bearer(token_from_client(client, commander.username, "correct-horse-battery"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried: Counter = Counter()
    statuses: Counter = Counter()
    failures: list[str] = []
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, headers, tried, statuses)
            except (Exception, FailureGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")

    assert failures == [], "\n\n".join(failures)
    REPORT.add(
        "inputs tried",
        f"schemathesis: {sum(tried.values())} generated requests ({tried[GenerationMode.POSITIVE]} valid, "
        f"{tried[GenerationMode.NEGATIVE]} invalid) over {len(list(schema.get_all_operations()))} operations "
        f"in {time.monotonic() - started:.0f} s, no server error; statuses {dict(sorted(statuses.items()))}",
    )


def _fuzz(operation, mode: GenerationMode, headers: dict, tried: Counter, statuses: Counter) -> None:
    """Send BUDGET.fuzz_examples generated requests to one operation; raise on a server error."""

    @settings(
        max_examples=BUDGET.fuzz_examples,
        deadline=None,
        database=None,
        derandomize=BUDGET.name == "short",  # the same inputs on every CI run
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case):
        try:
            response = case.call(headers=headers)
        finally:
            # What the end of a real request does: a failed statement must not poison the next
            # request, which here shares the test's session.
            db.session.rollback()
        tried[mode] += 1
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    send()
