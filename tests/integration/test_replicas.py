"""Read replicas against a real primary and a real hot standby (gridcase/replica.py).

The module starts its own pair of PostgreSQL clusters on free loopback ports: a primary
(wal_level=replica, pg_stat_statements, PostGIS), migrated and loaded with the demo city, and a
standby made from it by `pg_basebackup -R`, streaming. Which server ran a query is read from
each server's own pg_stat_statements: a statement counts there only where it was executed.
Both clusters are stopped and deleted at the end, whatever happened.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask import session

from config import TestingConfig
from gridcase import create_app
from gridcase.extensions import db
from gridcase.jobs import STATS_REFRESH, run_job
from gridcase.people.auth import issue_token
from gridcase.people.models import User
from gridcase.people.sessions import login_user
from gridcase.replica import current_replica, reads_from_replica
from gridcase.stats.models import Alert
from tests.helpers import FENGQIAO, JIYANG, case_payload, grid_in

pytestmark = [pytest.mark.committing, pytest.mark.slow]

MAX_LAG_SECONDS = 2.0
CHECK_SECONDS = 1.0

# What each routed endpoint runs, as pg_stat_statements records it.
STATS_SQL = "%GROUP BY g, child, week%"
ALERT_LIST_SQL = "%FROM alerts LEFT OUTER JOIN regions%"
CASE_EXPORT_SQL = "%CURSOR FOR SELECT cases.id, cases.public_number%"  # the export reads through a cursor
POINTS_SQL = "%ST_AsGeoJSON(cases.location%"
REGION_SQL = "%FROM regions%WHERE regions.code%"


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    assert versions, "PostgreSQL server binaries are missing (scripts/system-deps.sh installs them)"
    return versions[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout:g} s waiting until {what}")


@dataclass
class Cluster:
    """One throwaway PostgreSQL server, run by the `postgres` OS user when the tests run as root
    (PostgreSQL refuses root), as scripts/localdb.sh does."""

    data: Path
    port: int
    superuser_password: str

    def run(self, *command: str, env: dict | None = None) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        settings = [f"{name}={value}" for name, value in (env or {}).items()]
        done = subprocess.run(
            [*prefix, "env", *settings, *command], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"

    def start(self) -> None:
        self.run(
            str(_pg_bin() / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            f"{self.data}.log",
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run(str(_pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def sql(self, statement: str, params=None, database: str = "gridcase"):
        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.superuser_password,
            dbname=database,
            autocommit=True,
            connect_timeout=5,
        ) as connection:
            cursor = connection.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    def calls(self, pattern: str) -> int:
        """How many times statements like `pattern` ran on this server."""
        return self.sql(
            "SELECT coalesce(sum(calls), 0)::int FROM pg_stat_statements WHERE query LIKE %s", (pattern,)
        )[0][0]


@dataclass
class Pair:
    primary: Cluster
    standby: Cluster
    app_url: dict  # server name → SQLAlchemy URL of the app role

    def streaming(self) -> bool:
        return self.standby.sql("SELECT count(*) = 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'")[
            0
        ][0]

    def wait_for_replay(self) -> None:
        """Until the standby has replayed everything the primary wrote so far."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()::text")[0][0]
        _wait_until(
            lambda: self.standby.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))[0][0],
            "the standby replays the primary's WAL",
        )


