"""How every scheduler job runs: in an app context, in one transaction, committed; a failure
is rolled back and logged, and the job's next interval tries again (the scheduler process
never dies of one bad run)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

from gridcase.extensions import db

log = logging.getLogger(__name__)

Report = TypeVar("Report")


def run_job(app: Flask, name: str, work: Callable[[], Report]) -> Report | None:
    """`work()` committed; its report, or None when it failed (logged)."""
    with app.app_context():
        try:
            report = work()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("The %s failed; it will run again at the next interval.", name)
            return None
        finally:
            db.session.remove()
    return report
