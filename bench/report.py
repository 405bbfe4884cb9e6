"""The machine a run measured on, what the other users of it were doing meanwhile, and
bench/RESULTS.md: the run's figures as Markdown tables, absolute and as ratios."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from bench.escalation import SweepResult
from bench.http_load import LoadResult
from bench.pages import PageResult, pages_markdown
from bench.raw import PgbenchResult
from gridcase.extensions import db
from gridcase.ladder.sweep import SWEEP_BATCH


@dataclass
class Timing:
    name: str
    seconds: dict[int, float] = field(default_factory=dict)
    note: dict[int, str] = field(default_factory=dict)


@dataclass
class Ceiling:
    """A measure against the stack's own ceiling (bench/ceiling.py): the minimal endpoint doing
    the same statement and the constant one, with the ratio of each repetition."""

    minimal: str  # look-up, insert
    endpoint: LoadResult
    const: LoadResult
    ratios: list[float]  # the measure ÷ the minimal endpoint, per repetition
    const_ratios: list[float]  # the measure ÷ the constant endpoint, per repetition


@dataclass
class Throughput:
    name: str  # intake, locate
    size: int
    http: LoadResult
    raw: PgbenchResult
    ceiling: Ceiling | None = None


@dataclass
class Run:
    """Everything one run measured, and how."""

    sizes: tuple[int, ...]
    clients: int
    workers: int
    seconds: float
    warmup: float
    repeat: int
    due: int
    command: str
    started: datetime
    load_before: tuple[float, float, float]
    http_repeat: int = 1
    machine: Machine | None = None
    timings: dict[str, Timing] = field(default_factory=dict)
    throughputs: list[Throughput] = field(default_factory=list)
    sweeps: list[SweepResult] = field(default_factory=list)
    duration: float = 0.0
    sampler: LoadSampler | None = None
    problems: list[str] = field(default_factory=list)  # server log lines telling of errors
    pages: list[PageResult] = field(default_factory=list)  # the queue and the dashboard (bench/pages.py)


@dataclass
class Machine:
    cores: str
    memory: str
    cpu: str
    postgresql: str
    postgis: str
    settings: str
    system: str


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def machine() -> Machine:
    """What `nproc`, /proc/meminfo, /proc/cpuinfo and the database say about this machine."""
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    settings = db.session.execute(
        sa.text(
            "SELECT name, setting, unit FROM pg_settings WHERE name IN "
            "('shared_buffers', 'work_mem', 'synchronous_commit', 'max_connections', 'jit') ORDER BY name"
        )
    ).all()

    def shown(name: str, value: str, unit: str | None) -> str:
        if unit == "8kB":
            return f"{name} {int(value) * 8 // 1024} MB"
        if unit == "kB":
            return f"{name} {int(value) // 1024} MB"
        return f"{name} {value}"

    return Machine(
        cores=cores,
        memory=_memory(),
        cpu=_cpu_model(),
        postgresql=db.session.scalar(sa.text("SHOW server_version")),
        postgis=db.session.scalar(sa.text("SELECT postgis_lib_version()")),
        settings=", ".join(shown(*row) for row in settings),
        system=f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
    )


@dataclass
class LoadSampler:
    """Samples, every `every` seconds, the 1-minute load average and the queries other
    databases of the cluster are running (the tests sharing this machine)."""

    database: str
    every: float = 10.0
    loads: list[float] = field(default_factory=list)
    others: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self, engine: sa.Engine) -> None:
        def sample() -> None:
            while not self._stop.is_set():
                self.loads.append(os.getloadavg()[0])
                try:
                    with engine.connect() as connection:
                        self.others.append(
                            connection.scalar(
                                sa.text(
                                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                                    "AND datname IS NOT NULL AND datname <> :name"
                                ),
                                {"name": self.database},
                            )
                        )
                except sa.exc.SQLAlchemyError:
                    pass
                self._stop.wait(self.every)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def line(self) -> str:
        if not self.loads:
            return "not sampled"
        busy = sum(1 for n in self.others if n) / max(1, len(self.others))
        return (
            f"1-minute load average {min(self.loads):.1f}–{max(self.loads):.1f} "
            f"(mean {sum(self.loads) / len(self.loads):.1f}, this run's own processes included); "
            f"other databases of the cluster had queries running in {busy:.0%} of {len(self.others)} "
            f"samples (up to {max(self.others, default=0)} at once)"
        )


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def fmt_duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def table(header: list[str], rows: list[list[str]], right_from: int = 1) -> list[str]:
    """A Markdown table; columns from `right_from` on are right-aligned."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _ms(seconds: float | None) -> str:
    return (
        "—"
        if seconds is None
        else f"{seconds * 1000:.0f} ms"
        if seconds >= 0.1
        else f"{seconds * 1000:.1f} ms"
    )


