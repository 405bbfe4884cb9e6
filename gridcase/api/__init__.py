"""The JSON API (flask-smorest): the only HTTP layer for JSON. Views are thin: a schema in, a
domain function, a schema out."""

from __future__ import annotations

from flask import Flask

from gridcase.api.security import SECURITY_SCHEME
from gridcase.extensions import api


def register_api(app: Flask) -> None:
    from gridcase.api import actions, attachments, auth, cases, catalogue, notifications, territory, webhooks  # noqa: F401

    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for module in (auth, territory, catalogue, cases, attachments, notifications, webhooks):
        api.register_blueprint(module.blp)
    from gridcase.api import alerts, exports, stats

    for module in (exports, stats, alerts):
        api.register_blueprint(module.blp)
