"""Throughput through real HTTP: gunicorn started on a free loopback port against the bench
database, and client threads (http.client) sending requests for a fixed time.

Each client signs in as its own grid worker (POST /api/v1/auth/token), then sends requests back
to back. Requests finishing in the first `warmup` seconds are not counted; the rate is the
requests answered with the expected status in the next `seconds` seconds, divided by them.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bench.field import Worker

ROOT = Path(__file__).resolve().parent.parent

# A request: method, path, body (or None), extra headers.
Request = tuple[str, str, bytes | None, dict[str, str]]


@dataclass
class Server:
    port: int
    workers: int
    log: Path


@dataclass
class LoadResult:
    """What the clients saw in the counted window."""

    seconds: float
    clients: int
    expected: int  # the status that counts as done (201 for intake, 200 for locate)
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # of the counted, expected answers
    samples: list[str] = field(default_factory=list)  # bodies of the first unexpected answers

    @property
    def done(self) -> int:
        return self.statuses[self.expected]

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != self.expected)

    def percentile(self, fraction: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def median(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str, workers: int, log: Path, app: str = "wsgi:app", env_extra: dict | None = None
) -> Iterator[Server]:
    """gunicorn with `workers` sync workers (as scripts/serve.sh) on a free loopback port,
    GRIDCASE_ENV=development against `database_url`; no scheduler. Its output goes to `log`.
    `app` is the WSGI app (gridcase's, or bench.ceiling's minimal one under the same settings)."""
    port = _free_port()
    env = {**os.environ, "GRIDCASE_ENV": "development", "DATABASE_URL": database_url, **(env_extra or {})}
    env.pop("REPLICA_DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        app,
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, process)
        yield Server(port, workers, log)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see its log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s")


def sign_in(port: int, worker: Worker) -> str:
    """A bearer token for the worker, through POST /api/v1/auth/token."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": worker.username, "password": worker.password})
    connection.request("POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"sign-in of {worker.username}: {response.status} {data[:300]!r}")
    return json.loads(data)["access_token"]


def run_load(
    port: int,
    tokens: list[str],
    requests: list[Callable[[], Request]],
    expected: int,
    seconds: float,
    warmup: float,
) -> LoadResult:
    """One thread per client, each sending its own requests back to back over one
    http.client connection (reopened when the server closes it) for warmup + seconds."""
    result = LoadResult(seconds=seconds, clients=len(tokens), expected=expected)
    lock = threading.Lock()
    start = time.perf_counter() + 0.5  # every thread is ready before the clock starts
    counted_from, stop_at = start + warmup, start + warmup + seconds

    def client(token: str, make: Callable[[], Request]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        auth = {"Authorization": f"Bearer {token}"}
        while time.perf_counter() < start:
            time.sleep(0.01)
        statuses, latencies, samples = Counter(), [], []
        while time.perf_counter() < stop_at:
            method, path, body, headers = make()
            began = time.perf_counter()
            try:
                connection.request(method, path, body, {**auth, **headers})
                response = connection.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                status, data = 0, repr(exc).encode()
            ended = time.perf_counter()
            if counted_from <= ended < stop_at:
                statuses[status] += 1
                if status == expected:
                    latencies.append(ended - began)
                elif len(samples) < 3:
                    samples.append(f"{status} {method} {path}: {data[:500].decode(errors='replace')}")
        connection.close()
        with lock:
            result.statuses.update(statuses)
            result.latencies.extend(latencies)
            result.samples.extend(samples[: max(0, 5 - len(result.samples))])

    threads = [
        threading.Thread(target=client, args=(token, make), daemon=True)
        for token, make in zip(tokens, requests, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


# --- what the clients send ---------------------------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭何林罗高"
GIVEN = ("建国", "秀英", "伟", "芳", "军", "丽", "强", "敏", "磊", "静", "洋", "艳", "勇", "娟", "杰")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(rng: random.Random) -> str:
    """A made-up ID number of 诸暨 (330681) with a valid GB 11643 check digit."""
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    body = f"330681{birth:%Y%m%d}{rng.randrange(100, 999)}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _party(rng: random.Random, role: str) -> dict:
    return {
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "id_number": _id_number(rng),
        "phone": f"13{rng.randrange(100_000_000, 999_999_999)}",
        "role": role,
    }


def intake_requests(workers: list[Worker], categories: dict[str, list[str]], seed: int = 5) -> list:
    """Per worker, a maker of POST /api/v1/cases requests: a case at a random point of the
    worker's grid, 30 % disputes with two parties (as the history), each with a fresh
    Idempotency-Key."""
    run = uuid.uuid4().hex[:8]

    def maker(index: int, worker: Worker) -> Callable[[], Request]:
        rng = random.Random(seed * 1000 + index)
        sequence = 0

        def make() -> Request:
            nonlocal sequence
            sequence += 1
            kind = "dispute" if rng.random() < 0.3 else "incident"
            lon, lat = rng.choice(worker.points)
            body = {
                "kind": kind,
                "category": rng.choice(categories[kind]),
                "title": f"压测{'纠纷' if kind == 'dispute' else '事件'} {index}-{sequence}",
                "description": "网格员巡查发现，现场已拍照取证，需要相关部门尽快到场处理。",
                "location": {"lon": lon, "lat": lat, "accuracy_m": 8},
                "address": f"枫桥镇压测路{rng.randrange(1, 300)}号",
                "people_involved": rng.choice((1, 1, 1, 2, 3)),
            }
            if kind == "dispute":
                body["parties"] = [_party(rng, "applicant"), _party(rng, "respondent")]
            headers = {
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{run}-{index}-{sequence}",
            }
            return "POST", "/api/v1/cases", json.dumps(body, ensure_ascii=False).encode(), headers

        return make

    return [maker(index, worker) for index, worker in enumerate(workers)]


def locate_requests(points: list[tuple[float, float]], clients: int, seed: int = 6) -> list:
    """Per client, a maker of GET /api/v1/grids/locate at random points of the city's grids."""

    def maker(index: int) -> Callable[[], Request]:
        rng = random.Random(seed * 1000 + index)

        def make() -> Request:
            lon, lat = rng.choice(points)
            return "GET", f"/api/v1/grids/locate?lon={lon:.7f}&lat={lat:.7f}", None, {}

        return make

    return [maker(index) for index in range(clients)]


def ceiling_requests(kind: str, points: list[tuple[float, float]], intake_points: int, clients: int) -> list:
    """Per client, a maker of requests to the minimal app (bench/ceiling.py): `const`, `locate`
    at random points of the city's grids (as locate_requests), or `insert` at a random intake
    point (as pgbench's intake script)."""

    def maker(index: int) -> Callable[[], Request]:
        rng = random.Random(7000 + index)

        def make() -> Request:
            if kind == "const":
                return "GET", "/ceiling/const", None, {}
            if kind == "locate":
                lon, lat = rng.choice(points)
                return "GET", f"/ceiling/locate?lon={lon:.7f}&lat={lat:.7f}", None, {}
            return "POST", f"/ceiling/insert?i={rng.randrange(1, intake_points + 1)}", b"", {}

        return make

    return [maker(index) for index in range(clients)]


def pooled(results: list[LoadResult]) -> LoadResult:
    """Several counted windows of one measure as one: their answers and time added up."""
    total = LoadResult(
        seconds=sum(r.seconds for r in results), clients=results[0].clients, expected=results[0].expected
    )
    for result in results:
        total.statuses.update(result.statuses)
        total.latencies.extend(result.latencies)
        total.samples.extend(result.samples[: max(0, 5 - len(total.samples))])
    return total


def log_problems(log: Path) -> list[str]:
    """Lines of the server's log that tell of an error (tracebacks, ERROR records, 5xx answers)."""
    problems = []
    for line in log.read_text(errors="replace").splitlines():
        if "Traceback" in line or " ERROR " in line or "[ERROR]" in line or '" 5' in line:
            problems.append(line)
    return problems
