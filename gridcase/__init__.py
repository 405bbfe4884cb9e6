"""gridcase: grid management (网格化管理) and dispute resolution (矛盾纠纷化解).

`create_app(config)` builds the one Flask app; nothing happens at import time.
"""

from __future__ import annotations

import logging

from flask import Flask


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

    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.from_object(config)
    if app.config.get("GRIDCASE_PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["GRIDCASE_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.json.ensure_ascii = False
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("gridcase").setLevel(app.config.get("GRIDCASE_LOG_LEVEL", "INFO"))

    from gridcase import models  # noqa: F401  (every table registered before migrations run)
    from gridcase.api import register_api
    from gridcase.cli import register_cli
    from gridcase.errors import register_error_handlers
    from gridcase.extensions import db, migrate, read_replica
    from gridcase.health import blp as health_blp
    from gridcase.open311.views import blp as open311_blp
    from gridcase.people.privacy import PersonalDataCipher, parse_data_keys
    from gridcase.web import register_web

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    read_replica.init_app(app)
    app.extensions["gridcase.cipher"] = PersonalDataCipher(
        app.config["GRIDCASE_DATA_KEY"],
        app.config["GRIDCASE_LOOKUP_KEY"],
        parse_data_keys(app.config.get("GRIDCASE_DATA_KEYS", ""), app.config["GRIDCASE_DATA_KEY"]),
    )
    register_api(app)
    register_web(app)
    app.register_blueprint(health_blp)
    app.register_blueprint(open311_blp)
    register_error_handlers(app)
    register_cli(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
