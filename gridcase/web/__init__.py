"""Server-rendered pages: the grid worker's phone pages (/m/), the coordinators' workbench
(/desk/), the administrator's user accounts (/admin/), sign-in, and the PWA files. Chinese
first, English available."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, request, session
from flask_babel import get_locale, refresh

from gridcase.extensions import babel, compress, csrf

# What views cache in `g` for one request.
PER_REQUEST = ("user", "session_expired", "current_user", "csrf_token", "audit_entries", "page_session")


def select_locale() -> str:
    """The page language: the one the user picked (?lang=en / 中文 link), else Chinese."""
    chosen = session.get("lang")
    return chosen if chosen in ("zh", "en") else "zh"


def same_page_in(lang: str) -> str:
    """This page's address in another language, keeping its query (filters, region, page)."""
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
    return "?" + urlencode([*args, ("lang", lang)])


def register_web(app: Flask) -> None:
    from gridcase.web.filters import register_filters
    from gridcase.web.headers import register_security_headers
    from gridcase.web.views import admin, apidocs, audit, auth, dashboard, desk, mobile, pwa, reports

    # CSRF is checked on every form of the pages (below); the JSON API checks it itself for
    # cookie-authenticated calls and not at all for bearer tokens, which browsers never send
    # on their own.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    compress.init_app(app)
    for module in (auth, mobile, desk, dashboard, reports, audit, admin, pwa, apidocs):
        app.register_blueprint(module.bp)
    register_filters(app)
    register_security_headers(app)

    @app.context_processor
    def page_language():
        return {"get_locale": get_locale, "same_page_in": same_page_in}

    @app.before_request
    def start_request():
        # What is cached in `g` belongs to one request. (A request normally gets a fresh app
        # context; a test client inside a test's app context does not, so say it plainly.)
        for name in PER_REQUEST:
            g.pop(name, None)
        lang = request.args.get("lang")
        if lang in ("zh", "en"):
            session["lang"] = lang
        refresh()  # the language may have just changed
