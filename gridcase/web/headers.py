"""Security headers on every response (等保 2.0; OWASP secure headers).

The Content-Security-Policy allows scripts from this site only: no inline script, no eval, no
CDN. Styles may be inline because Leaflet and ECharts position their elements with style
attributes. A configured base-map tile server is the one outside origin images may come from.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


def content_security_policy(tile_url: str) -> str:
    images = ["'self'", "data:", "blob:"]
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme and parts.netloc:
            host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
            images.append(f"{parts.scheme}://{host}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def register_security_headers(app: Flask) -> None:
    policy = content_security_policy(app.config.get("GRIDCASE_TILE_URL", ""))
    strict_transport = app.config.get("ENV_NAME") != "development"

    @app.after_request
    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if strict_transport:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype in ("text/html", "application/json"):
            # Case pages and API answers carry personal and case data: never cache them in
            # shared caches. (The service worker keeps its own copies of the phone pages.)
            headers.setdefault(
                "Cache-Control",
                "no-store" if response.mimetype == "application/json" else "private, no-cache",
            )
        return response
