"""Scheduler jobs of the command centre: keep the indicator rollups current and scan for the
risk alerts that look across many cases. Each runs in its own transaction; a failure is logged
and the next interval tries again. Both take a PostgreSQL advisory lock, so with a scheduler on
every host one of them works at a time and the others return at once."""

from __future__ import annotations

import logging

from flask import Flask

from gridcase.jobs import run_job

log = logging.getLogger(__name__)


def run_refresh_job(app: Flask) -> None:
    """Recount the rollup rows of cases changed since the last run (DESIGN §5 indicators)."""
    from gridcase.stats.rollups import refresh_rollups

    report = run_job(app, "stats refresh", refresh_rollups)
    if report is not None and report.ran and (report.full or report.pairs):
        log.info(report.line())


def run_alert_scan_job(app: Flask) -> None:
    """Raise and extend hotspot and repeat-party alerts (DESIGN §5 risk alerts)."""
    from gridcase.stats.alerts import scan_alerts

    report = run_job(app, "alert scan", scan_alerts)
    if report is not None and report.ran and (any(report.raised.values()) or report.linked):
        log.info(report.line())
