"""Database faults: PostgreSQL goes away under load and comes back.

While it is away, every request answers 503 with a clear JSON message (never a 500 or a stack
trace); when it is back, the same gunicorn workers serve again without a restart, no case that
was acknowledged is lost, and the scheduler resumes without escalating any case twice.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from gridcase.cases.lifecycle import LoggedAction
from gridcase.ladder.limits import level_above
from tests.reliability.budget import BUDGET, REPORT
from tests.reliability.cluster import ThrowawayCluster
from tests.reliability.live import Gunicorn, Scheduler, app_env, call, flask_command
from tests.reliability.load import UNAVAILABLE, Tokens, Workload, worker_points
from tests.reliability.signin import bearer, token_over_http

LADDER = ("community", "township", "city")
# Zero-day time limits: every case falls due at once, so the sweeps have work all along.
ZERO_DAY_LIMITS = json.dumps({"community": 0, "township": 0, "district": 0, "city": 0})
# After PostgreSQL is back, requests may still fail this long (crash recovery, reconnecting).
RECOVERY_GRACE_SECONDS = 3


def _is_unavailable(sample) -> bool:
    try:
        return sample.status == 503 and json.loads(sample.body) == UNAVAILABLE
    except ValueError:
        return False


@pytest.fixture
def fault_cluster():
    """A throwaway PostgreSQL cluster with an empty database (PostGIS), removed afterwards."""
    cluster = ThrowawayCluster()
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.destroy()


def _load_the_demo_city(cluster: ThrowawayCluster) -> None:
    """Migrate and load the demo city (no cases) as an operator would; today and tomorrow made
    working days (so zero-day limits fall due at once even on a weekend)."""
    env = app_env(cluster.url)
    flask_command(["db", "upgrade"], env)
    flask_command(["gridcase", "load-demo", "--no-cases"], env)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    engine = cluster.engine()
    with engine.begin() as connection:
        for day in (today, today + timedelta(days=1)):
            connection.execute(
                sa.text(
                    "INSERT INTO calendar_days (day, working, name, year) "
                    "VALUES (:day, true, 'fault', :year) ON CONFLICT (day) DO UPDATE SET working = true"
                ),
                {"day": day, "year": day.year},
            )
    engine.dispose()


@pytest.mark.committing
@pytest.mark.slow
def test_the_app_and_the_scheduler_survive_postgresql_stopping_hard(fault_cluster, tmp_path):
    cluster = fault_cluster
    # gunicorn boots while the database is prepared: it connects only when asked.
    server = Gunicorn(cluster.url, tmp_path / "gunicorn.log", GRIDCASE_TIME_LIMITS=ZERO_DAY_LIMITS)
    scheduler = None
    engine = cluster.engine()
    try:
        _load_the_demo_city(cluster)
        scheduler = Scheduler(cluster.url, tmp_path / "scheduler.log", GRIDCASE_TIME_LIMITS=ZERO_DAY_LIMITS)
        server.wait_ready()
        scheduler.wait_started()
        workers_before = server.worker_pids()
        with engine.connect() as connection:
            points = worker_points(connection)
        tokens = Tokens(
            *(
                token_over_http(server.url, name)
                for name in ("demo-worker", "demo-community", "demo-township", "demo-city")
            )
        )
        workload = Workload(server.url, tokens, points)
        stop = threading.Event()
        load = threading.Thread(target=workload.run, args=(3600, BUDGET.fault_clients, 0, stop))
        load.start()

        outages: list[tuple[float, float]] = []  # (stopped, started again), time.time()
        during: list = []
        for _ in range(BUDGET.outages):
            time.sleep(BUDGET.fault_settle_seconds)
            stopped = time.time()
            cluster.stop_hard()
            time.sleep(BUDGET.outage_seconds / 2)
            during.append(call(server.url, "GET", "/api/v1/cases", headers=bearer(tokens.mediator)))
            during.append(call(server.url, "POST", "/api/v1/cases", body={}, headers=bearer(tokens.worker)))
            time.sleep(BUDGET.outage_seconds / 2)
            cluster.start()
            outages.append((stopped, time.time()))
        time.sleep(max(BUDGET.fault_settle_seconds, RECOVERY_GRACE_SECONDS + 2))
        stop.set()
        load.join()
        load_seconds = time.time() - workload.samples[0].started
        workload.retry_unanswered(BUDGET.fault_clients)
        scheduler_alive = scheduler.alive()
    finally:
        server_alive = server.alive()
        workers_after = server.worker_pids() if server_alive else set()
        server.stop()
        if scheduler:
            scheduler.stop()

    # During each outage: 503 with the JSON message and a Retry-After hint.
    for answer in during:
        assert (answer.status, answer.json(), answer.headers.get("Retry-After")) == (503, UNAVAILABLE, "5")

    # Under load: only 503s with that message, and only while the database was away.
    errors = workload.server_errors()
    unexpected = Counter((e.kind, e.status, e.body[:300]) for e in errors if not _is_unavailable(e))
    assert not unexpected, unexpected

    def in_an_outage(sample) -> bool:
        """In flight at some moment between a stop and shortly after the restart."""
        ended = sample.started + sample.seconds
        return any(
            ended >= stopped and sample.started <= back + RECOVERY_GRACE_SECONDS for stopped, back in outages
        )

    assert [e for e in errors if not in_an_outage(e)] == []
    assert errors, "no request met the outage: the test proved nothing"
    assert set(workload.statuses()) <= {200, 201, 409, 503}, workload.statuses()

    # Recovered without a restart: the same master and workers answer after the last outage.
    assert server_alive and workers_after == workers_before, (workers_before, workers_after)
    last_back = outages[-1][1]
    after = [s for s in workload.samples if s.started > last_back + RECOVERY_GRACE_SECONDS]
    assert after and all(s.status in (200, 201, 409) for s in after)
    recovery = min(
        s.started + s.seconds for s in workload.samples if s.started > last_back and s.status < 500
    )

    # No acknowledged case is lost: every key that got a 201 names the same case, and every key
    # retried after the outage has exactly one case.
    assert workload.unanswered == set()
    assert workload.replay_mismatches == []
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                sa.text(
                    "SELECT c.idempotency_key, c.id FROM cases c JOIN users u ON u.id = c.reporter_id "
                    "WHERE u.username = 'demo-worker' AND c.idempotency_key IS NOT NULL"
                )
            ).all()
        )
        doubles = connection.execute(
            sa.text(
                "SELECT idempotency_key FROM cases WHERE idempotency_key IS NOT NULL "
                "GROUP BY reporter_id, idempotency_key HAVING count(*) > 1"
            )
        ).all()
        events = connection.execute(
            sa.text(
                "SELECT case_id, seq, action, from_level, to_level, at, payload->>'sweep' FROM case_events "
                "WHERE action IN (:escalate, :overdue) ORDER BY case_id, seq"
            ),
            {"escalate": LoggedAction.AUTO_ESCALATE, "overdue": LoggedAction.MARK_OVERDUE},
        ).all()
    assert {k: stored.get(k) for k in workload.acknowledged} == workload.acknowledged
    assert set(stored) == set(workload.bodies)
    assert doubles == []

    # The scheduler resumed after the last outage, and no case climbed twice in one sweep or
    # skipped a level.
    assert scheduler_alive, scheduler.log()[-3000:]
    assert "The sweep failed" in scheduler.log(), "the scheduler never met the outage"
    by_case = defaultdict(list)
    for event in events:
        by_case[event.case_id].append(event)
    assert any(e.at.timestamp() > last_back for e in events), "the scheduler did not resume"
    for case_id, chain in by_case.items():
        escalations = [e for e in chain if e.action == LoggedAction.AUTO_ESCALATE]
        sweeps = [e[6] for e in chain]
        assert len(set(sweeps)) == len(sweeps), f"case {case_id} was swept twice in one sweep"
        assert all(e.to_level == level_above(LADDER, e.from_level) for e in escalations), case_id
        for earlier, later in itertools.pairwise(escalations):
            assert later.from_level == earlier.to_level, case_id
        assert sum(e.action == LoggedAction.MARK_OVERDUE for e in chain) <= 1, case_id
    verified = flask_command(["gridcase", "verify-chain"], app_env(cluster.url))
    assert "every event chain is intact" in verified
    engine.dispose()

    automatic = sum(e.action == LoggedAction.AUTO_ESCALATE for e in events)
    REPORT.add(
        "load held",
        workload.summary("mixed workload through database outages", BUDGET.fault_clients, load_seconds),
    )
    REPORT.add(
        "faults survived",
        f"PostgreSQL stopped hard {len(outages)}× for {BUDGET.outage_seconds:.0f} s under load: "
        f"{len(errors)} requests answered 503 with the JSON message, no other server error; "
        f"served again {recovery - last_back:.1f} s after the last restart by the same gunicorn workers; "
        f"{len(workload.acknowledged)} acknowledged cases all kept, every key retried after an outage "
        f"has exactly one case; the scheduler resumed ({automatic} automatic escalations over "
        f"{len(by_case)} cases, none twice, hash chains intact)",
    )
