"""Settings for gridcase, read from the environment.

Three configurations: DevelopmentConfig (the default; local defaults that reach the
project-local cluster started by `make run`, and this installation's own random secrets),
TestingConfig (its own database) and ProductionConfig (refuses to start unless the environment
gives every secret).
`GRIDCASE_ENV` picks one: development | testing | production.
"""

from __future__ import annotations

import json
import os

# The project-local cluster of scripts/localdb.sh; dev-only credentials, loopback only. The app
# connects as `gridcase`, which may only read and append to the event log and the audit log;
# migrations run as `gridcase_owner`, which owns the tables.
LOCAL_DATABASE_URL = "postgresql+psycopg://gridcase:gridcase@127.0.0.1:{port}/{name}"
LOCAL_OWNER_DATABASE_URL = "postgresql+psycopg://gridcase_owner:gridcase_owner@127.0.0.1:{port}/{name}"

# The secrets every installation has: set in the environment, or (outside production) made
# at the first start and kept in the instance folder (gridcase/instance.py).
SECRETS = ("SECRET_KEY", "GRIDCASE_DATA_KEY", "GRIDCASE_LOOKUP_KEY", "GRIDCASE_CHAIN_KEY")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_float(name: str, default: float) -> float:
    return float(_env(name, str(default)))


def _env_json(name: str, default):
    raw = _env(name)
    return json.loads(raw) if raw else default


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def local_database_url(name: str = "gridcase") -> str:
    return LOCAL_DATABASE_URL.format(port=_env("GRIDCASE_PGPORT", "54329"), name=name)


def local_owner_database_url(name: str = "gridcase") -> str:
    return LOCAL_OWNER_DATABASE_URL.format(port=_env("GRIDCASE_PGPORT", "54329"), name=name)


def migration_database_url() -> str | None:
    """Who migrates: MIGRATION_DATABASE_URL (the tables' owner), else the local cluster's owner
    when the app uses the local cluster; None: the app's own role migrates (one role, no
    separation)."""
    explicit = _env("MIGRATION_DATABASE_URL")
    if explicit:
        return normalise_database_url(explicit)
    return None if _env("DATABASE_URL") else local_owner_database_url()


def test_migration_database_url() -> str | None:
    """Who migrates the test database: TEST_MIGRATION_DATABASE_URL, else the local cluster's
    owner when the tests use the local cluster."""
    explicit = _env("TEST_MIGRATION_DATABASE_URL")
    if explicit:
        return normalise_database_url(explicit)
    if _env("TEST_DATABASE_URL") or _env("DATABASE_URL"):
        return None
    return local_owner_database_url("gridcase_test")


def test_database_url() -> str:
    """The test database: TEST_DATABASE_URL, else DATABASE_URL's database with `_test` appended."""
    explicit = _env("TEST_DATABASE_URL")
    if explicit:
        return normalise_database_url(explicit)
    base = _env("DATABASE_URL")
    if not base:
        return local_database_url("gridcase_test")
    base = normalise_database_url(base)
    head, _, tail = base.rpartition("/")
    name, sep, query = tail.partition("?")
    return f"{head}/{name}_test{sep}{query}"


