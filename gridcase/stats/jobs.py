"""Scheduler jobs of the command centre: keep the indicator rollups current and scan for the
risk alerts that look across many cases. Each runs in its own transaction; a failure is logged
and the next interval tries again. Both take a PostgreSQL advisory lock, so with a scheduler on
every host one of them works at a time and the others return at once."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

from gridcase.extensions import db

log = logging.getLogger(__name__)


def _run(app: Flask, name: str, work: Callable[[], object]) -> object | None:
    with app.app_context():
        try:
            report = work()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("The %s job failed; it will run again at the next interval.", name)
            return None
        finally:
            db.session.remove()
    return report


def run_refresh_job(app: Flask) -> None:
    """Recount the rollup rows of cases changed since the last run (DESIGN §5 indicators)."""
    from gridcase.stats.rollups import refresh_rollups

    report = _run(app, "stats refresh", refresh_rollups)
    if report is not None and report.ran and (report.full or report.pairs):
        log.info(report.line())


def run_alert_scan_job(app: Flask) -> None:
    """Raise and extend hotspot and repeat-party alerts (DESIGN §5 risk alerts)."""
    from gridcase.stats.alerts import scan_alerts

    report = _run(app, "alert scan", scan_alerts)
    if report is not None and report.ran and (any(report.raised.values()) or report.linked):
        log.info(report.line())
