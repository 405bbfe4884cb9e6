"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …` (the CLI and the scheduler).

Logging is set up here, for the processes that serve and schedule, and not in `create_app`,
which must not reconfigure the logging of whatever imports it (tests, scripts)."""

import gc
import logging
import os

from gridcase import create_app

logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logging.getLogger("gridcase").setLevel(os.environ.get("GRIDCASE_LOG_LEVEL", "INFO"))

app = create_app()
# What start-up made (the app, its schemas, SQLAlchemy's mappings: about 290,000 objects) lives as
# long as the process. Frozen, it is left out of the garbage collector's full collections, which
# otherwise walked all of it every few hundred requests (issue 20).
gc.freeze()
