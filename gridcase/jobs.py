"""The scheduler process (`flask --app wsgi gridcase scheduler`) and the one registry of its jobs.

| job | every | what |
|---|---|---|
| sweep | GRIDCASE_SWEEP_SECONDS (60) | overdue cases climb the ladder (gridcase.ladder.sweep) |
| case-files | GRIDCASE_SWEEP_SECONDS (60) | archive the 卷宗 of finished disputes (not in the sweep) |
| webhooks | GRIDCASE_WEBHOOK_SECONDS (5) | send the webhook outbox (gridcase.webhooks.delivery) |
| outbound | GRIDCASE_OUTBOUND_SECONDS (10) | e-mail, SMS, group robots; revisit codes by SMS |
| stats-refresh | GRIDCASE_STATS_SECONDS (60) | bring the indicator rollups up to date |
| alert-scan | GRIDCASE_STATS_SECONDS (60) | raise hotspot and repeat-party alerts |
| housekeeping | an hour | prune the audit log and finished deliveries, anonymise old parties |
| checkpoint | GRIDCASE_CHECKPOINT_MINUTES (60) | a signed checkpoint of both logs (cases.integrity) |

The scheduler is its own process, never inside web workers (DESIGN §6). Every host may run one:
each job takes its advisory lock (gridcase.locks) or rows FOR UPDATE SKIP LOCKED, so one of
them works and the others find nothing to do. Every job runs the same way (`run_job`): in an
app context, in one transaction, committed; a failure is rolled back and logged, and the job's
next interval tries again, so the process never dies of one bad run.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from gridcase import locks
from gridcase.audit.log import prune
from gridcase.cases.integrity import take_checkpoint
from gridcase.cases.revisit_codes import send_revisit_codes
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.locks import try_job_lock
from gridcase.mediation.case_file import archive_closed_files
from gridcase.notifications.outbound import send_outbound
from gridcase.people.retention import anonymise_closed_parties
from gridcase.settings import utcnow
from gridcase.stats.alerts import scan_alerts
from gridcase.stats.rollups import refresh_rollups
from gridcase.webhooks.delivery import deliver_due, prune_deliveries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A scheduler job: its work (run in one transaction, returning a report), how often it
    runs, and which lines of its report are worth the log."""

    id: str
    name: str
    work: Callable[[], Any]
    seconds: Callable[[Flask], float]
    log_lines: Callable[[Any], list[str]]


@dataclass(frozen=True)
class HousekeepingReport:
    ran: bool = True  # False: another host is at it
    audit_pruned: int = 0
    parties_anonymised: int = 0
    deliveries_pruned: int = 0

    def lines(self) -> list[str]:
        if not (self.audit_pruned or self.parties_anonymised or self.deliveries_pruned):
            return []
        return [
            f"Housekeeping: {self.audit_pruned} audit entries pruned, {self.parties_anonymised} "
            f"parties anonymised, {self.deliveries_pruned} finished webhook deliveries pruned."
        ]


def housekeeping() -> HousekeepingReport:
    """Prune the audit log and finished webhook deliveries past their retention, and anonymise
    the parties of long-closed cases; one host at a time."""
    if not try_job_lock(locks.HOUSEKEEPING):
        return HousekeepingReport(ran=False)
    return HousekeepingReport(True, prune(), anonymise_closed_parties(), prune_deliveries())


@dataclass(frozen=True)
class ArchiveReport:
    ran: bool = True  # False: another host is at it
    archived: tuple[str, ...] = ()  # the disputes whose 卷宗 was archived

    def lines(self) -> list[str]:
        return (
            [f"{len(self.archived)} case file(s) archived: {', '.join(self.archived)}."]
            if self.archived
            else []
        )


def archive_case_files(at: datetime | None = None) -> ArchiveReport:
    """Archive the case files (卷宗) of the disputes now finished, a batch at a time; one host at
    a time. A job of its own, not part of the sweep: making the PDFs takes seconds, and the
    sweep holds the due cases' rows and its leader lock while it runs (the performance review
    found an idle sweep of 24 s archiving a backlog)."""
    if not try_job_lock(locks.CASE_FILES):
        return ArchiveReport(ran=False)
    return ArchiveReport(True, tuple(case.public_number for case in archive_closed_files(at or utcnow())))


