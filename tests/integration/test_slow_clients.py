"""Security review finding 7: slow clients no longer take the service down.

The review opened 4 sockets to `make run`'s gunicorn (3 sync workers), sent half a request on
each and nothing more; `/healthz` then got no answer for 20 s. `make run` now serves through
scripts/web.sh: nginx reads every request whole before a worker sees it. Here web.sh runs as
`make run` starts it (against the test database), and many more half-sent requests than there
are workers must leave the app answering.
"""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
SLOW_CLIENTS = 40  # twenty times the workers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def web(app, tmp_path):
    """scripts/web.sh on a free port; its base URL and the file its output goes to."""
    port = _free_port()
    output = tmp_path / "web.log"
    env = {**os.environ, "GRIDCASE_ENV": "testing", "PORT": str(port), "WEB_WORKERS": str(WORKERS)}
    process = subprocess.Popen(
        ["bash", "scripts/web.sh"],
        cwd=ROOT,
        env=env,
        stdout=output.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"scripts/web.sh did not come up:\n{output.read_text()}")
        time.sleep(0.2)
    yield base, output
    os.killpg(process.pid, 15)
    process.wait(timeout=20)


def test_finding_7_half_sent_requests_leave_the_app_answering(web):
    base, _output = web
    port = int(base.rsplit(":", 1)[1])
    slow = []
    try:
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
            slow.append(sock)
        # And as many uploads that announce a body and send only its first bytes.
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(
                b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100000\r\n\r\n{"
            )
            slow.append(sock)
        time.sleep(0.5)
        for _ in range(5):
            answer = requests.get(f"{base}/healthz", timeout=10)
            assert answer.status_code == 200
        page = requests.get(f"{base}/login", timeout=10)
        assert page.status_code == 200 and "<form" in page.text
    finally:
        for sock in slow:
            sock.close()


def test_finding_16_the_access_log_of_make_run_leaves_out_query_strings(web):
    base, output = web
    requests.get(f"{base}/healthz?q=%E5%BC%A0%E4%B8%89-13800000000", timeout=10)
    deadline = time.monotonic() + 10
    while "/healthz" not in output.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = output.read_text()
    assert '"GET /healthz HTTP/1.0" 200' in log or '"GET /healthz HTTP/1.1" 200' in log
    assert "13800000000" not in log and "%E5%BC%A0" not in log
