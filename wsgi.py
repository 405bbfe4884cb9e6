"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …` (the CLI and the scheduler).

Logging is set up here, for the processes that serve and schedule, and not in `create_app`,
which must not reconfigure the logging of whatever imports it (tests, scripts)."""

import logging
import os

from gridcase import create_app

logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logging.getLogger("gridcase").setLevel(os.environ.get("GRIDCASE_LOG_LEVEL", "INFO"))

app = create_app()
