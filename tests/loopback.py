"""Real HTTP on 127.0.0.1 for tests: the app served by werkzeug in a thread (as another city
system reaches it), and a scripted receiver for webhooks (http.server in a thread)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from werkzeug.serving import make_server


class LiveServer:
    """The Flask app on a free loopback port, in a thread, until `stop()`."""

    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def http(method: str, url: str, form: dict | None = None, body: dict | None = None, headers=None) -> Reply:
    """One request with urllib, as a plain client would send it; errors are answers too."""
    data, all_headers = None, dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    elif body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read())


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    answered: int

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver: answers each path with its scripted statuses in turn (the last one
    repeats; 200 when none), optionally slowly, and records every request it got."""

    script: dict[str, list[int]] = field(default_factory=dict)
    delay: float = 0.0
    answer: bytes = b"ok"  # the body of a 2xx (a group robot answers {"errcode": 0, …})
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._served: dict[str, int] = defaultdict(int)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver._next_status(self.path)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(receiver.answer if status < 300 else b"receiver says no")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _next_status(self, path: str) -> int:
        with self._lock:
            statuses = self.script.get(path) or [200]
            index = min(self._served[path], len(statuses) - 1)
            self._served[path] += 1
            return statuses[index]

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