def _make_pair(base: Path) -> Pair:
    secret = secrets.token_urlsafe(16)
    (base / "superuser-password").write_text(secret)
    primary = Cluster(base / "primary", _free_port(), secret)
    standby = Cluster(base / "standby", _free_port(), secret)
    app_password, replication_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    primary.run(
        str(_pg_bin() / "initdb"),
        "-D",
        str(primary.data),
        "-U",
        "postgres",
        f"--pwfile={base / 'superuser-password'}",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    )
    with open(primary.data / "postgresql.conf", "a") as conf:
        conf.write(
            f"""
listen_addresses = '127.0.0.1'
port = {primary.port}
unix_socket_directories = '{base}'
wal_level = replica
max_wal_senders = 4
hot_standby = on
shared_preload_libraries = 'pg_stat_statements'
timezone = 'UTC'
# A throwaway test cluster: durability is not wanted, speed is.
fsync = off
synchronous_commit = off
"""
        )
    with open(primary.data / "pg_hba.conf", "w") as hba:
        hba.write(
            "local all postgres trust\n"
            "host replication replicator 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
    primary.start()
    primary.sql(f"CREATE ROLE gridcase LOGIN PASSWORD '{app_password}'", database="postgres")
    primary.sql(
        f"CREATE ROLE replicator LOGIN REPLICATION PASSWORD '{replication_password}'", database="postgres"
    )
    primary.sql("CREATE DATABASE gridcase OWNER gridcase", database="postgres")
    primary.sql("CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm; CREATE EXTENSION pg_stat_statements")

    url = "postgresql+psycopg://gridcase:{password}@127.0.0.1:{port}/gridcase"
    app_url = {
        "primary": url.format(password=app_password, port=primary.port),
        "standby": url.format(password=app_password, port=standby.port),
    }
    setup = create_app(
        type(
            "SetupConfig",
            (TestingConfig,),
            {"SQLALCHEMY_DATABASE_URI": app_url["primary"], "MIGRATION_DATABASE_URL": None},
        )
    )
    with setup.app_context():
        from flask_migrate import upgrade

        from gridcase.demo import load_demo

        upgrade()
        load_demo()
        db.session.commit()
        db.engine.dispose()

    primary.run(
        str(_pg_bin() / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "replicator",
        "-D",
        str(standby.data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "--no-sync",
        env={"PGPASSWORD": replication_password},
    )
    with open(standby.data / "postgresql.auto.conf", "a") as conf:
        conf.write(f"port = {standby.port}\n")
    standby.start()
    pair = Pair(primary, standby, app_url)
    _wait_until(lambda: pair.streaming(), "the standby streams from the primary")
    return pair


@pytest.fixture(scope="module")
def pair():
    base = Path(tempfile.mkdtemp(prefix="gridcase-replica-"))
    if os.geteuid() == 0:
        os.chown(base, pwd.getpwnam("postgres").pw_uid, -1)
    try:
        yield _make_pair(base)
    finally:
        for name in ("standby", "primary"):
            with contextlib.suppress(AssertionError):  # already stopped, or never started
                Cluster(base / name, 0, "").stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def app_with_replica(pair):
    config = type(
        "ReplicaConfig",
        (TestingConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": pair.app_url["primary"],
            "REPLICA_DATABASE_URL": pair.app_url["standby"],
            "GRIDCASE_REPLICA_MAX_LAG_SECONDS": MAX_LAG_SECONDS,
            "GRIDCASE_REPLICA_CHECK_SECONDS": CHECK_SECONDS,
        },
    )
    app = create_app(config)
    yield app
    with app.app_context():
        db.engine.dispose()
        current_replica().engine.dispose()


def _token(app, username: str) -> dict:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        token, _ = issue_token(user)
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _signed_in_page_client(app, username: str):
    """A test client whose session cookie the app's own login_user made (the pages' sign-in)."""
    client = app.test_client()
    with app.test_request_context():
        login_user(db.session.scalar(sa.select(User).where(User.username == username)))
        db.session.commit()  # the session lives on the server
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return client


def _new_case(app, headers: dict, **overrides) -> dict:
    with app.app_context():
        body = case_payload(grid_in(FENGQIAO).code, title="副本测试 " + secrets.token_hex(3), **overrides)
    response = app.test_client().post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _replica_usable(app) -> bool:
    with app.app_context():
        return current_replica().health().usable


def _delta(pair: Pair, pattern: str, request):
    """Run `request`; return its response and how often statements like `pattern` ran on the
    primary and on the standby meanwhile."""
    before = pair.primary.calls(pattern), pair.standby.calls(pattern)
    response = request()
    response.get_data()  # a streamed body is read from the database while it is sent
    after = pair.primary.calls(pattern), pair.standby.calls(pattern)
    return response, after[0] - before[0], after[1] - before[1]


def test_dashboard_stats_alerts_and_exports_read_the_replica_and_writes_go_to_the_primary(
    pair, app_with_replica
):
    app = app_with_replica
    client = app.test_client()
    worker, township = _token(app, "demo-worker"), _token(app, "demo-township")
    _wait_until(lambda: _replica_usable(app), "the replica is usable")

    # A write while the replica serves reads: it lands on the primary (a mass incident raises an alert).
    case = _new_case(app, worker, people_involved=8)
    assert pair.primary.sql(
        "SELECT count(*) FROM cases WHERE public_number = %s", (case["public_number"],)
    ) == [(1,)]
    run_job(app, STATS_REFRESH)
    pair.wait_for_replay()

    response, on_primary, on_standby = _delta(
        pair, STATS_SQL, lambda: client.get(f"/api/v1/stats?region={FENGQIAO}", headers=township)
    )
    assert response.status_code == 200
    assert response.get_json()["indicators"]["accepted"] >= 1
    assert on_standby >= 1 and on_primary == 0

    response, on_primary, on_standby = _delta(
        pair, STATS_SQL, lambda: client.get(f"/api/v1/stats/export?region={FENGQIAO}", headers=township)
    )
    assert response.status_code == 200 and "枫桥镇" in response.get_data(as_text=True)
    assert on_standby >= 1 and on_primary == 0

    response, on_primary, on_standby = _delta(
        pair, ALERT_LIST_SQL, lambda: client.get("/api/v1/alerts", headers=township)
    )
    assert response.status_code == 200
    assert "mass_incident" in [alert["kind"] for alert in response.get_json()["items"]]
    assert on_standby == 1 and on_primary == 0

    response, on_primary, on_standby = _delta(
        pair, CASE_EXPORT_SQL, lambda: client.get("/api/v1/cases/export?format=csv", headers=township)
    )
    assert response.status_code == 200 and case["public_number"] in response.get_data(as_text=True)
    assert on_standby == 1 and on_primary == 0

    response, on_primary, on_standby = _delta(
        pair, POINTS_SQL, lambda: client.get(f"/api/v1/cases/points?region={FENGQIAO}", headers=township)
    )
    assert response.status_code == 200 and response.get_json()["features"]
    assert on_standby == 1 and on_primary == 0

    page = _signed_in_page_client(app, "demo-township")
    response, on_primary, on_standby = _delta(
        pair, REGION_SQL, lambda: page.get(f"/dashboard/?region={FENGQIAO}")
    )
    assert response.status_code == 200 and "枫桥镇" in response.get_data(as_text=True)
    assert on_standby >= 1 and on_primary == 0

    # Scope checks read the replica and answer as they do on the primary: no leak of other townships.
    response = client.get(f"/api/v1/stats?region={JIYANG}", headers=township)
    assert response.status_code == 404


def test_a_routed_request_never_writes_on_the_replica(pair, app_with_replica):
    app = app_with_replica
    _wait_until(lambda: _replica_usable(app), "the replica is usable")
    with app.test_request_context():
        alert_id = db.session.scalar(sa.select(Alert.id).order_by(Alert.id).limit(1))

        @reads_from_replica
        def note_on_alert():
            # ORM writes are flushed to the primary even inside a routed view …
            alert = db.session.get(Alert, alert_id)
            alert.acknowledge_note = "written from a routed request"
            db.session.commit()
            # … and a raw write that would reach the replica is refused there, never lost.
            with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
                db.session.execute(
                    sa.text("UPDATE alerts SET acknowledge_note = 'lost' WHERE id = :id"), {"id": alert_id}
                )
            db.session.rollback()

        note_on_alert()
    assert pair.primary.sql("SELECT acknowledge_note FROM alerts WHERE id = %s", (alert_id,)) == [
        ("written from a routed request",)
    ]


def test_a_stopped_replica_leaves_the_dashboard_and_stats_on_the_primary(pair, app_with_replica):
    app = app_with_replica
    client = app.test_client()
    township = _token(app, "demo-township")
    _wait_until(lambda: _replica_usable(app), "the replica is usable")
    assert client.get(f"/api/v1/stats?region={FENGQIAO}", headers=township).status_code == 200
    try:
        pair.standby.stop()
        # The replica was healthy a moment ago: this request finds it gone and answers from the primary.
        before = pair.primary.calls(STATS_SQL)
        response = client.get(f"/api/v1/stats?region={FENGQIAO}", headers=township)
        assert response.status_code == 200 and response.get_json()["indicators"]["accepted"] >= 1
        assert pair.primary.calls(STATS_SQL) > before
        # The replica now counts as down: the next requests go straight to the primary.
        with app.app_context():
            assert not current_replica().health().usable
        for path in (f"/api/v1/stats?region={FENGQIAO}", "/api/v1/alerts", "/api/v1/cases/export"):
            assert client.get(path, headers=township).status_code == 200
        page = _signed_in_page_client(app, "demo-township")
        assert page.get("/dashboard/").status_code == 200
    finally:
        pair.standby.start()
    _wait_until(lambda: _replica_usable(app), "the restarted replica is usable again")


def test_a_lagging_replica_leaves_reads_on_the_primary(pair, app_with_replica):
    app = app_with_replica
    client = app.test_client()
    worker, township = _token(app, "demo-worker"), _token(app, "demo-township")
    _wait_until(lambda: _replica_usable(app), "the replica is usable")
    pair.standby.sql("SELECT pg_wal_replay_pause()")
    try:
        _wait_until(
            lambda: pair.standby.sql("SELECT pg_get_wal_replay_pause_state() = 'paused'")[0][0],
            "replay is paused",
        )
        case = _new_case(app, worker)
        _wait_until(
            lambda: pair.standby.sql(
                "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn() "
                "AND now() - pg_last_xact_replay_timestamp() > make_interval(secs => %s)",
                (MAX_LAG_SECONDS,),
            )[0][0],
            "the standby lags beyond the bound",
        )
        _wait_until(lambda: not _replica_usable(app), "the app sees the lag")
        # The standby has not replayed the new case, yet the export lists it: read from the primary.
        assert pair.standby.sql(
            "SELECT count(*) FROM cases WHERE public_number = %s", (case["public_number"],)
        ) == [(0,)]
        response, on_primary, on_standby = _delta(
            pair, CASE_EXPORT_SQL, lambda: client.get("/api/v1/cases/export?format=csv", headers=township)
        )
        assert response.status_code == 200
        numbers = [
            row[0] for row in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
        ]
        assert case["public_number"] in numbers
        assert on_primary == 1 and on_standby == 0
    finally:
        pair.standby.sql("SELECT pg_wal_replay_resume()")
    _wait_until(lambda: _replica_usable(app), "the replica has caught up and is used again")
