"""The scheduler process (`flask --app wsgi gridcase scheduler`): runs the sweep every minute and
sends the webhook outbox every few seconds (gridcase.webhooks.delivery).

It is its own process, never inside web workers (DESIGN §6). Every host may run one: the sweep's
advisory lock lets one of them work per minute and the others find nothing to do.
"""

from __future__ import annotations

import contextlib
import logging
import signal

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from gridcase.extensions import db
from gridcase.jobs import run_job

log = logging.getLogger(__name__)


def run_sweep_job(app: Flask) -> None:
    """One sweep in its own transaction; a failure is logged and the next minute tries again."""
    from gridcase.ladder.sweep import sweep

    report = run_job(app, "sweep", sweep)
    if report is not None and report.ran and (report.escalated or report.marked_overdue):
        for line in report.lines():
            log.info(line)


def build_scheduler(app: Flask, interval_seconds: float) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=app.config["GRIDCASE_TIMEZONE"])
    scheduler.add_job(
        run_sweep_job,
        IntervalTrigger(seconds=interval_seconds),
        args=[app],
        id="sweep",
        max_instances=1,  # a slow sweep is never overlapped by the next one in this process
        coalesce=True,  # after a pause, run once, not once per missed minute
        misfire_grace_time=max(int(interval_seconds) * 5, 5),
    )
    from gridcase.webhooks.delivery import run_webhook_job

    webhook_seconds = float(app.config["GRIDCASE_WEBHOOK_SECONDS"])
    scheduler.add_job(
        run_webhook_job,  # the webhook outbox: SKIP LOCKED lets every host's scheduler share it
        IntervalTrigger(seconds=webhook_seconds),
        args=[app],
        id="webhooks",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(int(webhook_seconds) * 5, 5),
    )
    from gridcase.stats.jobs import run_alert_scan_job, run_refresh_job

    stats_seconds = float(app.config["GRIDCASE_STATS_SECONDS"])
    for job, job_id in ((run_refresh_job, "stats-refresh"), (run_alert_scan_job, "alert-scan")):
        scheduler.add_job(
            job,  # the command centre's rollups and scan alerts; each holds an advisory lock
            IntervalTrigger(seconds=stats_seconds),
            args=[app],
            id=job_id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(int(stats_seconds) * 5, 5),
        )
    scheduler.add_job(
        run_housekeeping_job,  # audit log and webhook pruning, party anonymisation, once an hour
        IntervalTrigger(hours=1),
        args=[app],
        id="housekeeping",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    return scheduler


# pg_advisory_xact_lock key of housekeeping ("gchouse1"): one host at a time.
HOUSEKEEPING_LOCK_KEY = int.from_bytes(b"gchouse1", "big") & 0x7FFFFFFFFFFFFFFF


def run_housekeeping_job(app: Flask) -> None:
    """Prune the audit log and finished webhook deliveries past their retention, and anonymise
    parties of long-closed cases."""
    import sqlalchemy as sa

    from gridcase.audit.log import prune
    from gridcase.people.protection import anonymise_closed_parties
    from gridcase.webhooks.delivery import prune_deliveries

    def work() -> tuple[int, int, int] | None:
        if not db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(HOUSEKEEPING_LOCK_KEY))):
            return None  # another host is at it
        return prune(), anonymise_closed_parties(), prune_deliveries()

    done = run_job(app, "housekeeping", work)
    if done and any(done):
        log.info(
            "Housekeeping: %s audit entries pruned, %s parties anonymised, "
            "%s finished webhook deliveries pruned.",
            *done,
        )


def run_scheduler(app: Flask, interval_seconds: float) -> None:
    """Sweep once now, then every `interval_seconds`, until SIGTERM or Ctrl-C."""
    scheduler = build_scheduler(app, interval_seconds)

    def stop(signum, frame):
        log.info("Scheduler stopping (signal %s).", signum)
        if scheduler.running:
            scheduler.shutdown(wait=False)
        else:
            # Still in the start-up sweep: leave now (SystemExit is not caught by the job).
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    log.info("Scheduler started: sweep every %s s.", interval_seconds)
    run_sweep_job(app)  # catch up at once after downtime
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
