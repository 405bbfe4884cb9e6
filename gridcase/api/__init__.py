"""The JSON API (flask-smorest): the only HTTP layer for JSON. Views are thin: a schema in, a
domain function, a schema out."""

from __future__ import annotations

from flask import Flask

from gridcase.api.security import SECURITY_SCHEME
from gridcase.extensions import api
from gridcase.http_errors import answer_errors, json_error


def register_api(app: Flask) -> None:
    from gridcase.api import (  # noqa: F401  (actions, parties and mediation add routes to the cases blueprint)
        actions,
        attachments,
        audit,
        auth,
        cases,
        catalogue,
        mediation,
        notifications,
        parties,
        patrols,
        register,
        territory,
        triage,
        units,
        users,
        visits,
        watch,
        webhooks,
    )

    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for module in (
        auth,
        territory,
        catalogue,
        cases,
        attachments,
        notifications,
        webhooks,
        audit,
        users,
        patrols,
        visits,
        watch,
        register,
        triage,
    ):
        api.register_blueprint(module.blp)
    api.register_blueprint(units.blp)
    from gridcase.api import alerts, assessment, exports, monthly_report, stats  # noqa: F401  (monthly_report adds routes to the stats blueprint)

    for module in (exports, stats, alerts, assessment):
        api.register_blueprint(module.blp)
    actions.document_action_bodies(api.spec)
    answer_errors(app, json_error, prefix="/api/")
