"""Server-rendered pages: the grid worker's phone pages (/m/), the coordinators' workbench
(/desk/), the administrator's user accounts (/admin/), sign-in, and the PWA files. Chinese
first, English available."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request, session
from flask_babel import get_locale, refresh

from gridcase.extensions import compress, csrf
from gridcase.http_errors import answer_errors
from gridcase.notifications.inbox import unread_count
from gridcase.people.models import User
from gridcase.people.sessions import current_user
from gridcase.web.errors import render_error_page


def same_page_in(lang: str) -> str:
    """This page's address in another language, keeping its query (filters, region, page)."""
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
    return "?" + urlencode([*args, ("lang", lang)])


class UnreadCount:
    """The signed-in user's unread notifications, counted once when a template first asks."""

    def __init__(self, user: User):
        self.user, self._count = user, None

    @property
    def count(self) -> int:
        if self._count is None:
            self._count = unread_count(self.user)
        return self._count

    def __bool__(self) -> bool:
        return self.count > 0

    def __str__(self) -> str:
        return str(self.count)


def register_web(app: Flask) -> None:
    from gridcase.web.filters import register_filters
    from gridcase.web.headers import register_security_headers
    from gridcase.web.views import (
        admin,
        apidocs,
        audit,
        auth,
        dashboard,
        desk,
        front_desk,
        gridwork,
        mediation,
        mobile,
        public,
        pwa,
        reports,
        revisit,
        triage,
    )

    # CSRF is checked on every form of the pages (gridcase.web.login.protect_forms, since
    # WTF_CSRF_CHECK_DEFAULT is off); the JSON API checks it itself for cookie-authenticated
    # calls and not at all for bearer tokens, which browsers never send on their own.
    csrf.init_app(app)
    compress.init_app(app)
    for module in (
        auth,
        mobile,
        desk,
        mediation,
        gridwork,
        front_desk,
        dashboard,
        reports,
        audit,
        admin,
        public,
        pwa,
        apidocs,
        revisit,
        triage,
    ):
        app.register_blueprint(module.bp)
    register_filters(app)
    register_security_headers(app)
    answer_errors(app, render_error_page)  # every error outside the JSON doors: a page

    @app.context_processor
    def page_language():
        return {"get_locale": get_locale, "same_page_in": same_page_in}

    @app.context_processor
    def unread_notifications():
        """The unread badge of every page's bar, counted only where a bar shows it (an error
        page while the database is away never asks)."""
        user = current_user()
        return {"unread": UnreadCount(user)} if user is not None else {}

    @app.before_request
    def remember_the_chosen_language():
        lang = request.args.get("lang")
        if lang in app.config["GRIDCASE_LOCALES"]:
            session["lang"] = lang
        refresh()  # the language may have just changed
