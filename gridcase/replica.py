"""Read replicas (只读副本): the command centre's heavy reads from a PostgreSQL streaming standby.

With REPLICA_DATABASE_URL set, the views marked `@reads_from_replica` (the dashboard page and
its map layers and case points, the statistics and their export, the alert list, the case
export) read from the standby for the rest of their request, a streamed body included, while
it answers and lags at most GRIDCASE_REPLICA_MAX_LAG_SECONDS; otherwise they read from the
primary as every other view does. Writes always go to the primary: `db.session` sends the
flush, INSERT/UPDATE/DELETE and SELECT … FOR UPDATE there even inside a routed request, and the
standby's connections run read-only transactions, so a stray write fails loudly instead of
being lost.

The standby's health is checked at most every GRIDCASE_REPLICA_CHECK_SECONDS per process (a
dead standby costs one connect timeout per interval, not one per request); a standby that fails
in the middle of a request is marked down and the view answers again from the primary.

Without REPLICA_DATABASE_URL nothing here runs: `@reads_from_replica` calls the view as is.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from flask_sqlalchemy.session import Session

from gridcase.connections import configure_engine

log = logging.getLogger(__name__)

EXTENSION_KEY = "gridcase.replica"
# In the WSGI environ of a request that reads from the replica: the replica's engine. It belongs
# to the request, not to the session: Flask ends the session before a streamed body is sent and
# opens another one for it, and a test may keep one session across several requests.
ROUTE_KEY = "gridcase.replica_engine"

# One round trip tells whether the server is a standby, whether it has replayed all the WAL it
# received from a live WAL receiver, and how old its last replayed commit is. On an idle primary
# the replay timestamp stops advancing, so a caught-up standby counts as fresh whatever its age.
# pg_stat_wal_receiver shows a row (its pid at least) to every role while a receiver runs.
HEALTH_SQL = sa.text(
    """
    SELECT pg_is_in_recovery() AS standby,
           coalesce(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                    AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver), false) AS caught_up,
           extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float AS replay_age
    """
)


@dataclass(frozen=True)
class ReplicaHealth:
    """A verdict on the standby: may reads go there, and why (or why not)."""

    usable: bool
    reason: str
    lag_seconds: float | None = None
    checked_at: float = 0.0  # time.monotonic() of the check


def judge_replica(standby: bool, caught_up: bool, replay_age: float | None, max_lag: float) -> ReplicaHealth:
    """Whether reads may go to a server with these replication figures (pure)."""
    if not standby:
        # A promoted standby or a primary given by mistake: its data would drift from the
        # primary's that every write goes to.
        return ReplicaHealth(False, "it is not a standby (not in recovery)")
    if caught_up:
        return ReplicaHealth(True, "caught up with the primary", 0.0)
    if replay_age is None:
        return ReplicaHealth(False, "it has replayed nothing yet and is not streaming")
    if replay_age > max_lag:
        return ReplicaHealth(False, f"it lags {replay_age:.1f} s, more than {max_lag:g} s", replay_age)
    return ReplicaHealth(True, f"it lags {replay_age:.1f} s", replay_age)


class Replica:
    """The standby of one app: its engine (read-only transactions, short connect timeout) and
    the cached verdict on its health."""

    def __init__(self, url: str, engine_options: dict, max_lag: float, check_seconds: float, timeout: int):
        connect_args = {**engine_options.get("connect_args", {}), "connect_timeout": timeout}
        self.engine = sa.create_engine(
            url,
            **{**engine_options, "connect_args": connect_args},
            execution_options={"postgresql_readonly": True},
        )
        configure_engine(self.engine)
        self.max_lag = max_lag
        self.check_seconds = check_seconds
        self._health: ReplicaHealth | None = None
        self._probing = threading.Lock()
        sa.event.listen(self.engine, "handle_error", self._on_error)

    def health(self) -> ReplicaHealth:
        """The cached verdict, checked again once it is older than check_seconds."""
        known = self._health
        if known is not None and time.monotonic() - known.checked_at < self.check_seconds:
            return known
        # One request per process probes; the others go on with the last verdict rather than
        # queue behind a connect timeout.
        if not self._probing.acquire(blocking=False):
            return known or ReplicaHealth(False, "its first health check is under way")
        try:
            self._remember(self._probe())
        finally:
            self._probing.release()
        return self._health

    def mark_down(self, reason: str) -> None:
        self._remember(ReplicaHealth(False, reason, checked_at=time.monotonic()))

    def _probe(self) -> ReplicaHealth:
        try:
            with self.engine.connect() as connection:
                row = connection.execute(HEALTH_SQL).one()
        except sa.exc.SQLAlchemyError as exc:
            return ReplicaHealth(
                False, f"it does not answer: {_first_line(exc)}", checked_at=time.monotonic()
            )
        verdict = judge_replica(row.standby, row.caught_up, row.replay_age, self.max_lag)
        return replace(verdict, checked_at=time.monotonic())

    def _remember(self, health: ReplicaHealth) -> None:
        before, self._health = self._health, health
        if before is None or before.usable != health.usable:
            if health.usable:
                log.info("Reading from the replica: %s.", health.reason)
            else:
                log.warning("Reading from the primary, not the replica: %s.", health.reason)

    def _on_error(self, context) -> None:
        """Tag the errors of the standby's connection (the request answers again from the
        primary) and mark it down when it is unreachable or went away."""
        error = context.sqlalchemy_exception
        if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError):
            error.from_replica = True
            if context.connection is None or context.is_disconnect:
                self.mark_down(f"it went away: {_first_line(error)}")


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class ReadReplica:
    """The Flask extension: `init_app` builds the app's Replica when REPLICA_DATABASE_URL is set."""

    def init_app(self, app: Flask) -> None:
        url = app.config.get("REPLICA_DATABASE_URL")
        if not url:
            return
        app.extensions[EXTENSION_KEY] = Replica(
            url,
            dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}),
            max_lag=float(app.config["GRIDCASE_REPLICA_MAX_LAG_SECONDS"]),
            check_seconds=float(app.config["GRIDCASE_REPLICA_CHECK_SECONDS"]),
            timeout=int(app.config["GRIDCASE_REPLICA_CONNECT_TIMEOUT"]),
        )


