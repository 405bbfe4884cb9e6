"""The JSON API (flask-smorest): the only HTTP layer for JSON. Views are thin: a schema in, a
domain function, a schema out."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from gridcase.api.security import SECURITY_SCHEME
from gridcase.extensions import api
from gridcase.settings import BIGINT_MAX


class RowIdConverter(IntegerConverter):
    """`<int:…>` in URLs is a row id: a number past PostgreSQL's bigint matches no route (404)
    instead of failing in the database."""

    def __init__(self, map, fixed_digits=0, min=None, max=BIGINT_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def register_api(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter  # before any route with an id is added
    from gridcase.api import (  # noqa: F401  (actions and parties add routes to the cases blueprint)
        actions,
        attachments,
        audit,
        auth,
        cases,
        catalogue,
        notifications,
        parties,
        territory,
        users,
        webhooks,
    )

    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for module in (auth, territory, catalogue, cases, attachments, notifications, webhooks, audit, users):
        api.register_blueprint(module.blp)
    from gridcase.api import alerts, exports, stats

    for module in (exports, stats, alerts):
        api.register_blueprint(module.blp)
