"""`python -m bench`: does gridcase keep up at a city's scale, on one machine?

In one run, for each size of history (default 50 thousand, then 5 million cases), in a database
of its own (gridcase_bench, rebuilt by the migrations), it generates the city's history
set-based, rebuilds the rollups, then measures:
- GET /api/v1/stats through the app (auth, rollups, the live overdue count, JSON) for the city,
  a township and a community over several periods, and with kind or category filters; the
  refresh job after one day's and one minute's changes; the alert scan;
- intake (POST /api/v1/cases) and locate (GET /api/v1/grids/locate) per second through real
  HTTP (gunicorn, concurrent clients), against pgbench doing the same insert or look-up alone;
- the workbench queue and the command centre's dashboard with 8 desk users signed in
  (bench/pages.py): req/s, median and p95 a page;
- the escalation sweep with nothing due and, at the largest size, with 100 thousand cases due,
  against a raw UPDATE of the same rows.
Figures are reported absolute and as ratios against a baseline of the same run (the smallest
size, or the raw database), printed and written to bench/RESULTS.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.report import Run, Throughput, Timing

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (50_000, 5_000_000)
RESULTS = ROOT / "bench" / "RESULTS.md"
QUICK = {"sizes": (5_000, 50_000), "seconds": 5.0, "warmup": 1.0, "due": 10_000, "repeat": 3}

# The indexes of `cases` the history is loaded without (nothing in the statistics uses them,
# and they are the slowest to build), built again before intake is measured: every index a
# real deployment has. Definitions as in migrations/versions/0001_foundation.py.
INTAKE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS idx_cases_location ON cases USING gist (location)",
    "CREATE INDEX IF NOT EXISTS ix_cases_search_trgm ON cases USING gin "
    "((title || ' ' || description || ' ' || address) gin_trgm_ops)",
)


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    if not sizes or sorted(sizes) != list(sizes):
        raise argparse.ArgumentTypeError("sizes in increasing order, such as 50000,5000000")
    return sizes


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="gridcase at a city's scale: statistics, intake, locate and the sweep (bench/README.md).",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes(os.environ.get("BENCH_SIZES", ",".join(map(str, DEFAULT_SIZES)))),
        help="cases of history, comma-separated, the baseline first (default 50000,5000000)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run (about 2 minutes): sizes 5000,50000, 5 s per throughput figure, "
        "10,000 cases due, 3 repeats; options given explicitly still win",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="each throughput figure (default 30)")
    parser.add_argument("--warmup", type=float, default=3.0, help="uncounted seconds first (default 3)")
    parser.add_argument(
        "--http-repeat",
        type=int,
        default=3,
        help="repetitions of the throughput figures, each over --seconds divided by this, the order "
        "rotated each time; ratios are taken within a repetition (default 3)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3)")
    parser.add_argument(
        "--due",
        type=int,
        default=100_000,
        help="cases due for the sweep, at the largest size (default 100000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=int(os.environ.get("BENCH_REPEAT", "5")),
        help="timed runs per statistics query and idle sweep (default 5)",
    )
    parser.add_argument(
        "--only",
        choices=("stats",),
        default=None,
        help="measure one part only: 'stats' generates the history, then times the rollup refresh, "
        "the statistics reads and the alert scan, without the HTTP throughput and the sweeps "
        "(writes no results file unless --results says where)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="write the Markdown results there (default: bench/RESULTS.md for a full run with the "
        "default sizes, nowhere otherwise)",
    )
    options = parser.parse_args(argv)
    if options.quick:
        given = {arg.lstrip("-").split("=")[0] for arg in argv if arg.startswith("--")}
        for name, value in QUICK.items():
            if name not in given:
                setattr(options, name, value)
    full = options.sizes == DEFAULT_SIZES and not options.quick and options.seconds >= 30 and not options.only
    if options.results is None and full:
        options.results = RESULTS
    return options


def _database_url() -> str:
    from config import local_owner_database_url, normalise_database_url

    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return normalise_database_url(explicit)
    subprocess.run(["bash", str(ROOT / "scripts" / "localdb.sh"), "createdb", "gridcase_bench"], check=True)
    # The bench's throw-away database is used as its owner: it empties the event log between sizes.
    return local_owner_database_url("gridcase_bench")


def _app(url: str):
    from config import DevelopmentConfig
    from gridcase import create_app

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        MIGRATION_DATABASE_URL = None  # the bench runs as the owner of its own database
        REPLICA_DATABASE_URL = None
        # Demo logins are hashed once; the default scrypt would only slow the set-up.
        GRIDCASE_PASSWORD_METHOD = "pbkdf2:sha256:1000"

    return create_app(BenchConfig)


def _say(message: str) -> None:
    print(message, flush=True)


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    options = _options(argv)
    url = _database_url()
    app = _app(url)
    run = Run(
        sizes=options.sizes,
        clients=options.clients,
        workers=options.workers,
        seconds=options.seconds,
        warmup=options.warmup,
        repeat=options.repeat,
        http_repeat=options.http_repeat,
        due=options.due,
        command=" ".join(["python -m bench", *argv]).strip(),
        started=datetime.now().astimezone(),
        load_before=os.getloadavg(),
    )
    logs = Path(tempfile.mkdtemp(prefix="gridcase-bench-"))
    started = time.perf_counter()
    shown_url = sa.engine.make_url(url).render_as_string(hide_password=True)
    _say(f"gridcase bench on {shown_url}; sizes {options.sizes}; server logs in {logs}")
    with app.app_context():
        from flask_migrate import upgrade

        from bench.escalation import measure_due, measure_idle
        from bench.pages import measure_pages
        from bench.report import LoadSampler, machine
        from gridcase.demo import load_demo
        from gridcase.extensions import db

        upgrade(revision="heads")
        load_demo()
        db.session.commit()
        run.machine = machine()
        run.sampler = LoadSampler(database=sa.engine.make_url(url).database)
        run.sampler.start(db.engine)
        try:
            for size in options.sizes:
                _run_size(app, size, options.repeat, run.timings)
                if options.only == "stats":
                    continue
                run.throughputs += _throughput(url, size, options, run, logs)
                run.pages += measure_pages(url, size, options, logs)
                sweeps = measure_idle(size, options.repeat)
                _say(
                    f"  sweep with nothing due: {sweeps.idle_seconds * 1000:.1f} ms "
                    f"(after catching up {sweeps.caught_up:,} overdue cases)"
                )
                if size == options.sizes[-1] and options.due:
                    measure_due(sweeps, options.due, max_sweeps=options.due // 1000 + 5)
                    _say(
                        f"  sweeps with {sweeps.due:,} due: first {sweeps.first_seconds:.1f} s for "
                        f"{sweeps.first_cases:,}; all in {sweeps.drain_seconds:.1f} s; raw UPDATE "
                        f"{sweeps.raw_batch_seconds:.2f} s / {sweeps.raw_all_seconds:.2f} s"
                    )
                run.sweeps.append(sweeps)
        finally:
            run.sampler.stop()
    run.duration = time.perf_counter() - started
    _report(options.sizes, run.timings)
    from bench.report import document

    if options.only == "stats" and not options.results:
        _say(f"The whole run took {run.duration / 60:.1f} min.")
        return
    text = document(run)
    _say("\n" + text[text.index("## Throughput") : text.index("## Statistics at scale")])
    _say(f"The whole run took {run.duration / 60:.1f} min.")
    if options.results:
        options.results.write_text(text)
        _say(f"Written to {options.results}.")


def build_intake_indexes() -> None:
    """The location and keyword-search indexes of `cases` a bulk load leaves out (INTAKE_INDEXES),
    then ANALYZE: every index a real deployment has, before intake or the pages are measured."""
    from gridcase.extensions import db

    db.session.execute(sa.text("SET maintenance_work_mem = '1GB'"))
    for definition in INTAKE_INDEXES:
        db.session.execute(sa.text(definition))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE cases"))
    db.session.commit()


def _throughput(url: str, size: int, options, run: Run, logs: Path) -> list[Throughput]:
    """Intake and locate per second through gunicorn, then the same through pgbench alone."""
    from bench.field import city_points, leaf_categories, prepare_points, prepare_workers
    from bench.http_load import (
        ceiling_requests,
        gunicorn,
        intake_requests,
        locate_requests,
        log_problems,
        pooled,
        run_load,
        sign_in,
    )
    from bench.raw import INTAKE_SCRIPT, LOCATE_SCRIPT, drop_raw_cases, prepare_raw_cases, run_pgbench
    from bench.report import Ceiling
    from gridcase.extensions import db

    def record(name: str, seconds: float) -> None:
        run.timings.setdefault(name, Timing(name)).seconds[size] = seconds

    started = time.perf_counter()
    build_intake_indexes()
    record("location (GiST) and search (trigram) indexes, built for intake", time.perf_counter() - started)
    points = prepare_points()
    workers = prepare_workers(options.clients)
    db.session.commit()
    intake_points = sum(len(worker.points) for worker in workers)
    categories = leaf_categories()
    everywhere = city_points()
    reporter = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'demo-worker'"))
    db.session.commit()

    # The minimal app's INSERT writes into the scratch copy of `cases` pgbench uses below.
    prepare_raw_cases()
    db.session.commit()
    log, ceiling_log = logs / f"gunicorn-{size}.log", logs / f"ceiling-{size}.log"
    repeats = max(1, options.http_repeat)
    window = options.seconds / repeats
    ceiling_env = {"BENCH_REPORTER": str(reporter)}
    with (
        gunicorn(url, options.workers, log) as server,
        gunicorn(
            url, options.workers, ceiling_log, app="bench.ceiling:app", env_extra=ceiling_env
        ) as ceiling,
    ):
        tokens = [sign_in(server.port, worker) for worker in workers]
        clients = options.clients
        measures = {
            "intake": (server.port, intake_requests(workers, categories), 201),
            "locate": (server.port, locate_requests(everywhere, clients), 200),
            "const": (ceiling.port, ceiling_requests("const", everywhere, intake_points, clients), 200),
            "look-up": (ceiling.port, ceiling_requests("locate", everywhere, intake_points, clients), 200),
            "insert": (ceiling.port, ceiling_requests("insert", everywhere, intake_points, clients), 201),
        }
        windows: dict[str, list] = {name: [] for name in measures}
        order = list(measures)
        for repetition in range(repeats):
            # Each repetition measures everything once, in an order rotated each time, so that
            # a ratio is taken between figures of the same quiet or busy minutes.
            for name in order[repetition % len(order) :] + order[: repetition % len(order)]:
                port, makers, expected = measures[name]
                windows[name].append(run_load(port, tokens, makers, expected, window, options.warmup))
            _say(
                f"  repetition {repetition + 1}/{repeats}: "
                + ", ".join(f"{name} {windows[name][-1].rate:.1f}/s" for name in order)
            )
    problems = log_problems(log) + log_problems(ceiling_log)
    run.problems += [f"[{size:,} cases] {line}" for line in problems]
    for name in order:
        for result in windows[name]:
            for sample in result.samples:
                _say(f"  unexpected answer ({name}): {sample}")
    intake, locate = pooled(windows["intake"]), pooled(windows["locate"])
    _say(f"  intake through HTTP: {intake.rate:.1f}/s; locate: {locate.rate:.1f}/s")

    db.session.execute(sa.text("TRUNCATE bench_raw_cases"))  # (pgbench starts from an empty copy)
    db.session.commit()
    raw_intake = run_pgbench(
        url, INTAKE_SCRIPT, options.clients, options.seconds, {"points": intake_points, "reporter": reporter}
    )
    drop_raw_cases()
    db.session.commit()
    _say(f"  intake, raw INSERT: {raw_intake.tps:.1f}/s")
    raw_locate = run_pgbench(url, LOCATE_SCRIPT, options.clients, options.seconds, {"points": points})
    _say(f"  locate, raw ST_Covers: {raw_locate.tps:.1f}/s")

    def against_the_ceiling(name: str, minimal: str) -> Ceiling:
        return Ceiling(
            minimal=minimal,
            endpoint=pooled(windows[minimal]),
            const=pooled(windows["const"]),
            ratios=[
                a.rate / b.rate if b.rate else 0.0
                for a, b in zip(windows[name], windows[minimal], strict=True)
            ],
            const_ratios=[
                a.rate / b.rate if b.rate else 0.0
                for a, b in zip(windows[name], windows["const"], strict=True)
            ],
        )

    return [
        Throughput("intake", size, intake, raw_intake, against_the_ceiling("intake", "insert")),
        Throughput("locate", size, locate, raw_locate, against_the_ceiling("locate", "look-up")),
    ]


def _run_size(app, size: int, repeat: int, timings: dict[str, Timing]) -> None:
    from bench.history import case_indexes, insert_cases, one_day_of_changes, prepare, vacuum
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
    # The location (GiST) and keyword search (trigram GIN) indexes over every case serve none
    # of the statistics and are the slowest to build: they come back just before intake is
    # measured. The partial ones (open cases only) are small and rebuilt here.
    for _, definition in indexes:
        spatial_or_text = " USING gist " in definition or " USING gin " in definition
        if not spatial_or_text or " WHERE " in definition:
            db.session.execute(sa.text(definition))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE cases"))
    db.session.commit()
    record("generate cases (insert)", loaded)
    record("generate cases (+ indexes, analyze)", time.perf_counter() - started)
    _say(f"  {inserted:,} cases in {time.perf_counter() - started:.1f} s")
    # A bulk load leaves every page of the table unmarked in its visibility map until a VACUUM:
    # each row an index-only scan finds would cost a read of its table page. In a live database
    # autovacuum has long marked the pages of rows nobody changes (PostgreSQL 13+ vacuums after
    # inserts too). Not timed: it stands for that background work.
    vacuum("cases")

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


def _format(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _report(sizes: tuple[int, ...], timings: dict[str, Timing]) -> None:
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