def current_replica() -> Replica | None:
    """The running app's replica, or None when none is configured."""
    return current_app.extensions.get(EXTENSION_KEY)


class RoutingSession(Session):
    """`db.session`: Flask-SQLAlchemy's session, whose reads go to the replica while the
    request is marked by `@reads_from_replica`; writes and row locks always go to the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        replica = request.environ.get(ROUTE_KEY) if has_request_context() else None
        if replica is not None and bind is None and not self._flushing and not _writes(clause):
            return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def reading_from_replica() -> bool:
    """This request's reads go to the replica (see `reads_from_replica`)."""
    return has_request_context() and request.environ.get(ROUTE_KEY) is not None


def _writes(clause) -> bool:
    return isinstance(clause, sa.sql.dml.UpdateBase) or getattr(clause, "_for_update_arg", None) is not None


def reads_from_replica(view):
    """Let a read-only view read from the replica for the rest of its request, when one is
    configured and healthy. Put it under `auth_required` / `page_login_required`, so that
    signing in reads the primary. If the replica fails during the view, the view runs again on
    the primary."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        replica = current_replica()
        if replica is None or not replica.health().usable:
            return view(*args, **kwargs)
        request.environ[ROUTE_KEY] = replica.engine
        try:
            return view(*args, **kwargs)
        except sa.exc.DBAPIError as exc:
            if not getattr(exc, "from_replica", False):
                raise
            log.warning(
                "The replica failed under a request; answering from the primary: %s", _first_line(exc)
            )
            from gridcase.extensions import db  # here: gridcase.extensions imports this module

            request.environ.pop(ROUTE_KEY, None)
            db.session.rollback()
            return view(*args, **kwargs)

    return wrapper