def throughput_table(run: Run) -> list[str]:
    base = run.sizes[0]
    rows = []
    for item in run.throughputs:
        first = next(t for t in run.throughputs if t.name == item.name and t.size == base)
        http, raw = item.http, item.raw
        rows.append(
            [
                item.name,
                f"{item.size:,}",
                _rate(http.rate),
                _rate(raw.tps),
                f"{http.rate / raw.tps:.3f}" if raw.tps else "—",
                _ms(http.median),
                _ms(http.percentile(0.95)),
                "—" if raw.latency_ms is None else f"{raw.latency_ms:.1f} ms",
                f"{http.failed:,}" + (f" ({dict(sorted(http.statuses.items()))})" if http.failed else ""),
                f"{http.rate / first.http.rate:.2f}" if first.http.rate else "—",
            ]
        )
    return table(
        [
            "measure",
            "cases in history",
            "HTTP (per s)",
            "raw PostgreSQL (per s)",
            "HTTP ÷ raw",
            "HTTP median",
            "HTTP p95",
            "raw mean latency",
            "HTTP failures",
            f"HTTP × vs {base:,}",
        ],
        rows,
        right_from=1,
    )


def spread(values: list[float]) -> str:
    """The median of per-repetition ratios and their range: 0.27 (0.21–0.32)."""
    if not values:
        return "—"
    middle = statistics.median(values)
    return f"{middle:.2f} ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else f"{middle:.2f}"


def ceiling_table(run: Run) -> list[str]:
    rows = []
    for item in run.throughputs:
        ceiling = item.ceiling
        if ceiling is None:
            continue
        raw_ratio = item.http.rate / item.raw.tps if item.raw.tps else None
        rows.append(
            [
                item.name,
                f"{item.size:,}",
                _rate(item.http.rate),
                f"{ceiling.minimal}: {_rate(ceiling.endpoint.rate)}",
                spread(ceiling.ratios),
                _rate(ceiling.const.rate),
                spread(ceiling.const_ratios),
                "—" if raw_ratio is None else f"{raw_ratio:.3f}",
            ]
        )
    return table(
        [
            "measure",
            "cases in history",
            "HTTP (per s)",
            "minimal endpoint, same statement (per s)",
            "÷ minimal: median (range)",
            "minimal, constant JSON (per s)",
            "÷ constant",
            "÷ raw PostgreSQL",
        ],
        rows,
        right_from=1,
    )


def sweep_table(run: Run) -> list[str]:
    rows = []
    for result in run.sweeps:
        rows.append(
            [
                f"nothing due (after catching up {result.caught_up:,} overdue cases of the history "
                f"in {fmt_seconds(result.catch_up_seconds)})",
                f"{result.size:,}",
                "0",
                fmt_seconds(result.idle_seconds),
                "—",
                "—",
                "—",
            ]
        )
        if not result.sweeps:
            continue
        rows.append(
            [
                f"one sweep with {result.due:,} due (takes at most {SWEEP_BATCH:,})",
                f"{result.size:,}",
                f"{result.first_cases:,}",
                fmt_seconds(result.first_seconds),
                f"{result.first_seconds / result.first_cases * 1000:.2f} ms",
                fmt_seconds(result.raw_batch_seconds),
                f"{result.first_seconds / result.raw_batch_seconds:.0f}",
            ]
        )
        rows.append(
            [
                f"all {result.due:,} due: {len(result.sweeps)} sweeps back to back "
                f"({result.escalated:,} escalated, {result.marked_overdue:,} overdue at the top)",
                f"{result.size:,}",
                f"{result.drained:,}",
                fmt_seconds(result.drain_seconds),
                f"{result.drain_seconds / result.drained * 1000:.2f} ms",
                fmt_seconds(result.raw_all_seconds),
                f"{result.drain_seconds / result.raw_all_seconds:.0f}",
            ]
        )
    return table(
        [
            "sweep",
            "cases in history",
            "cases moved",
            "time",
            "per case",
            "raw UPDATE, same rows",
            "sweep ÷ raw",
        ],
        rows,
        right_from=1,
    )


def stats_table(run: Run) -> list[str]:
    base = run.sizes[0]
    rows = []
    for name, timing in run.timings.items():
        cells = [fmt_seconds(timing.seconds.get(size)) for size in run.sizes]
        ratios = [
            f"{timing.seconds[size] / timing.seconds[base]:.2f}"
            if size in timing.seconds and timing.seconds.get(base)
            else "—"
            for size in run.sizes[1:]
        ]
        notes = "; ".join(f"{size:,}: {note}" for size, note in timing.note.items())
        rows.append([name, *cells, *ratios, notes])
    return table(
        ["", *(f"{size:,} cases" for size in run.sizes), *(f"× vs {base:,}" for _ in run.sizes[1:]), "notes"],
        rows,
        right_from=1,
    )