class Config:
    ENV_NAME = "development"
    DEBUG = False
    TESTING = False

    SECRET_KEY = _env("SECRET_KEY")
    # Outside production, secrets the environment does not set are this installation's own,
    # made at its first start in GRIDCASE_INSTANCE_PATH (default: instance/ in the checkout).
    GRIDCASE_INSTANCE_SECRETS = True
    GRIDCASE_INSTANCE_PATH = _env("GRIDCASE_INSTANCE_PATH")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(_env("DATABASE_URL", local_database_url()))
    # (no pool_pre_ping: a connection idle for a while is pinged, one used moments ago is not;
    # gridcase/connections.py)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # The role migrations run as (it owns the tables; the app's role gets only what it needs,
    # and no UPDATE or DELETE on the event and audit logs): migrations/env.py.
    MIGRATION_DATABASE_URL = migration_database_url()
    # A PostgreSQL streaming standby for the dashboard, statistics, alert list and exports
    # (gridcase/replica.py): used while it answers within the connect timeout and lags at most
    # MAX_LAG seconds, its health re-checked at most every CHECK seconds. Unset: the primary only.
    REPLICA_DATABASE_URL = (
        normalise_database_url(_env("REPLICA_DATABASE_URL")) if _env("REPLICA_DATABASE_URL") else None
    )
    GRIDCASE_REPLICA_MAX_LAG_SECONDS = _env_float("GRIDCASE_REPLICA_MAX_LAG_SECONDS", 30.0)
    GRIDCASE_REPLICA_CHECK_SECONDS = _env_float("GRIDCASE_REPLICA_CHECK_SECONDS", 5.0)
    GRIDCASE_REPLICA_CONNECT_TIMEOUT = _env_int("GRIDCASE_REPLICA_CONNECT_TIMEOUT", 2)
    MAX_CONTENT_LENGTH = _env_int("GRIDCASE_MAX_UPLOAD_BYTES", 16 * 1024 * 1024)

    # Personal data protection (个人信息保护法): encryption at rest and keyed look-up hashes.
    GRIDCASE_DATA_KEY = _env("GRIDCASE_DATA_KEY")
    GRIDCASE_LOOKUP_KEY = _env("GRIDCASE_LOOKUP_KEY")
    # The key of the event log's chain links (HMAC), kept outside the database.
    GRIDCASE_CHAIN_KEY = _env("GRIDCASE_CHAIN_KEY")

    # Local time of the city: working days, public numbers and reports follow it.
    GRIDCASE_TIMEZONE = _env("GRIDCASE_TIMEZONE", "Asia/Shanghai")

    # The 枫桥 ladder: ordered handling levels, lowest first, and default time limits in
    # working days per level (a category may override them).
    GRIDCASE_LADDER = _env_json("GRIDCASE_LADDER", ["community", "township", "city"])
    GRIDCASE_TIME_LIMITS = _env_json(
        "GRIDCASE_TIME_LIMITS", {"community": 3, "township": 7, "city": 15, "district": 10}
    )
    GRIDCASE_WARNING_FRACTION = _env_float("GRIDCASE_WARNING_FRACTION", 0.8)
    # Who verifies (核查) a resolution, by the level it was resolved at (DESIGN §2,
    # "Verification"): "grid_worker" (a worker of the case's grid, on the spot) or a level's
    # handlers; also always a colleague at the resolving level, the levels above and the city,
    # never the resolver. A lead unit's work is verified by the centre handling the case.
    GRIDCASE_VERIFIERS = _env_json(
        "GRIDCASE_VERIFIERS",
        {"community": "grid_worker", "township": "township", "district": "district", "city": "city"},
    )
    # 督办单's grade (DESIGN §2, "Supervision"): a red card (红牌) once the case was supervised
    # `after` times before, or when it is past its due time; a yellow card (黄牌) otherwise.
    GRIDCASE_SUPERVISION_RED = _env_json("GRIDCASE_SUPERVISION_RED", {"after": 1, "when_overdue": True})
    # Working days a resolution waits for its verification before the sweep raises an alert.
    GRIDCASE_VERIFY_DAYS = _env_int("GRIDCASE_VERIFY_DAYS", 2)
    # Days a revisit code (回访码) on a slip or in an SMS can be used.
    GRIDCASE_REVISIT_CODE_DAYS = _env_int("GRIDCASE_REVISIT_CODE_DAYS", 7)
    # The CJK font embedded in the PDFs (协议书, 卷宗): Debian's fonts-noto-cjk, its SC face.
    GRIDCASE_CJK_FONT = os.environ.get(
        "GRIDCASE_CJK_FONT", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
    )
    # When a revisit code goes to a citizen by SMS (local time): never at night.
    GRIDCASE_REVISIT_SMS_HOURS = _env("GRIDCASE_REVISIT_SMS_HOURS", "08:00-21:00")
    GRIDCASE_SWEEP_SECONDS = _env_int("GRIDCASE_SWEEP_SECONDS", 60)

    # The public pages (群众随手拍, /public/): a report from one address at most this often; the
    # work a browser proves before it sends one (leading zero bits of a SHA-256, about 2^bits
    # hashes: a second or two on a cheap phone, a cost for a script sending thousands); failed
    # look-ups of a case by number and code from one address in an hour before it must wait.
    GRIDCASE_PUBLIC_REPORTS_PER_HOUR = _env_int("GRIDCASE_PUBLIC_REPORTS_PER_HOUR", 5)
    GRIDCASE_PUBLIC_REPORTS_PER_DAY = _env_int("GRIDCASE_PUBLIC_REPORTS_PER_DAY", 20)
    GRIDCASE_PUBLIC_WORK_BITS = _env_int("GRIDCASE_PUBLIC_WORK_BITS", 16)
    GRIDCASE_PUBLIC_TRACK_FAILURES_PER_HOUR = _env_int("GRIDCASE_PUBLIC_TRACK_FAILURES_PER_HOUR", 20)

    # Intake: possible duplicates are open cases of the same category this close and recent.
    GRIDCASE_DUPLICATE_RADIUS_M = _env_float("GRIDCASE_DUPLICATE_RADIUS_M", 100.0)
    GRIDCASE_DUPLICATE_DAYS = _env_int("GRIDCASE_DUPLICATE_DAYS", 7)

    # Risk alert thresholds (DESIGN §5). People involved at or above the first make a group
    # matter (群体性): a risk alert, and a dispute starts at the township at least (DESIGN §3).
    # Five: the representatives a group visit may send (《信访条例》第十八条).
    GRIDCASE_MASS_INCIDENT_THRESHOLD = _env_int("GRIDCASE_MASS_INCIDENT_THRESHOLD", 5)
    GRIDCASE_HOTSPOT_COUNT = _env_int("GRIDCASE_HOTSPOT_COUNT", 3)
    GRIDCASE_HOTSPOT_DAYS = _env_int("GRIDCASE_HOTSPOT_DAYS", 7)
    # 研判, a rising issue: a township's cases of one category in the last 7 days against the
    # RISING_WEEKS 7-day windows before, flagged when the rise is significant at RISING_ALPHA
    # (gridcase/stats/trend_rule.py) and has at least RISING_MIN_COUNT cases.
    GRIDCASE_RISING_WEEKS = _env_int("GRIDCASE_RISING_WEEKS", 8)
    GRIDCASE_RISING_ALPHA = float(_env("GRIDCASE_RISING_ALPHA", "0.001"))
    GRIDCASE_RISING_MIN_COUNT = _env_int("GRIDCASE_RISING_MIN_COUNT", 5)
    GRIDCASE_REPEAT_PARTY_COUNT = _env_int("GRIDCASE_REPEAT_PARTY_COUNT", 2)
    # The scheduler refreshes the indicator rollups and scans for alerts this often; exports
    # of cases stop at this many rows (a clear 422 beyond: narrow the filters).
    GRIDCASE_STATS_SECONDS = _env_int("GRIDCASE_STATS_SECONDS", 60)
    GRIDCASE_EXPORT_MAX_ROWS = _env_int("GRIDCASE_EXPORT_MAX_ROWS", 100_000)

    # None: werkzeug's default (scrypt). Tests use a cheap method to stay fast.
    GRIDCASE_PASSWORD_METHOD: str | None = None

    # Sign-in protection (等保 2.0): lock-out, per-address throttling, second factor.
    GRIDCASE_LOGIN_MAX_FAILURES = _env_int("GRIDCASE_LOGIN_MAX_FAILURES", 5)
    GRIDCASE_LOCKOUT_MINUTES = _env_int("GRIDCASE_LOCKOUT_MINUTES", 15)
    GRIDCASE_LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("GRIDCASE_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
    GRIDCASE_LOGIN_ADDRESS_WINDOW_MINUTES = _env_int("GRIDCASE_LOGIN_ADDRESS_WINDOW_MINUTES", 15)
    GRIDCASE_TWO_FACTOR_ROLES = _env_json("GRIDCASE_TWO_FACTOR_ROLES", ["city_commander", "admin"])
    # Security audit log kept this long (never less than 180 days: the database refuses).
    GRIDCASE_AUDIT_RETENTION_DAYS = _env_int("GRIDCASE_AUDIT_RETENTION_DAYS", 365)
    # Signed checkpoints of the event and audit logs (gridcase/cases/integrity.py): where they
    # are written (default: checkpoints/ in the instance folder; copy them off the database's
    # machine) and how often the scheduler writes one.
    GRIDCASE_CHECKPOINT_DIR = _env("GRIDCASE_CHECKPOINT_DIR")
    GRIDCASE_CHECKPOINT_MINUTES = _env_int("GRIDCASE_CHECKPOINT_MINUTES", 60)
    # Parties of cases closed this long ago are anonymised (个人信息保护法: keep no longer than needed).
    GRIDCASE_PARTY_RETENTION_DAYS = _env_int("GRIDCASE_PARTY_RETENTION_DAYS", 3 * 365)
    # Key rotation: "2:<base64 key>,1:<base64 key>" — the first encrypts, all decrypt. When
    # empty, GRIDCASE_DATA_KEY is key 1.
    GRIDCASE_DATA_KEYS = _env("GRIDCASE_DATA_KEYS", "")

    # Behind a load balancer or reverse proxy: how many proxies set X-Forwarded-For/-Proto in
    # front of the app (0: none). Sign-in throttling and the audit log need the real address.
    GRIDCASE_PROXY_HOPS = _env_int("GRIDCASE_PROXY_HOPS", 0)

    # Bearer tokens of the JSON API.
    GRIDCASE_TOKEN_TTL_SECONDS = _env_int("GRIDCASE_TOKEN_TTL_SECONDS", 8 * 3600)

    # Open311 GeoReport v2 (/open311/v2/): jurisdiction_id → the city code it covers.
    # The address clients reach the app at (Open311 discovery names it), never taken from the
    # Host header of whoever asks; by default where `make run` serves (HOST, PORT).
    GRIDCASE_PUBLIC_URL = _env(
        "GRIDCASE_PUBLIC_URL", f"http://{_env('HOST', '127.0.0.1')}:{_env('PORT', '8000')}"
    )
    GRIDCASE_OPEN311_JURISDICTIONS = _env_json(
        "GRIDCASE_OPEN311_JURISDICTIONS", {"zhuji.gov.cn": "330681000000"}
    )
    GRIDCASE_OPEN311_CONTACT = _env(
        "GRIDCASE_OPEN311_CONTACT", "Ask the city's gridcase administrator (系统管理员) for help."
    )
    GRIDCASE_OPEN311_KEY_SERVICE = _env(
        "GRIDCASE_OPEN311_KEY_SERVICE",
        "API keys are issued by the city's gridcase administrator (gridcase create-open311-client).",
    )

    # Outbound messages (DESIGN §2, "Messages"): the scheduler fans new notifications out to
    # their channels and sends the outbox every GRIDCASE_OUTBOUND_SECONDS; a failed attempt
    # waits with exponential back-off, and after the last one the message is given up.
    GRIDCASE_OUTBOUND_SECONDS = _env_float("GRIDCASE_OUTBOUND_SECONDS", 10.0)
    GRIDCASE_OUTBOUND_TIMEOUT_SECONDS = _env_float("GRIDCASE_OUTBOUND_TIMEOUT_SECONDS", 10.0)
    GRIDCASE_OUTBOUND_BACKOFF_BASE_SECONDS = _env_float("GRIDCASE_OUTBOUND_BACKOFF_BASE_SECONDS", 30.0)
    GRIDCASE_OUTBOUND_BACKOFF_CAP_SECONDS = _env_float("GRIDCASE_OUTBOUND_BACKOFF_CAP_SECONDS", 3600.0)
    GRIDCASE_OUTBOUND_MAX_ATTEMPTS = _env_int("GRIDCASE_OUTBOUND_MAX_ATTEMPTS", 8)
    GRIDCASE_OUTBOUND_BATCH = _env_int("GRIDCASE_OUTBOUND_BATCH", 200)
    # E-mail through an SMTP server (empty host: e-mail channels fail with a clear error).
    GRIDCASE_SMTP_HOST = _env("GRIDCASE_SMTP_HOST", "")
    GRIDCASE_SMTP_PORT = _env_int("GRIDCASE_SMTP_PORT", 25)
    GRIDCASE_SMTP_STARTTLS = _env("GRIDCASE_SMTP_STARTTLS", "") == "1"
    GRIDCASE_SMTP_USER = _env("GRIDCASE_SMTP_USER", "")
    GRIDCASE_SMTP_PASSWORD = _env("GRIDCASE_SMTP_PASSWORD", "")
    GRIDCASE_MAIL_FROM = _env("GRIDCASE_MAIL_FROM", "gridcase@localhost")
    # SMS through the operator's HTTP gateway: a template and its parameter (the message).
    GRIDCASE_SMS_GATEWAY_URL = _env("GRIDCASE_SMS_GATEWAY_URL", "")
    GRIDCASE_SMS_TEMPLATE = _env("GRIDCASE_SMS_TEMPLATE", "GRIDCASE_NOTICE")

    # Webhooks: the scheduler sends the outbox every GRIDCASE_WEBHOOK_SECONDS; a failed attempt
    # waits base × 2^(n-1) seconds (at most the cap); a delivery is given up after MAX_ATTEMPTS;
    # a subscriber failing PAUSE_AFTER attempts in a row is paused until an admin resumes it.
    GRIDCASE_WEBHOOK_SECONDS = _env_float("GRIDCASE_WEBHOOK_SECONDS", 5.0)
    GRIDCASE_WEBHOOK_TIMEOUT_SECONDS = _env_float("GRIDCASE_WEBHOOK_TIMEOUT_SECONDS", 5.0)
    GRIDCASE_WEBHOOK_BACKOFF_BASE_SECONDS = _env_float("GRIDCASE_WEBHOOK_BACKOFF_BASE_SECONDS", 30.0)
    GRIDCASE_WEBHOOK_BACKOFF_CAP_SECONDS = _env_float("GRIDCASE_WEBHOOK_BACKOFF_CAP_SECONDS", 3600.0)
    GRIDCASE_WEBHOOK_MAX_ATTEMPTS = _env_int("GRIDCASE_WEBHOOK_MAX_ATTEMPTS", 10)
    GRIDCASE_WEBHOOK_PAUSE_AFTER = _env_int("GRIDCASE_WEBHOOK_PAUSE_AFTER", 20)
    GRIDCASE_WEBHOOK_BATCH = _env_int("GRIDCASE_WEBHOOK_BATCH", 200)
    # Finished deliveries (delivered or given up) and their attempt logs are kept this long, then
    # pruned by the hourly housekeeping; pending ones are never pruned.
    GRIDCASE_WEBHOOK_RETENTION_DAYS = _env_int("GRIDCASE_WEBHOOK_RETENTION_DAYS", 90)
    # Networks webhooks may be sent into besides the public internet (CIDR, JSON list): a
    # city's own 12345 platform on its intranet, say. Loopback, private and link-local
    # addresses are refused unless named here (gridcase/webhooks/destinations.py).
    GRIDCASE_WEBHOOK_ALLOWED_NETWORKS = _env_json("GRIDCASE_WEBHOOK_ALLOWED_NETWORKS", [])

    # Web pages: session cookie, idle timeout, CSRF, languages.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # True outside development (testing and production)
    SESSION_COOKIE_NAME = "gridcase_session"
    GRIDCASE_IDLE_MINUTES = _env_int("GRIDCASE_IDLE_MINUTES", 30)
    # CSRF tokens last as long as the session: a case saved offline may wait hours to be sent.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    # The pages' forms are checked one blueprint at a time (gridcase.web.login.protect_forms):
    # the JSON API checks the token itself, and only for calls made with the session cookie.
    WTF_CSRF_CHECK_DEFAULT = False
    # The page languages, the default first; the link at the top of each page switches.
    GRIDCASE_LOCALES = ["zh", "en"]
    BABEL_DEFAULT_LOCALE = GRIDCASE_LOCALES[0]
    BABEL_DEFAULT_TIMEZONE = GRIDCASE_TIMEZONE
    # Base map tiles: empty means none (grid polygons alone, for intranets without a tile
    # server). GRIDCASE_TILE_CRS is wgs84 or gcj02 (then points are shifted for display).
    GRIDCASE_TILE_URL = _env("GRIDCASE_TILE_URL", "")
    GRIDCASE_TILE_ATTRIBUTION = _env("GRIDCASE_TILE_ATTRIBUTION", "")
    GRIDCASE_TILE_CRS = _env("GRIDCASE_TILE_CRS", "wgs84")
    # Photos: at most this many per case, each at most this many bytes before processing.
    GRIDCASE_MAX_ATTACHMENTS = 9
    GRIDCASE_MAX_PHOTO_BYTES = _env_int("GRIDCASE_MAX_PHOTO_BYTES", 12 * 1024 * 1024)
    # Evidence files of a dispute (PDF, recordings): at most this many per case, each at most
    # this many bytes — a sitting's recording on a phone, a few minutes of phone video. Their
    # upload routes alone accept bodies this large (gridcase/uploads.py); every other request
    # stays within MAX_CONTENT_LENGTH.
    GRIDCASE_MAX_EVIDENCE_FILES = _env_int("GRIDCASE_MAX_EVIDENCE_FILES", 30)
    GRIDCASE_MAX_EVIDENCE_BYTES = _env_int("GRIDCASE_MAX_EVIDENCE_BYTES", 50 * 1024 * 1024)
    # 矛盾纠纷排查 every month: with a day of the month here (e.g. 25), the sweep opens on the
    # 1st a round "YYYY年M月" for every township, due on that day; 0 leaves rounds to be called
    # by hand (gridcase/gridwork/screening.py).
    GRIDCASE_MONTHLY_SCREENING_DUE_DAY = _env_int("GRIDCASE_MONTHLY_SCREENING_DUE_DAY", 0)
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "application/javascript",
        "text/javascript",
        "application/json",
        "application/geo+json",
        "application/manifest+json",
        "image/svg+xml",
    ]
    COMPRESS_ALGORITHM = ["gzip"]

    # flask-smorest / OpenAPI
    API_TITLE = "gridcase"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    @classmethod
    def check(cls) -> None:
        """Refuse settings that cannot work; production overrides it to refuse dev secrets."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    # As in production: browsers keep Secure cookies for http://127.0.0.1 and localhost too.
    SESSION_COOKIE_SECURE = True
    SQLALCHEMY_DATABASE_URI = test_database_url()
    MIGRATION_DATABASE_URL = test_migration_database_url()
    # A replica of the development database is no replica of the test database.
    REPLICA_DATABASE_URL = None
    # Cheap hashing keeps the suite fast; production keeps werkzeug's default scrypt.
    GRIDCASE_PASSWORD_METHOD = "pbkdf2:sha256:1000"
    # The tests' webhook receivers listen on loopback.
    GRIDCASE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    # A lighter proof of work: the browser tests solve it, and its cost is not what they test.
    GRIDCASE_PUBLIC_WORK_BITS = 12


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    # Production's secrets come from the environment (a secrets manager), never from a file
    # the application wrote itself.
    GRIDCASE_INSTANCE_SECRETS = False

    @classmethod
    def check(cls) -> None:
        missing = [name for name in SECRETS if not getattr(cls, name)]
        if missing:
            raise RuntimeError(
                "Refusing to start in production without its secrets: set "
                + ", ".join(missing)
                + " in the environment."
            )
        if not _env("DATABASE_URL"):
            raise RuntimeError("Refusing to start in production without DATABASE_URL.")
        if cls.GRIDCASE_AUDIT_RETENTION_DAYS < 180:
            raise RuntimeError("GRIDCASE_AUDIT_RETENTION_DAYS must be at least 180 (等保 2.0 level 3).")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The configuration class named by GRIDCASE_ENV (default: development)."""
    name = _env("GRIDCASE_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"GRIDCASE_ENV={name!r} is not one of {', '.join(CONFIGS)}") from None
