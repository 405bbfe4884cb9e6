"""A mixed workload from many concurrent clients against a running gridcase.

Each client is a thread that loops until the time is up, picking by weight: lists, case details,
locating a point, statistics and alerts (reads); intake of new cases with an Idempotency-Key
(now and then replaying an earlier key, as a phone does after a lost answer); and lifecycle
actions by the community mediator with the version they read. A case whose intake got no 201
(an outage) is retried later with the same key and body, as a client's outbox would.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from tests.helpers import FENGQIAO
from tests.reliability.budget import percentile
from tests.reliability.live import Answer, call
from tests.reliability.signin import bearer

UNAVAILABLE = {
    "code": 503,
    "status": "Service Unavailable",
    "message": "The database is not reachable; try again shortly.",
    "errors": {},
}
ACTIONS = {"accept": {"note": "已受理"}, "note": {"text": "现场复核"}, "resolve": {"outcome": "explained"}}
WEIGHTS = {
    "list": 20,
    "detail": 15,
    "locate": 10,
    "stats": 5,
    "alerts": 5,
    "intake": 25,
    "replay": 5,
    "action": 15,
}


@dataclass
class Sample:
    kind: str
    started: float  # time.time() when sent
    seconds: float
    status: int
    body: bytes


@dataclass
class Tokens:
    worker: str
    mediator: str
    township: str
    city: str


@dataclass
class Workload:
    """The shared state of one run: what was sent, what was acknowledged, what to retry."""

    base_url: str
    tokens: Tokens
    points: list[tuple[float, float]]  # inside the worker's grid
    samples: list[Sample] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # Idempotency-Key → case id (201)
    bodies: dict[str, dict] = field(default_factory=dict)  # every key sent, with its body
    unanswered: set[str] = field(default_factory=set)  # keys with no 201/200 yet
    replay_mismatches: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()

    # --- bookkeeping ------------------------------------------------------------------------

    def _send(self, kind: str, method: str, path: str, token: str, body: dict | None = None, headers=None):
        started = time.time()
        answer = call(self.base_url, method, path, body=body, headers={**bearer(token), **(headers or {})})
        with self._lock:
            self.samples.append(Sample(kind, started, answer.seconds, answer.status, answer.body))
        if answer.status == 503:
            time.sleep(0.5)  # a client backs off a little while the service is unavailable
        return answer

    def case_ids(self) -> list[int]:
        with self._lock:
            return list(self.acknowledged.values())

    # --- the operations ---------------------------------------------------------------------

    def list_cases(self, rng: random.Random) -> None:
        token = rng.choice([self.tokens.worker, self.tokens.mediator, self.tokens.township, self.tokens.city])
        query = rng.choice(
            [
                "",
                "?status=pending",
                "?status=in_progress&sort=due_at",
                "?overdue=true",
                "?q=%E5%9E%83%E5%9C%BE",
                "?page=2",
            ]
        )
        self._send("list", "GET", f"/api/v1/cases{query}", token)

    def detail(self, rng: random.Random) -> None:
        ids = self.case_ids()
        if ids:
            self._send("detail", "GET", f"/api/v1/cases/{rng.choice(ids)}", self.tokens.mediator)

    def locate(self, rng: random.Random) -> None:
        lon, lat = rng.choice(self.points)
        self._send("locate", "GET", f"/api/v1/grids/locate?lon={lon}&lat={lat}", self.tokens.worker)

    def stats(self, rng: random.Random) -> None:
        token, region = rng.choice([(self.tokens.township, FENGQIAO), (self.tokens.city, "")])
        self._send("stats", "GET", f"/api/v1/stats?region={region}" if region else "/api/v1/stats", token)

    def alerts(self, rng: random.Random) -> None:
        self._send("alerts", "GET", "/api/v1/alerts", rng.choice([self.tokens.township, self.tokens.city]))

    def intake(self, rng: random.Random) -> None:
        key = str(uuid.UUID(int=rng.getrandbits(128)))
        lon, lat = rng.choice(self.points)
        body = {
            "kind": "incident",
            "category": rng.choice(["E0102", "E0105"]),
            "title": f"负载测试 {key[:8]}",
            "description": "桥头有一堆生活垃圾未清运",
            "location": {"lon": lon, "lat": lat, "crs": "wgs84", "accuracy_m": 8},
            "severity": rng.choice(["general", "general", "general", "significant"]),
            "people_involved": rng.randint(0, 3),
        }
        if rng.random() < 0.2:
            body.update(
                kind="dispute",
                category="D02",
                parties=[{"name": "张三", "phone": "13812348000", "role": "applicant"}],
            )
        with self._lock:
            self.bodies[key] = body
            self.unanswered.add(key)
        self._post_case(key)

    def replay(self, rng: random.Random) -> None:
        """Send an earlier key again (the phone never saw its answer): the same case, 200."""
        with self._lock:
            keys = list(self.bodies)
        if keys:
            self._post_case(rng.choice(keys), kind="replay")

    def _post_case(self, key: str, kind: str = "intake") -> Answer:
        answer = self._send(
            kind, "POST", "/api/v1/cases", self.tokens.worker, self.bodies[key], {"Idempotency-Key": key}
        )
        if answer.status in (200, 201):
            case_id = answer.json()["id"]
            with self._lock:
                self.unanswered.discard(key)
                if answer.status == 201:
                    if key in self.acknowledged:
                        self.replay_mismatches.append(f"{key}: a second 201")
                    self.acknowledged[key] = case_id
                elif key in self.acknowledged and self.acknowledged[key] != case_id:
                    self.replay_mismatches.append(f"{key}: case {self.acknowledged[key]}, replay {case_id}")
        return answer

    def action(self, rng: random.Random) -> None:
        ids = self.case_ids()
        if not ids:
            return
        case_id = rng.choice(ids)
        read = self._send("detail", "GET", f"/api/v1/cases/{case_id}", self.tokens.mediator)
        if read.status != 200:
            return
        case = read.json()
        choices = [a for a in case["allowed_actions"] if a in ACTIONS]
        if choices:
            action = rng.choice(choices)
            body = {"action": action, "version": case["version"], **ACTIONS[action]}
            self._send("action", "POST", f"/api/v1/cases/{case_id}/actions", self.tokens.mediator, body)

    # --- running ----------------------------------------------------------------------------

    def run(self, seconds: float, clients: int, seed: int = 0, stop: threading.Event | None = None) -> None:
        """`clients` threads for `seconds`, or until `stop` is set; returns when all have stopped."""
        stop = stop or threading.Event()
        operations = {
            "list": self.list_cases,
            "detail": self.detail,
            "locate": self.locate,
            "stats": self.stats,
            "alerts": self.alerts,
            "intake": self.intake,
            "replay": self.replay,
            "action": self.action,
        }
        names, weights = list(WEIGHTS), list(WEIGHTS.values())

        def client(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            while not stop.is_set():
                operations[rng.choices(names, weights)[0]](rng)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()
        stop.wait(seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

    def retry_unanswered(self, clients: int, deadline_seconds: float = 60) -> None:
        """Send every key still without a case again (from `clients` threads), until each has one
        or time runs out: a phone's outbox after the service comes back."""
        deadline = time.monotonic() + deadline_seconds
        while self.unanswered and time.monotonic() < deadline:
            keys = sorted(self.unanswered)

            def send(share: list[str]) -> None:
                for key in share:
                    self._post_case(key, kind="retry")

            threads = [threading.Thread(target=send, args=(keys[n::clients],)) for n in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    # --- results ----------------------------------------------------------------------------

    def statuses(self, samples: list[Sample] | None = None) -> Counter:
        return Counter(s.status for s in (self.samples if samples is None else samples))

    def server_errors(self) -> list[Sample]:
        """Answers a user would see as a failure of ours: 5xx, or no answer at all."""
        return [s for s in self.samples if s.status >= 500 or s.status == 0]

    def latency_by_kind(self) -> dict[str, str]:
        kinds: dict[str, list[float]] = {}
        for sample in self.samples:
            kinds.setdefault(sample.kind, []).append(sample.seconds)
        return {kind: _latencies(v) for kind, v in sorted(kinds.items())}

    def summary(self, label: str, clients: int, seconds: float) -> str:
        errors = len(self.server_errors())
        return (
            f"{label}: {len(self.samples)} requests in {seconds:.0f} s from {clients} clients "
            f"({len(self.samples) / seconds:.0f}/s), {errors} server errors, "
            f"{_latencies([s.seconds for s in self.samples])}, {len(self.acknowledged)} cases acknowledged; "
            f"statuses {dict(sorted(self.statuses().items()))}"
        )


def _latencies(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    return f"p50 {percentile(ordered, 0.5) * 1000:.0f} ms, p95 {percentile(ordered, 0.95) * 1000:.0f} ms"


def worker_points(connection, username: str = "demo-worker", count: int = 40) -> list[tuple[float, float]]:
    """Random points inside the grid of a grid worker, from PostGIS (a SQLAlchemy connection)."""
    import sqlalchemy as sa

    rows = connection.execute(
        sa.text(
            """
            SELECT ST_X(p.geom), ST_Y(p.geom)
            FROM users u
            JOIN regions r ON r.code = u.scope_code
            CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(r.boundary, :count, 1)) AS p
            WHERE u.username = :username
            """
        ),
        {"username": username, "count": count},
    ).all()
    assert rows, f"{username} has no grid"
    return [(lon, lat) for lon, lat in rows]