def _sharing(run: Run) -> str:
    """What else ran on the machine, from the sampler: it changes how far absolutes can be read."""
    others = run.sampler.others if run.sampler else []
    if any(others):
        return (
            "The machine was shared: other databases of the same PostgreSQL cluster (test suites) were "
            "busy during part of the run, on the same cores, so absolute figures are pessimistic and "
            "vary between runs; the ratios compare figures measured minutes apart in the same run."
        )
    cores = run.machine.cores if run.machine else "same"
    return (
        "No other database of the cluster was queried during the run: the load above is the run's "
        f"own (PostgreSQL, gunicorn, the client threads and pgbench share the {cores} cores, so the HTTP "
        "figures include the clients' cost). Single timings still vary by some ±30 % between runs; "
        "the ratios compare figures measured minutes apart in the same run."
    )


def document(run: Run) -> str:
    """bench/RESULTS.md for the run."""
    m = run.machine
    clients, seconds = run.clients, f"{run.seconds:g}"
    intake_raw = next((t.raw.command for t in run.throughputs if t.name == "intake"), "")
    lines = [
        "# bench results",
        "",
        f"Written by `{run.command}` on {run.started:%Y-%m-%d} (started {run.started:%H:%M %Z}, "
        f"took {fmt_duration(run.duration)}). How it measures: bench/README.md.",
        "",
        "## Machine",
        "",
        *table(
            ["", ""],
            [
                ["cores (`nproc`)", m.cores],
                ["memory", m.memory],
                ["CPU (/proc/cpuinfo)", m.cpu],
                ["PostgreSQL", f"{m.postgresql}, PostGIS {m.postgis}, on the same machine"],
                ["its settings", m.settings],
                ["system", m.system],
                [
                    "load average before the run",
                    " / ".join(f"{x:.2f}" for x in run.load_before) + " (1, 5, 15 min)",
                ],
                ["during the run", run.sampler.line() if run.sampler else "not sampled"],
            ],
            right_from=2,
        ),
        "",
        _sharing(run),
        "",
        "## Throughput through HTTP against raw PostgreSQL",
        "",
        f"Sizes: {', '.join(f'{size:,}' for size in run.sizes)} cases of history. Each figure: "
        f"{clients} concurrent clients for {seconds} s after a {run.warmup:g} s warm-up. HTTP: "
        f"gunicorn with {run.workers} sync workers (as `scripts/serve.sh`) on a loopback port, "
        "GRIDCASE_ENV=development against the bench database, no scheduler running; clients are "
        "Python threads with `http.client` (gunicorn's sync workers close the connection after "
        "each answer, so each request opens a new one). Each client signs in as its own grid "
        f"worker (the demo worker and {clients - 1} others, each in a grid of their own). "
        "Raw: pgbench with the same number of clients (`" + intake_raw.split(" -f ")[0] + "`).",
        "",
        "- **intake**: `POST /api/v1/cases`, 201 answers per second: a case at a random point of "
        "the worker's grid, 30 % disputes with two parties, a fresh Idempotency-Key each; against "
        "single-row INSERTs of the same row shape into an empty copy of `cases` with its "
        "indexes (location GiST and trigram search included), checks and foreign keys.",
        "- **locate**: `GET /api/v1/grids/locate`, 200 answers per second at random points of the "
        "city's grids (20 per grid); against the `ST_Covers` look-up of `locate_grid` at the same "
        "points.",
        "",
        *throughput_table(run),
        "",
        "## Throughput against the stack's own ceiling",
        "",
        "The same gunicorn settings and clients serving `bench/ceiling.py`, a minimal Flask app on "
        "the same stack that does one thing per request: a constant JSON answer, the `ST_Covers` "
        "look-up (locate's statement) or the single-row INSERT of intake's row (committed). No web "
        "app can beat it on this machine, so it is the honest ceiling; raw PostgreSQL is not. "
        f"Every figure was measured {run.http_repeat} times, each over a {run.seconds / run.http_repeat:g} s "
        "window, the order rotated between repetitions; a ratio is taken within a repetition and "
        "given as the median with the range.",
        "",
        *ceiling_table(run),
        "",
        "## Escalation sweep against a raw UPDATE",
        "",
        f"The sweep (`gridcase/ladder/sweep.py`) in the bench process, committed. With cases due: "
        f"the {run.due:,} most recent resolved or closed cases reopened, in progress and past due "
        f"by up to a day at their level. A sweep takes at most {SWEEP_BATCH:,} cases (the next "
        "sweep, a minute later, takes more); here the sweeps run back to back until none is due. "
        "Raw: one set-based UPDATE of the same rows' level, clock, version (the sweep's row "
        "selection included, no event, notification, alert or webhook), rolled back.",
        "",
        *sweep_table(run),
        "",
        pages_markdown(run.pages, clients=run.clients, workers=run.workers),
        "## Statistics at scale",
        "",
        f"`GET /api/v1/stats` through the app's test client (median of {run.repeat} after a "
        "warm-up), the rollup refresh and the alert scan, as before (bench/README.md).",
        "",
        *stats_table(run),
        "",
    ]
    if run.problems:
        lines += [
            "## Errors in the server's log",
            "",
            "```",
            *run.problems[:20],
            "```",
            "",
        ]
    return "\n".join(lines)
