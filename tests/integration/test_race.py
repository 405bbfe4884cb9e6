"""Races: people act on cases while two real scheduler processes sweep the same cases.

Afterwards every case must have made only transitions the rules allow, each from the state
the previous event left (no lost update), no case may have climbed twice in one sweep, and
every hash chain must verify.
"""

import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

from gridcase.cases.domain import CaseKind, Severity, Status
from gridcase.cases.events import verify_chain
from gridcase.cases.intake import create_case
from gridcase.cases.lifecycle import Action, CaseState, LoggedAction, transition
from gridcase.cases.models import Case, CaseEvent
from gridcase.cases.operations import perform_action
from gridcase.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS
from gridcase.extensions import db
from gridcase.ladder.limits import level_above
from gridcase.ladder.models import CalendarDay
from gridcase.people.models import User
from gridcase.settings import local_tz, utcnow
from gridcase.units.models import CaseAssignment
from tests.helpers import case_payload, delete_committed_cases

ROOT = Path(__file__).resolve().parents[2]
LADDER = ("community", "township", "city")
CASES = 24
SECONDS = 6
HUMAN_ACTIONS = {
    "accept": {},
    "resolve": {"outcome": "explained"},
    "escalate": {"reason": "竞争测试"},
    "take_over": {"reason": "竞争测试"},
    "note": {"text": "竞争测试"},
    "hand_down": {"instruction": "竞争测试"},
    # 条块联动: the centre dispatches to 枫桥镇人力社保所, whose officer (demo-unit) signs, returns,
    # reports and resolves while the schedulers sweep the same cases.
    "dispatch": {
        "lead_unit": "330681109000-rlsbs",
        "assist_units": ["330681109000-sfs"],
        "requirement": "竞争测试",
    },
    "sign": {},
    "return": {"reason": "not_our_duty", "note": "竞争测试"},
    "progress": {"text": "竞争测试"},
}


