"""Access to the running app's settings and shared helpers for domain code.

Domain operations run inside an app context (the request or the CLI/scheduler job) because
they use `db.session`; they read configuration through here rather than importing Flask
everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

# The largest value of PostgreSQL's bigint: ids and offsets beyond it cannot reach the database.
BIGINT_MAX = 2**63 - 1
# The last page a paginated list serves (at most 100 rows a page: a billion rows deep).
MAX_PAGE = 10_000_000


def setting(name: str):
    return current_app.config[name]


def ladder() -> list[str]:
    """The ordered handling levels, lowest first (default community, township, city)."""
    return list(current_app.config["GRIDCASE_LADDER"])


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["GRIDCASE_TIMEZONE"])


def utcnow() -> datetime:
    return datetime.now(UTC)


def chain_key() -> bytes:
    """The key of the event log's and the audit log's chain links (kept outside the database)."""
    return current_app.config["GRIDCASE_CHAIN_KEY"].encode()


def cipher():
    """The app's personal-data cipher (built once per app in create_app)."""
    return current_app.extensions["gridcase.cipher"]
