"""gridcase: grid management (网格化管理) and dispute resolution (矛盾纠纷化解).

`create_app(config)` builds the one Flask app; nothing happens at import time.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from gridcase.settings import BIGINT_MAX


def create_app(config: object | str | None = None) -> Flask:
    """Build the app from a config class, its name (development, testing, production), or
    GRIDCASE_ENV when none is given.

    Raises:
        RuntimeError: the configuration is unsafe (production with development secrets).
    """
    from config import CONFIGS, config_from_env

    if config is None:
        config = config_from_env()
    elif isinstance(config, str):
        config = CONFIGS[config]
    if hasattr(config, "check"):
        config.check()

    app = Flask(
        __name__,
        template_folder="web/templates",
        static_folder="web/static",
        instance_path=_instance_path(config),
    )
    app.config.from_object(config)
    if app.config.get("GRIDCASE_INSTANCE_SECRETS"):
        from gridcase.instance import fill_missing_secrets

        fill_missing_secrets(app.config, app.instance_path)
    if app.config.get("GRIDCASE_PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["GRIDCASE_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.json.ensure_ascii = False  # Chinese as it is in JSON answers, not \uXXXX escapes
    app.url_map.converters["id"] = RowIdConverter  # before any route with an id is added

    from gridcase import models  # noqa: F401  (every table registered before migrations run)
    from gridcase.api import register_api
    from gridcase.cli import register_cli
    from gridcase.connections import configure_engine
    from gridcase.extensions import babel, db, migrate, read_replica
    from gridcase.health import register_health
    from gridcase.http_errors import register_error_handlers
    from gridcase.open311 import register_open311
    from gridcase.people.privacy import init_cipher
    from gridcase.people.sessions import chosen_language
    from gridcase.uploads import register_upload_limits
    from gridcase.web import register_web

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    read_replica.init_app(app)
    init_cipher(app)
    register_upload_limits(app)  # first: before the pages' CSRF check reads a form
    # Every front door speaks the reader's language: pages, the API's answers to the pages, exports.
    babel.init_app(app, locale_selector=chosen_language, default_translation_directories="translations")
    # The front doors; each registers how it answers errors (gridcase.http_errors).
    register_api(app)
    register_web(app)
    register_health(app)
    register_open311(app)
    register_error_handlers(app)
    register_cli(app)
    return app


class RowIdConverter(IntegerConverter):
    """`<id:…>` in URLs is a row id: a number past PostgreSQL's bigint matches no route (404)
    instead of failing in the database."""

    def __init__(self, map, fixed_digits=0, min=None, max=BIGINT_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def _instance_path(config) -> str | None:
    """GRIDCASE_INSTANCE_PATH, else Flask's default (instance/ beside the package)."""
    import os

    path = getattr(config, "GRIDCASE_INSTANCE_PATH", None)
    return os.path.abspath(path) if path else None


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