def _start_scheduler(log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "GRIDCASE_ENV": "testing",
        # Zero-day limits: every sweep finds the cases due again, so sweeps keep competing.
        "GRIDCASE_TIME_LIMITS": json.dumps({"community": 0, "township": 0, "district": 0, "city": 0}),
    }
    flask = Path(sys.executable).with_name("flask")
    return subprocess.Popen(
        [str(flask), "--app", "wsgi", "gridcase", "scheduler", "--interval", "0.3"],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def overdue_cases(app):
    """Cases overdue at the community level, and today and tomorrow made working days
    (so zero-day limits fall due at once even when the suite runs on a weekend)."""
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        long_ago = utcnow() - timedelta(days=40)
        ids = [
            create_case(
                worker, case_payload(worker.scope_code, category="E0105", title=f"竞争{i}"), now=long_ago
            ).case.id
            for i in range(CASES)
        ]
        # Half of them dispatched by the community long ago, to a lead and an assisting unit:
        # their assignments are late, so the sweep's assignment pass competes with people
        # dispatching again (which withdraws both) from its first run.
        community = db.session.scalar(sa.select(User).where(User.username == "demo-community"))
        for case_id in ids[::2]:
            version = db.session.scalar(sa.select(Case.version).where(Case.id == case_id))
            payload = {**HUMAN_ACTIONS["dispatch"], "requirement": "竞争测试（早已派遣）"}
            perform_action(
                community, case_id, "dispatch", version, payload, now=long_ago + timedelta(hours=1)
            )
        today = utcnow().astimezone(local_tz()).date()
        saved = {d: db.session.get(CalendarDay, d) for d in (today, today + timedelta(days=1))}
        saved = {d: (row.working, row.name, row.year) if row else None for d, row in saved.items()}
        for day in saved:
            db.session.merge(CalendarDay(day=day, working=True, name="race test", year=day.year))
        db.session.commit()
    yield ids
    delete_committed_cases(app, ids)
    with app.app_context():
        for day, original in saved.items():
            row = db.session.get(CalendarDay, day)
            if original is None:
                db.session.delete(row)
            else:
                row.working, row.name, row.year = original
        db.session.commit()


def _token(client, username: str) -> str:
    body = {"username": username, "password": DEMO_PASSWORD}
    if username in DEMO_TOTP_SECRETS:  # the city commander signs in with two factors
        body["otp"] = pyotp.TOTP(DEMO_TOTP_SECRETS[username]).now()
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 200, response.json
    return response.json["access_token"]


@pytest.mark.committing
@pytest.mark.slow
def test_people_and_two_schedulers_race_on_the_same_cases(app, overdue_cases, tmp_path):
    client = app.test_client()
    tokens = [
        _token(client, name)
        for name in ("demo-worker", "demo-community", "demo-township", "demo-city", "demo-unit")
    ]
    statuses: Counter = Counter()
    stop = threading.Event()

    failures: list[BaseException] = []

    def person(seed: int) -> None:
        try:
            act_at_random(seed)
        except BaseException as exc:  # a thread's failure fails the test, not only a warning
            failures.append(exc)
            raise

    def act_at_random(seed: int) -> None:
        rng = random.Random(seed)
        http = app.test_client()
        while not stop.is_set():
            token = rng.choice(tokens)
            headers = {"Authorization": f"Bearer {token}"}
            if token == tokens[-1]:  # the unit's officer works on what was dispatched to it
                listed = http.get("/api/v1/cases?page_size=100", headers=headers).json["items"]
                if not listed:
                    continue
                case_id = rng.choice(listed)["id"]
            else:
                case_id = rng.choice(overdue_cases)
            answer = http.get(f"/api/v1/cases/{case_id}", headers=headers)
            if answer.status_code == 404:  # returned or withdrawn meanwhile
                continue
            case = answer.json
            choices = [a for a in case["allowed_actions"] if a in HUMAN_ACTIONS]
            if not choices:
                continue
            action = rng.choice(choices)
            response = http.post(
                f"/api/v1/cases/{case_id}/actions",
                json={"action": action, "version": case["version"], **HUMAN_ACTIONS[action]},
                headers=headers,
            )
            if response.status_code == 404 and token == tokens[-1]:
                statuses["gone"] += 1  # dispatched elsewhere or returned meanwhile: no longer the unit's
            else:
                statuses[response.status_code] += 1

    logs = [tmp_path / f"scheduler-{n}.log" for n in (1, 2)]
    schedulers = [_start_scheduler(log) for log in logs]
    people = [threading.Thread(target=person, args=(seed,)) for seed in range(6)]
    try:
        _wait_until_started(logs)
        for thread in people:
            thread.start()
        time.sleep(SECONDS)
    finally:
        stop.set()
        for thread in people:
            thread.join()
        for process in schedulers:
            process.terminate()
        for process in schedulers:
            process.wait(timeout=30)

    assert failures == [], failures
    logs = "\n".join(p.read_text() for p in tmp_path.glob("scheduler-*.log"))
    assert "Traceback" not in logs, logs
    # Never a 500, never a refused stale state; a unit may lose the case to a 改派 meanwhile.
    assert set(statuses) <= {200, 409, "gone"}, statuses
    assert statuses[200] > 0

    with app.app_context():
        events = db.session.scalars(
            sa.select(CaseEvent)
            .where(CaseEvent.case_id.in_(overdue_cases))
            .order_by(CaseEvent.case_id, CaseEvent.seq)
        ).all()
        cases = {c.id: c for c in db.session.scalars(sa.select(Case).where(Case.id.in_(overdue_cases)))}
        by_case: dict[int, list[CaseEvent]] = {}
        for event in events:
            by_case.setdefault(event.case_id, []).append(event)

        sweeps = Counter()
        for case_id, chain in by_case.items():
            _assert_replays(chain)
            for event in chain:
                if event.action == LoggedAction.AUTO_ESCALATE:
                    sweeps[(case_id, event.payload["sweep"])] += 1
            case = cases[case_id]
            assert case.version == len(chain)
            assert (case.status, case.level) == (chain[-1].to_status, chain[-1].to_level)
        assert sweeps, "the schedulers escalated nothing"
        assert max(sweeps.values()) == 1, "a case climbed twice in one sweep"
        checked, broken = verify_chain()
        assert broken == [] and checked >= CASES
        assignments = db.session.scalars(
            sa.select(CaseAssignment).where(CaseAssignment.case_id.in_(overdue_cases))
        ).all()
        dispatches = sum(1 for e in events if e.action == Action.DISPATCH)
        leads = [a for a in assignments if a.role == "lead"]
        assert len(leads) == dispatches  # one lead assignment per dispatch, no more, no fewer
        open_leads = Counter(a.case_id for a in leads if a.status in ("pending", "signed"))
        assert all(n == 1 for n in open_leads.values())
        assert any(a.sign_overdue_at for a in assignments), "the sweep marked no assignment late"
        closed = {c.id for c in cases.values() if c.status in ("closed", "rejected")}
        assert not [a for a in assignments if a.case_id in closed and a.status in ("pending", "signed")]
        returns = sum(1 for e in events if e.action == Action.RETURN)
        assert returns == sum(1 for a in leads if a.status == "returned")
    print(
        f"\nrace: responses {dict(statuses)}, automatic escalations {len(sweeps)}, "
        f"sweeping processes {len({s.split('-')[0] for _, s in sweeps})}, "
        f"dispatches {dispatches}, returns {returns}"
    )


def _wait_until_started(logs: list[Path], timeout: float = 60) -> None:
    """Both schedulers have booted and begun sweeping (a loaded machine may take seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(log.exists() and "Scheduler started" in log.read_text() for log in logs):
            return
        time.sleep(0.2)
    raise AssertionError("the schedulers did not start: " + " | ".join(log.read_text() for log in logs))


def _assert_replays(chain: list[CaseEvent]) -> None:
    """Each event starts where the previous one ended and moves as the rules say."""
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    for previous, event in itertools.pairwise(chain):
        assert (event.from_status, event.from_level) == (previous.to_status, previous.to_level), event.action
        if event.action == LoggedAction.AUTO_ESCALATE:
            assert event.to_level == level_above(LADDER, event.from_level)
            assert event.to_status == event.from_status
        elif event.action == LoggedAction.MARK_OVERDUE:
            assert event.from_level == LADDER[-1] and event.to_level == LADDER[-1]
        else:
            state = CaseState(
                status=Status(event.from_status),
                level=event.from_level,
                ladder=LADDER,
                kind=CaseKind.INCIDENT,
                severity=Severity.GENERAL,
            )
            expected = transition(Action(event.action), state, event.payload)
            assert (event.to_status, event.to_level) == (expected.status.value, expected.level), event.action
