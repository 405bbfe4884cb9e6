"""`python -m bench`: how the command centre's statistics scale from 50 thousand to 5 million cases.

For each size, in a database of its own (gridcase_bench, rebuilt by the migrations), it generates
the city's history set-based, rebuilds the rollups, then times:
- GET /api/v1/stats through the app (auth, rollups, the live overdue count, JSON) for the city,
  a township and a community over several periods, and with kind or category filters;
- the refresh job after one day's worth of changes (and after one minute's worth, the usual case);
- the alert scan: its first run over the whole history, then a run after a day's changes.
Each timing is printed absolute and as a ratio against the 50-thousand baseline of the same run.

Settings: BENCH_SIZES (default "50000,5000000"), BENCH_DATABASE_URL (default: the local cluster's
gridcase_bench, created with scripts/localdb.sh), BENCH_REPEAT (timed runs per query, default 5).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (50_000, 5_000_000)


@dataclass
class Timing:
    name: str
    seconds: dict[int, float] = field(default_factory=dict)
    note: dict[int, str] = field(default_factory=dict)


def _database_url() -> str:
    from config import local_database_url, normalise_database_url

    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return normalise_database_url(explicit)
    subprocess.run(["bash", str(ROOT / "scripts" / "localdb.sh"), "createdb", "gridcase_bench"], check=True)
    return local_database_url("gridcase_bench")


def _app(url: str):
    from config import DevelopmentConfig
    from gridcase import create_app

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        # Demo logins are hashed once; the default scrypt would only slow the set-up.
        GRIDCASE_PASSWORD_METHOD = "pbkdf2:sha256:1000"

    return create_app(BenchConfig)


def _say(message: str) -> None:
    print(message, flush=True)


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    sizes = tuple(int(s) for s in os.environ.get("BENCH_SIZES", ",".join(map(str, DEFAULT_SIZES))).split(","))
    repeat = int(os.environ.get("BENCH_REPEAT", "5"))
    url = _database_url()
    app = _app(url)
    _say(f"gridcase bench on {sa.engine.make_url(url).render_as_string(hide_password=True)}; sizes {sizes}")
    with app.app_context():
        from flask_migrate import upgrade

        from gridcase.demo import load_demo
        from gridcase.extensions import db

        upgrade(revision="heads")
        load_demo()
        db.session.commit()
        timings: dict[str, Timing] = {}
        counts: dict[int, dict] = {}
        for size in sizes:
            counts[size] = _run_size(app, size, repeat, timings)
    _report(sizes, timings, counts)


def _run_size(app, size: int, repeat: int, timings: dict[str, Timing]) -> dict:
    from bench.history import case_indexes, insert_cases, one_day_of_changes, prepare
    from gridcase.extensions import db
    from gridcase.people.auth import issue_token
    from gridcase.people.models import User
    from gridcase.settings import utcnow
    from gridcase.stats.alerts import scan_alerts
    from gridcase.stats.rollups import refresh_rollups

    def record(name: str, seconds: float, note: str = "") -> None:
        timing = timings.setdefault(name, Timing(name))
        timing.seconds[size] = seconds
        if note:
            timing.note[size] = note

    _say(f"\n== {size:,} cases")
    # Bulk-load settings of this session: the history is sorted by creation time in memory.
    db.session.execute(sa.text("SET maintenance_work_mem = '1GB'"))
    db.session.execute(sa.text("SET work_mem = '1GB'"))
    # Each size starts from no cases. The event log refuses TRUNCATE, so its guard is lifted for
    # this one statement, in this throw-away database only.
    db.session.execute(sa.text("ALTER TABLE case_events DISABLE TRIGGER USER"))
    db.session.execute(
        sa.text("TRUNCATE cases, stats_rollups, stats_watermarks, alerts RESTART IDENTITY CASCADE")
    )
    db.session.execute(sa.text("ALTER TABLE case_events ENABLE TRIGGER USER"))
    prepare()
    db.session.commit()
    reporter = db.session.scalar(sa.select(User.id).where(User.username == "demo-worker"))
    now = utcnow()

    # Bulk load: indexes are dropped and rebuilt after, as for any bulk load.
    indexes = case_indexes()
    started = time.perf_counter()
    for name, _ in indexes:
        db.session.execute(sa.text(f'DROP INDEX "{name}"'))
    inserted = insert_cases(size, now, reporter)
    db.session.commit()
    loaded = time.perf_counter() - started
    # The location (GiST) and keyword search (trigram GIN) indexes serve nothing measured here
    # and are the slowest to build: they are left out of the bench database.
    for _, definition in indexes:
        if " USING gist " not in definition and " USING gin " not in definition:
            db.session.execute(sa.text(definition))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE cases"))
    db.session.commit()
    record("generate cases (insert)", loaded)
    record("generate cases (+ indexes, analyze)", time.perf_counter() - started)
    _say(f"  {inserted:,} cases in {time.perf_counter() - started:.1f} s")

    seconds = _timed(lambda: (refresh_rollups(full=True), db.session.commit()))
    db.session.execute(sa.text("ANALYZE stats_rollups"))
    db.session.commit()
    rows = db.session.scalar(sa.text("SELECT count(*) FROM stats_rollups"))
    record("refresh, full", seconds, f"{rows:,} rows")
    _say(f"  full refresh: {seconds:.1f} s, {rows:,} rollup rows")

    tokens = {}
    for username in ("demo-city", "demo-township", "demo-community"):
        user = db.session.scalar(sa.select(User).where(User.username == username))
        tokens[username] = issue_token(user)[0]
    db.session.commit()
    client = app.test_client()
    today = now.date()
    periods = {
        "all time": "",
        "last 365 days": f"from={today - timedelta(days=364)}&to={today}",
        "last 30 days": f"from={today - timedelta(days=29)}&to={today}",
        "a quarter": f"from={date(today.year - 1, 4, 1)}&to={date(today.year - 1, 6, 30)}",
        "one day": f"from={today - timedelta(days=3)}&to={today - timedelta(days=3)}",
    }
    queries = [
        (f"stats, {who}, {period}", who, query)
        for who in ("city", "township", "community")
        for period, query in periods.items()
    ]
    queries += [
        ("stats, city, 365 days, kind=dispute", "city", periods["last 365 days"] + "&kind=dispute"),
        ("stats, city, 365 days, category=E01", "city", periods["last 365 days"] + "&category=E01"),
        ("stats, community, all time, category=D02", "community", "category=D02"),
        ("stats export (csv), city, 365 days", "city", "export:" + periods["last 365 days"]),
    ]
    for name, who, query in queries:
        path = "/api/v1/stats"
        if query.startswith("export:"):
            path, query = "/api/v1/stats/export", query.removeprefix("export:")
        headers = {"Authorization": f"Bearer {tokens['demo-' + who]}"}

        def get(path=path, query=query, headers=headers):
            response = client.get(f"{path}?{query}", headers=headers)
            response.get_data()
            assert response.status_code == 200, response.get_data(as_text=True)

        get()  # warm the caches
        record(name, statistics.median(_timed(get) for _ in range(repeat)))
    _say(f"  {len(queries)} queries timed")

    # The first scan raises the alerts the whole history holds (a one-off); the minute job then
    # meets only what the last minute brought, timed after the day of changes below.
    scanned = None

    def scan():
        nonlocal scanned
        scanned = scan_alerts()
        db.session.commit()

    seconds = _timed(scan)
    record("alert scan, first (the history's alerts)", seconds, f"{sum(scanned.raised.values()):,} raised")

    changed = one_day_of_changes(size, utcnow(), reporter, tag="D")
    db.session.commit()
    report = None

    def refresh():
        nonlocal report
        report = refresh_rollups()
        db.session.commit()

    record("refresh, one day of changes", _timed(refresh), f"{changed:,} cases, {report.pairs:,} pairs")
    _say(f"  one day of changes: {report.line()}")
    # About a minute's worth: what the scheduler's job meets each minute. The watermark is set
    # as the previous minute's run would have left it, after the day's changes.
    db.session.execute(sa.text("UPDATE stats_watermarks SET value = clock_timestamp()"))
    changed = one_day_of_changes(max(1, size // 1440), utcnow(), reporter, tag="M")
    db.session.commit()
    record("refresh, one minute of changes", _timed(refresh), f"{report.pairs:,} pairs")

    seconds = _timed(scan)
    record("alert scan, after a day of changes", seconds, f"{scanned.linked:,} links added")
    return {"rows": rows}


def _format(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _report(sizes: tuple[int, ...], timings: dict[str, Timing], counts: dict) -> None:
    base = sizes[0]
    width = max(len(name) for name in timings) + 2
    header = "".join(f"{f'{size:,} cases':>16}" for size in sizes)
    ratios = "".join(f"{f'× vs {base:,}':>14}" for size in sizes[1:])
    _say(f"\n{'':<{width}}{header}{ratios}")
    for name, timing in timings.items():
        cells = "".join(f"{_format(timing.seconds.get(size)):>16}" for size in sizes)
        factor = ""
        for size in sizes[1:]:
            if size in timing.seconds and timing.seconds.get(base):
                factor += f"{timing.seconds[size] / timing.seconds[base]:>14.2f}"
        notes = "; ".join(f"{size:,}: {note}" for size, note in timing.note.items())
        _say(f"{name:<{width}}{cells}{factor}{'   (' + notes + ')' if notes else ''}")
    sys.stdout.flush()
