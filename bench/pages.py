"""The pages at scale (issue 20, item 6): the workbench queue and the command centre's dashboard
through real HTTP, with desk users signed in as a browser signs in, on a bench database that
already holds the history.

What it measures. gridcase is served by gunicorn with the settings of bench/http_load.py (sync
workers on a loopback port, GRIDCASE_ENV=development, no scheduler). `clients` desk users (8
by default: the city centre's commanders and the township centres' coordinators, demo-city and
demo-township first, the others bench-desk-NN created once in the bench database) sign in
through the login form with its CSRF token, commanders with their authenticator code, and keep
the session cookie. Then, page by page, every client fetches that page back to back for
`seconds` after `warmup` seconds; a page's figures are its 200 answers per second, the median
and the 95th percentile of their latency, and the answers that were not 200 (a redirect to the
sign-in page counts as one):

- the queue (`/desk/`) with its default filters (open cases at my level, by due time), and with
  an area (a city user: a township; a township user: one of its communities), overdue cases,
  and a keyword search (`q`: four digits, such as "4821", different each time, found in about
  2,500 of 5 million bench titles, "bench 1" to "bench 5000000"; a word found in every title,
  such as "bench", costs the trigram index its longest lists and is no search a desk makes);
- the dashboard page (`/dashboard/`, my scope, the last 30 days) and the JSON its script loads
  (gridcase/web/static/js/dashboard.js): the node's children, `/api/v1/stats`,
  `/api/v1/cases/points` and `/api/v1/alerts` (a wall screen loads them all, then the last
  three again every minute);
- the dashboard as a browser loads it: the page and its five calls in sequence, one latency
  for the whole (an upper bound: a browser sends the last three at once).

Calling it from bench/run.py (inside the app context, after `_throughput` of the same size,
which builds the location and keyword-search indexes the queue's search uses):

    from bench.pages import measure_pages, pages_markdown
    run_pages = measure_pages(url, size, options, logs)   # -> list[PageResult]
    ...
    text += pages_markdown(all_page_results, clients=options.clients, workers=options.workers)

`options` needs `clients`, `workers`, `warmup`, and either `page_seconds` or `seconds` and
`http_repeat` (a page's window is then seconds / http_repeat, 10 s by default); `logs` is the
folder of the server logs (a `pages-<size>.log` is written there). Each `PageResult` has
`name`, `path` (one example request), `size`, and `result` (bench.http_load.LoadResult:
`rate`, `median`, `percentile(0.95)` in seconds, `failed`, `samples`); `problems` lists the
error lines of the server's log. `pages_markdown` takes the results of every size and renders
a `## Pages at scale` section (a table: page, cases, req/s, median, p95, failures, p95 within
the goal of 300 ms). With the defaults the measurement takes about 2.5 minutes a size (10
windows of 10 s + 3 s warm-up, and the sign-ins).

Alone, on a database already loaded (by `python -m bench` or by `--load`):

    BENCH_DATABASE_URL=postgresql://gridcase_owner:gridcase_owner@127.0.0.1:54329/gridcase_bench_pages \\
        .venv/bin/python -m bench.pages [--load 5000000] [--seconds 10] [--clients 8] [--workers 3]

`--load N` first does what bench/run.py does for a size before its HTTP measures (migrations,
the demo city, then run.py's `_run_size`: N cases of history, their indexes, the full rollup
refresh, the statistics timed, a day of changes; then the location and keyword-search indexes:
about 20 minutes at 5 million cases).
"""

from __future__ import annotations

import argparse
import html
import http.client
import os
import random
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.http_load import LoadResult, log_problems

GOAL_P95 = 0.300  # seconds: issue 20's "queue and dashboard p95 ≤ 300 ms at 5 M cases with 8 users"
OPEN = ("pending", "in_progress")  # gridcase.cases.domain.OPEN_STATUSES, as the queue's links send them


@dataclass(frozen=True)
class DeskUser:
    username: str
    password: str
    role: str
    scope_code: str
    level: str  # the level of the scope: city or township
    areas: tuple[str, ...]  # the nodes one level below the scope (townships or communities)
    totp_secret: str | None  # for roles with two factors (a city commander)


@dataclass
class PageResult:
    name: str
    path: str  # one example request
    size: int
    result: LoadResult
    problems: list[str] = field(default_factory=list)


# --- the desk users -------------------------------------------------------------------------------


