"""What the database alone does, as the baseline of the HTTP figures: pgbench with custom scripts,
as many clients as the HTTP run, for as long.

- intake: one INSERT per transaction of the row intake writes (every column it fills, the same
  kind of values) into bench_raw_cases, a scratch copy of `cases` with its indexes, checks and
  foreign keys, at a random point of the intake grids;
- locate: one ST_Covers look-up of the grid holding a random point of the city (the query of
  `gridcase.territory.queries.locate_grid`).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from gridcase.extensions import db


@dataclass
class PgbenchResult:
    tps: float
    transactions: int
    failed: int
    latency_ms: float | None
    command: str


def pgbench_path() -> str:
    """The newest installed PostgreSQL's pgbench (as scripts/localdb.sh picks its binaries)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("pgbench not found under /usr/lib/postgresql/*/bin")
    return str(found[-1])


INTAKE_SCRIPT = """\\set i random(1, :points)
WITH number AS (SELECT nextval('bench_raw_numbers') AS v)
INSERT INTO bench_raw_cases (
    public_number, kind, category_code, title, description, severity, people_involved,
    may_intensify, source, location, location_accuracy_m, location_crs, address, city_code,
    district_code, township_code, community_code, grid_code, status, level, initial_level,
    highest_level, level_started_at, warn_at, due_at, extension_days, escalation_count,
    reopen_count, reporter_id, created_at, updated_at, version, idempotency_key, request_fingerprint
)
SELECT '330681-' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-R' || number.v,
       'incident', 'E0101', '压测事件 raw-' || number.v,
       '网格员巡查发现，现场已拍照取证，需要相关部门尽快到场处理。', 'general', 1, false, 'grid_worker',
       p.geom, 8, 'wgs84', '枫桥镇压测路' || :i || '号', p.city_code, p.district_code, p.township_code,
       p.community_code, p.grid_code, 'pending', 'community', 'community', 'community', now(),
       now() + interval '2.4 days', now() + interval '3 days', 0, 0, 0, :reporter, now(), now(), 1,
       'raw-' || number.v, encode(sha256(convert_to('raw-' || number.v, 'UTF8')), 'hex')
FROM bench_intake_points p, number
WHERE p.n = :i;
"""

LOCATE_SCRIPT = """\\set i random(1, :points)
SELECT code, name, level, parent_code, city_code, district_code, township_code, community_code
FROM regions
WHERE level = 'grid' AND ST_Covers(boundary, (SELECT geom FROM bench_points WHERE n = :i))
ORDER BY code LIMIT 1;
"""


def prepare_raw_cases() -> None:
    """bench_raw_cases: an empty copy of `cases` with its defaults, checks, indexes (as they are
    now) and foreign keys; and the sequence numbering its rows. The caller commits."""
    db.session.execute(sa.text("DROP TABLE IF EXISTS bench_raw_cases"))
    db.session.execute(sa.text("DROP SEQUENCE IF EXISTS bench_raw_numbers"))
    db.session.execute(sa.text("CREATE TABLE bench_raw_cases (LIKE cases INCLUDING ALL)"))
    db.session.execute(sa.text("CREATE SEQUENCE bench_raw_numbers"))
    foreign_keys = db.session.execute(
        sa.text(
            "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
            "WHERE conrelid = 'cases'::regclass AND contype = 'f'"
        )
    ).all()
    for name, definition in foreign_keys:
        db.session.execute(sa.text(f'ALTER TABLE bench_raw_cases ADD CONSTRAINT "raw_{name}" {definition}'))


def drop_raw_cases() -> None:
    db.session.execute(sa.text("DROP TABLE IF EXISTS bench_raw_cases"))
    db.session.execute(sa.text("DROP SEQUENCE IF EXISTS bench_raw_numbers"))


def run_pgbench(
    database_url: str, script: str, clients: int, seconds: float, variables: dict[str, object]
) -> PgbenchResult:
    """pgbench -n -M prepared with `clients` clients for `seconds` seconds on `script`.

    Raises:
        RuntimeError: pgbench failed (its output is in the message).
    """
    url = sa.engine.make_url(database_url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="gridcase-bench-", delete=False) as file:
        file.write(script)
    command = [
        pgbench_path(),
        "-n",
        "-M",
        "prepared",
        "-c",
        str(clients),
        "-j",
        str(min(clients, os.cpu_count() or 1)),
        "-T",
        str(round(seconds)),
        "-f",
        file.name,
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "gridcase",
    ]
    for name, value in variables.items():
        command += ["-D", f"{name}={value}"]
    command.append(url.database)
    try:
        done = subprocess.run(
            command,
            env={**os.environ, "PGPASSWORD": url.password or ""},
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    finally:
        os.unlink(file.name)
    output = done.stdout + done.stderr
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if done.returncode != 0 or tps is None:
        raise RuntimeError(f"pgbench failed ({done.returncode}):\n{output}")
    transactions = re.search(r"number of transactions actually processed: (\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    shown = " ".join(part for part in command if not part.startswith("/tmp/"))
    return PgbenchResult(
        tps=float(tps.group(1)),
        transactions=int(transactions.group(1)) if transactions else 0,
        failed=int(failed.group(1)) if failed else 0,
        latency_ms=float(latency.group(1)) if latency else None,
        command=shown.replace(pgbench_path(), "pgbench"),
    )
