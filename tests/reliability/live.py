"""gridcase as production runs it, for the reliability tests: gunicorn (and the scheduler) as
subprocesses on a free loopback port, and a plain HTTP client that times every answer."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a gridcase process using `database_url` in the testing configuration
    (with a checkpoint folder of its own: the instance folder's belong to another database)."""
    return {
        **os.environ,
        "GRIDCASE_ENV": "testing",
        "DATABASE_URL": database_url,
        "TEST_DATABASE_URL": database_url,
        "GRIDCASE_CHECKPOINT_DIR": tempfile.mkdtemp(prefix="gridcase-checkpoints-"),
        **extra,
    }


def flask_command(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    """Run `flask --app wsgi …` to the end; its output, or AssertionError with it on failure."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Answer:
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    body: bytes
    headers: dict[str, str]
    seconds: float

    def json(self):
        return json.loads(self.body)


def call(
    base_url: str,
    method: str,
    path: str,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """One request on a fresh connection, as a phone or another system sends it."""
    host, port = base_url.removeprefix("http://").split(":")
    all_headers = {"Connection": "close", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        all_headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        payload = response.read()
        return Answer(response.status, payload, dict(response.getheaders()), time.perf_counter() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, str(exc).encode(), {}, time.perf_counter() - started)
    finally:
        connection.close()


class Process:
    """A long-running subprocess with its output in a log file, stopped by `stop_signal`."""

    stop_signal = signal.SIGTERM

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("w")
        self.popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(self.stop_signal)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._log.close()


class Gunicorn(Process):
    """The web app under gunicorn, as scripts/serve.sh runs it, on a free loopback port."""

    stop_signal = signal.SIGINT  # quick shutdown: the test is over, nothing waits for answers

    def __init__(self, database_url: str, log_path: Path, workers: int = 3, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "wsgi:app",
            ],
            app_env(database_url, **env),
            log_path,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"gunicorn exited:\n{self.log()}")
            if call(self.url, "GET", "/healthz", timeout=5).status == 200:
                return
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer /healthz in {timeout} s:\n{self.log()}")

    def worker_pids(self) -> set[int]:
        """The master's worker processes: a worker that crashed and was replaced shows here."""
        children = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        return {int(pid) for pid in children.read_text().split()}


class Scheduler(Process):
    """`flask --app wsgi gridcase scheduler`: the sweep and the other jobs, in their own process."""

    def __init__(self, database_url: str, log_path: Path, interval: float = 1, **env: str):
        super().__init__(
            [str(BIN / "flask"), "--app", "wsgi", "gridcase", "scheduler", "--interval", str(interval)],
            app_env(database_url, **env),
            log_path,
        )

    def wait_started(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Scheduler started" in self.log():
                return
            if not self.alive():
                break
            time.sleep(0.2)
        raise AssertionError(f"the scheduler did not start:\n{self.log()}")