def prepare_desk_users(count: int) -> list[DeskUser]:
    """`count` desk users of the city and township centres (the caller commits): demo-city and
    demo-township first; then, alternately, a township coordinator of another township and a
    city commander (bench-desk-NN, created once). Commanders get a known authenticator secret
    (their codes are computed with pyotp as a phone would)."""
    import pyotp

    from gridcase.demo import DEMO_PASSWORD
    from gridcase.extensions import db
    from gridcase.people.auth import create_user
    from gridcase.people.models import User
    from gridcase.settings import cipher, setting, utcnow

    townships = list(
        db.session.scalars(sa.text("SELECT code FROM regions WHERE level = 'township' ORDER BY code"))
    )
    demo_township = db.session.scalar(sa.select(User.scope_code).where(User.username == "demo-township"))
    others = [code for code in townships if code != demo_township]
    city = db.session.scalar(sa.select(User.scope_code).where(User.username == "demo-city"))
    wanted = [("demo-city", "city_commander", city), ("demo-township", "township_coordinator", demo_township)]
    for i in range(2, count):
        if i % 2 == 0:
            wanted.append((f"bench-desk-{i:02d}", "township_coordinator", others[(i // 2 - 1) % len(others)]))
        else:
            wanted.append((f"bench-desk-{i:02d}", "city_commander", city))
    two_factor_roles = set(setting("GRIDCASE_TWO_FACTOR_ROLES"))
    users = []
    for username, role, scope in wanted[:count]:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = create_user(username, DEMO_PASSWORD, role, scope, f"压测坐席 {username[-2:]}")
        elif (user.role, user.scope_code) != (role, scope):
            raise RuntimeError(f"{username} is {user.role} of {user.scope_code}, not {role} of {scope}")
        secret = None
        if role in two_factor_roles:
            secret = pyotp.random_base32()
            user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
            user.totp_confirmed_at = utcnow()
            user.totp_last_step = None  # a code of this minute may sign in again
            user.totp_enrolment_encrypted = None
        # Earlier runs' failures must not lock anybody out.
        user.failed_logins, user.locked_until = 0, None
        level = "city" if role == "city_commander" else "township"
        below = "township" if level == "city" else "community"
        areas = tuple(
            db.session.scalars(
                sa.text(
                    f"SELECT code FROM regions WHERE level = :below AND {level}_code = :scope ORDER BY code"
                ),
                {"below": below, "scope": scope},
            )
        )
        users.append(DeskUser(username, DEMO_PASSWORD, role, scope, level, areas, secret))
    db.session.flush()
    return users


# --- signing in as a browser does -----------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """One client's cookies over http.client (gunicorn's sync workers close each connection)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, body, Location) of one request, the cookies it set kept."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data, response.headers.get("Location", "")

    def post_form(self, path: str, fields: dict) -> tuple[int, bytes, str]:
        body = urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def close(self) -> None:
        self.connection.close()


def _csrf_of(page: bytes) -> str:
    found = _CSRF.search(page.decode(errors="replace"))
    if not found:
        raise RuntimeError("no csrf_token in the form")
    return html.unescape(found.group(1))


def sign_in_desk(port: int, user: DeskUser) -> Browser:
    """A browser signed in as `user` through /login (and /login/second-factor for a commander).

    Raises:
        RuntimeError: the sign-in did not end on a signed-in page.
    """
    import pyotp

    browser = Browser(port)
    status, page, _ = browser.request("GET", "/login")
    fields = {"username": user.username, "password": user.password, "csrf_token": _csrf_of(page)}
    status, page, location = browser.post_form("/login", fields)
    if status == 302 and "second-factor" in location:
        status, page, _ = browser.request("GET", "/login/second-factor")
        code = pyotp.TOTP(user.totp_secret).now()
        status, page, location = browser.post_form(
            "/login/second-factor", {"code": code, "csrf_token": _csrf_of(page)}
        )
    if status != 302 or "/login" in location:
        raise RuntimeError(f"sign-in of {user.username}: {status} {location} {page[:300]!r}")
    status, page, _ = browser.request("GET", "/desk/")
    if status != 200:
        raise RuntimeError(f"{user.username} signed in but /desk/ answers {status}")
    return browser


# --- what the clients fetch -----------------------------------------------------------------------


def _queue(**filters) -> str:
    pairs = [("filtered", "1")]
    for key, value in filters.items():
        pairs += [(key, v) for v in value] if isinstance(value, list | tuple) else [(key, value)]
    return "/desk/?" + urlencode(pairs)


def page_requests(today) -> dict[str, Callable[[DeskUser, random.Random], str]]:
    """Page name → a maker of one GET path for a user (random where the page varies)."""
    since, until = (today - timedelta(days=29)).isoformat(), today.isoformat()

    def stats_query(user: DeskUser) -> str:
        return urlencode({"region": user.scope_code, "from": since, "to": until})

    return {
        "queue, default (open at my level, by due time)": lambda user, rng: "/desk/",
        "queue, an area (a township or community)": lambda user, rng: _queue(
            status=OPEN, region=rng.choice(user.areas), sort="due_at"
        ),
        "queue, overdue": lambda user, rng: _queue(status=OPEN, overdue="true", sort="due_at"),
        "queue, keyword search": lambda user, rng: _queue(q=str(rng.randrange(1000, 10000))),
        "dashboard page": lambda user, rng: "/dashboard/",
        "dashboard: regions/<node>/children": lambda user, rng: f"/api/v1/regions/{user.scope_code}/children",
        "dashboard: stats (last 30 days)": lambda user, rng: f"/api/v1/stats?{stats_query(user)}",
        "dashboard: cases/points": lambda user, rng: f"/api/v1/cases/points?region={user.scope_code}",
        "dashboard: alerts": lambda user, rng: f"/api/v1/alerts?page_size=50&region={user.scope_code}",
    }


WHOLE_DASHBOARD = "dashboard, whole load (page + 4 calls in sequence)"
_DASHBOARD_PARTS = (
    "dashboard page",
    "dashboard: regions/<node>/children",
    "dashboard: stats (last 30 days)",
    "dashboard: cases/points",
    "dashboard: alerts",
)


def run_page(
    browsers: list[Browser],
    users: list[DeskUser],
    makers: list[Callable[[DeskUser, random.Random], str]],
    seconds: float,
    warmup: float,
    seed: int,
) -> LoadResult:
    """Each browser fetches the paths of `makers` in sequence, back to back, for warmup +
    seconds; a round counts when every answer was 200, its latency the whole sequence's."""
    result = LoadResult(seconds=seconds, clients=len(browsers), expected=200)
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    counted_from, stop_at = start + warmup, start + warmup + seconds

    def client(index: int) -> None:
        browser, user = browsers[index], users[index]
        rng = random.Random(seed * 1000 + index)
        statuses, latencies, samples = Counter(), [], []
        while time.perf_counter() < start:
            time.sleep(0.01)
        while time.perf_counter() < stop_at:
            began, status = time.perf_counter(), 200
            for make in makers:
                path = make(user, rng)
                headers = {"Accept": "application/json"} if path.startswith("/api/") else {}
                try:
                    status, data, location = browser.request("GET", path, headers=headers)
                except (OSError, http.client.HTTPException) as exc:
                    status, data, location = 0, repr(exc).encode(), ""
                if status != 200:
                    if len(samples) < 3:
                        samples.append(
                            f"{status} GET {path} {location}: {data[:300].decode(errors='replace')}"
                        )
                    break
            ended = time.perf_counter()
            if counted_from <= ended < stop_at:
                statuses[status] += 1
                if status == 200:
                    latencies.append(ended - began)
        with lock:
            result.statuses.update(statuses)
            result.latencies.extend(latencies)
            result.samples.extend(samples[: max(0, 5 - len(result.samples))])

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def measure_pages(url: str, size: int, options, logs: Path | None = None) -> list[PageResult]:
    """Every page of the module docstring under `options.clients` signed-in desk users, through
    gunicorn against `url` (a database holding `size` cases of history). Runs in the app's
    context (it creates the desk users and commits)."""
    from bench.http_load import gunicorn
    from gridcase.extensions import db
    from gridcase.settings import local_tz, utcnow

    users = prepare_desk_users(options.clients)
    db.session.commit()
    today = utcnow().astimezone(local_tz()).date()
    makers = page_requests(today)
    seconds = getattr(options, "page_seconds", None) or options.seconds / max(1, options.http_repeat)
    logs = logs or Path(tempfile.mkdtemp(prefix="gridcase-pages-"))
    log = logs / f"pages-{size}.log"
    plan = [(name, [make]) for name, make in makers.items()]
    plan.append((WHOLE_DASHBOARD, [makers[name] for name in _DASHBOARD_PARTS]))
    results = []
    with gunicorn(url, options.workers, log) as server:
        browsers = [sign_in_desk(server.port, user) for user in users]
        try:
            for seed, (name, page_makers) in enumerate(plan):
                result = run_page(browsers, users, page_makers, seconds, options.warmup, seed)
                example = " → ".join(make(users[0], random.Random(0)) for make in page_makers)
                results.append(PageResult(name, example, size, result))
                p95 = result.percentile(0.95)
                print(
                    f"  {name}: {result.rate:.1f}/s, median {_ms(result.median)}, p95 {_ms(p95)}"
                    + (f", {result.failed} failed: {result.samples[:1]}" if result.failed else ""),
                    flush=True,
                )
        finally:
            for browser in browsers:
                browser.close()
    problems = log_problems(log)
    if results:
        results[0].problems = problems
    return results


# --- the report -----------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms"


def pages_markdown(results: list[PageResult], clients: int = 8, workers: int = 3) -> str:
    """A `## Pages at scale` section of RESULTS.md for the results of one or more sizes."""
    if not results:
        return ""
    seconds = results[0].result.seconds
    lines = [
        "## Pages at scale",
        "",
        f"`bench/pages.py`: gridcase under gunicorn with {workers} sync workers (as for intake and "
        f"locate), {clients} desk users of the city and township centres signed in through the "
        "login form (CSRF token, a commander's authenticator code) with their session cookie, "
        f"fetching one page at a time back to back for {seconds:.0f} s each after a warm-up. "
        "The queue with its defaults and with an area, overdue or a keyword filter; the "
        "dashboard page and the JSON its script loads; and the whole dashboard as one sequence. "
        f"Goal (issue 20): queue and dashboard p95 ≤ {GOAL_P95 * 1000:.0f} ms at 5 M cases with 8 users.",
        "",
        "| page | cases in history | req/s | median | p95 | failures | p95 ≤ 300 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for page in results:
        result = page.result
        p95 = result.percentile(0.95)
        within = "—" if p95 is None else ("yes" if p95 <= GOAL_P95 else "no")
        if page.name == WHOLE_DASHBOARD:
            within = "—"  # (a sequence of five requests: the goal is per page)
        lines.append(
            f"| {page.name} | {page.size:,} | {result.rate:,.1f} | {_ms(result.median)} | {_ms(p95)} "
            f"| {result.failed} | {within} |"
        )
    problems = [line for page in results for line in page.problems]
    if problems:
        lines += ["", f"The server logged {len(problems)} error lines; the first: `{problems[0][:200]}`."]
    return "\n".join(lines) + "\n"


# --- alone ----------------------------------------------------------------------------------------


def load(app, size: int) -> None:
    """What bench/run.py does for a size before the pages would be measured, in the app's
    context: migrations and the demo city, then its `_run_size` (`size` cases of history, the
    indexes, the full rollup refresh, and its statistics timed on the way), then the location
    and keyword-search indexes its `_throughput` builds."""
    from flask_migrate import upgrade

    from bench.run import _run_size, build_intake_indexes
    from gridcase.demo import load_demo
    from gridcase.extensions import db

    started = time.perf_counter()
    upgrade(revision="heads")
    load_demo()
    db.session.commit()
    _run_size(app, size, 1, {})
    build_intake_indexes()
    print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", type=int, default=0, help="first load this many cases of history")
    parser.add_argument("--seconds", type=float, default=10.0, help="each page's window (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="uncounted seconds first (default 3)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent desk users (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3)")
    options = parser.parse_args(argv)
    options.page_seconds = options.seconds
    if not os.environ.get("BENCH_DATABASE_URL"):
        parser.error("BENCH_DATABASE_URL names the bench database (one already loaded, or use --load)")
    from bench.run import _app, _database_url
    from gridcase.extensions import db

    url = _database_url()
    app = _app(url)
    started = time.perf_counter()
    with app.app_context():
        if options.load:
            load(app, options.load)
        size = db.session.scalar(sa.text("SELECT count(*) FROM cases"))
        db.session.commit()
        print(f"pages at {size:,} cases, {options.clients} users, {options.workers} workers", flush=True)
        results = measure_pages(url, size, options)
    print("\n" + pages_markdown(results, options.clients, options.workers), flush=True)
    print(f"took {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