def _config_seconds(name: str) -> Callable[[Flask], float]:
    return lambda app: float(app.config[name])


SWEEP = Job(
    "sweep",
    "sweep",
    sweep,
    _config_seconds("GRIDCASE_SWEEP_SECONDS"),
    lambda report: (
        report.lines()
        if report.ran and (report.escalated or report.marked_overdue or report.assignments_late)
        else []
    ),
)
CASE_FILES = Job(
    "case-files",
    "case-file archiving",
    archive_case_files,
    _config_seconds("GRIDCASE_SWEEP_SECONDS"),
    lambda report: report.lines(),
)
WEBHOOKS = Job(
    "webhooks",
    "webhook delivery",
    deliver_due,  # each delivery commits on its own
    _config_seconds("GRIDCASE_WEBHOOK_SECONDS"),
    lambda report: report.lines() if report.attempts else [],
)


def _send_everything_outbound() -> tuple:
    """Notifications out of the app, then revisit codes by SMS: each message commits on its own."""
    return send_outbound(), send_revisit_codes()


OUTBOUND = Job(
    "outbound",
    "outbound messages",
    _send_everything_outbound,
    _config_seconds("GRIDCASE_OUTBOUND_SECONDS"),
    lambda reports: [line for report in reports for line in report.lines()],
)
STATS_REFRESH = Job(
    "stats-refresh",
    "stats refresh",
    refresh_rollups,
    _config_seconds("GRIDCASE_STATS_SECONDS"),
    lambda report: [report.line()] if report.ran and (report.full or report.pairs) else [],
)
ALERT_SCAN = Job(
    "alert-scan",
    "alert scan",
    scan_alerts,
    _config_seconds("GRIDCASE_STATS_SECONDS"),
    lambda report: [report.line()] if report.ran and (any(report.raised.values()) or report.linked) else [],
)
HOUSEKEEPING = Job("housekeeping", "housekeeping", housekeeping, lambda app: 3600.0, HousekeepingReport.lines)
CHECKPOINT = Job(
    "checkpoint",
    "checkpoint",
    take_checkpoint,  # a refusal (the newest checkpoint does not verify) is logged as a failure
    lambda app: 60.0 * float(app.config["GRIDCASE_CHECKPOINT_MINUTES"]),
    lambda report: [report.line()] if report.ran else [],
)

JOBS = (SWEEP, CASE_FILES, WEBHOOKS, OUTBOUND, STATS_REFRESH, ALERT_SCAN, HOUSEKEEPING, CHECKPOINT)


def run_job(app: Flask, job: Job):
    """One run of `job`, committed; its report, or None when it failed (logged)."""
    with app.app_context():
        try:
            report = job.work()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("The %s failed; it will run again at the next interval.", job.name)
            return None
        finally:
            db.session.remove()
    for line in job.log_lines(report):
        log.info(line)
    return report


def build_scheduler(app: Flask, sweep_seconds: float | None = None) -> BlockingScheduler:
    """Every job of JOBS on its interval (the sweep's may be given, as `scheduler --interval`)."""
    scheduler = BlockingScheduler(timezone=app.config["GRIDCASE_TIMEZONE"])
    for job in JOBS:
        seconds = sweep_seconds if job is SWEEP and sweep_seconds else job.seconds(app)
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=seconds),
            args=[app, job],
            id=job.id,
            max_instances=1,  # a slow run is never overlapped by the next one in this process
            coalesce=True,  # after a pause, run once, not once per missed interval
            misfire_grace_time=max(int(seconds) * 5, 5),
        )
    return scheduler


def run_scheduler(app: Flask, sweep_seconds: float | None = None) -> None:
    """Sweep once now, then run every job on its interval, until SIGTERM or Ctrl-C."""
    scheduler = build_scheduler(app, sweep_seconds)

    def stop(signum, frame):
        log.info("Scheduler stopping (signal %s).", signum)
        if scheduler.running:
            scheduler.shutdown(wait=False)
        else:
            # Still in the start-up sweep: leave now (SystemExit is not caught by the job).
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    log.info("Scheduler started: sweep every %s s.", sweep_seconds or SWEEP.seconds(app))
    run_job(app, SWEEP)  # catch up at once after downtime
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
