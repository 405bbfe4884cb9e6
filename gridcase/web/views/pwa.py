"""The Progressive Web App files: the manifest and the service worker.

The service worker must be served from the site root to control /m/; it caches the app shell
(the worker's pages, styles, scripts and the catalogue) so that a grid worker can open the
new-case form and save a case, or patrol, with no signal at all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, send_from_directory, url_for

from gridcase.web.login import protect_forms

bp = Blueprint("pwa", __name__)
bp.before_request(protect_forms)

SHELL_STATIC = [
    "css/app.css",
    "js/map.js",
    "js/outbox.js",
    "js/photos.js",
    "js/sw-register.js",
    "js/new-case.js",
    "js/home.js",
    "js/patrol.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "img/icon-192.png",
]


def _shell_version() -> str:
    """Changes whenever a cached file changes, so phones drop the old shell."""
    digest = hashlib.sha256()
    static = Path(current_app.static_folder)
    for name in SHELL_STATIC:
        path = static / name
        digest.update(path.read_bytes() if path.exists() else name.encode())
    return digest.hexdigest()[:12]


@bp.route("/manifest.webmanifest")
def manifest():
    body = render_template("pwa/manifest.json")
    return Response(body, mimetype="application/manifest+json")


@bp.route("/sw.js")
def service_worker():
    shell = [url_for("mobile.home"), url_for("mobile.new_case"), url_for("mobile.patrol")] + [
        url_for("static", filename=name) for name in SHELL_STATIC
    ]
    body = render_template("pwa/sw.js", version=_shell_version(), shell=shell)
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on every site, whatever the page links: the app's icon (a
    PNG, which every browser takes under that name), so the tab shows it and no 404 is logged."""
    response = send_from_directory(current_app.static_folder, "img/icon-192.png", mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
