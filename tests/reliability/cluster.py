"""A throwaway PostgreSQL + PostGIS cluster for fault tests: its own data folder and port, so
that stopping it hard harms nobody (never the project's cluster on 54329, which others use).

As scripts/localdb.sh does, a cluster run by root belongs to the `postgres` system user and
every server command goes through runuser. Its settings are production's where they matter:
synchronous commits, so an acknowledged commit survives a crash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tests.reliability.live import free_port

APP_ROLE = "gridcase"
APP_PASSWORD = "gridcase"


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise AssertionError("PostgreSQL is not installed; run scripts/system-deps.sh server (make does it).")
    return versions[-1]


class ThrowawayCluster:
    """initdb in a new temporary folder, one database with PostGIS, removed by `destroy()`."""

    def __init__(self, database: str = "gridcase_fault"):
        self.bin = _pg_bin()
        self.port = free_port()
        self.database = database
        self.as_root = os.geteuid() == 0
        # Not under pytest's tmp_path: the `postgres` user must be able to enter the folder.
        self.folder = Path(tempfile.mkdtemp(prefix="gridcase-fault-", dir="/tmp"))
        self.data = self.folder / "data"
        self.url = f"postgresql+psycopg://{APP_ROLE}:{APP_PASSWORD}@127.0.0.1:{self.port}/{database}"
        if self.as_root:
            shutil.chown(self.folder, "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{self.server_log()}"
            )
        return done

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        assert self.data.is_relative_to(self.folder)  # only ever our own cluster
        return self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), *args, check=check)

    def server_log(self) -> str:
        log = self.folder / "server.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def create(self) -> None:
        """initdb, start, and a database owned by the app's role with the extensions it needs."""
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\nmax_connections = 100\ntimezone = 'UTC'\n"
            )
        self.start()
        self.psql("postgres", f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}'")
        self.psql("postgres", f"CREATE DATABASE {self.database} OWNER {APP_ROLE}")
        self.psql(self.database, "CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm;")

    def psql(self, database: str, sql: str) -> str:
        return self._run(
            str(self.bin / "psql"),
            "-h",
            str(self.folder),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAt",
            "-c",
            sql,
        ).stdout

    def start(self) -> None:
        self._ctl("-l", str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def stop_hard(self) -> None:
        """Stop at once, as a crash or a pulled plug would: no checkpoint, connections cut."""
        self._ctl("-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url, pool_pre_ping=True)
