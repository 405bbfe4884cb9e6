"""Browser tests: the real app served on a loopback port, driven by Debian's Chromium through
Playwright. The app runs in this process on the test database; what the tests create is
committed (a browser is another client) and removed by the tests themselves."""

from __future__ import annotations

import threading
import uuid

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from gridcase.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
# A cheap Android phone as every phone test sees it; the `phone` fixture adds a GPS fix.
PHONE_SETTINGS = dict(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
DESK = {"width": 1366, "height": 860}
# The grid worker's own phone pages, every one of them (the browser tests walk them all).
WORKER_PAGES = [
    "/m/",
    "/m/new",
    "/m/patrol",
    "/m/visits",
    "/m/households",
    "/m/cases",
    "/m/notifications",
    "/m/score",
]
FENGQIAO_POINT = {"longitude": 120.346, "latitude": 29.7625, "accuracy": 12}  # in demo-worker's grid


@pytest.fixture(scope="session")
def live_server(app):
    """The app on http://127.0.0.1:<port>, threaded like a real server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser, live_server):
    """A cheap Android phone: 360 px wide, touch, GPS granted at a point in demo-worker's grid."""
    context = browser.new_context(
        base_url=live_server,
        **PHONE_SETTINGS,
        geolocation=FENGQIAO_POINT,
        permissions=["geolocation"],
        service_workers="allow",
    )
    yield context
    context.close()


@pytest.fixture
def desk(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=DESK, locale="zh-CN")
    yield context
    context.close()


def sign_in(page, username: str, password: str = "gridcase-demo", totp_secret: str | None = None) -> None:
    """Sign in through the page; roles with two factors type their authenticator code too."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login/second-factor" in page.url:
        page.fill("input[name=code]", pyotp.TOTP(totp_secret).now())
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")


@pytest.fixture
def commander(app):
    """A city commander of its own (two-factor codes are single use, so tests do not share
    one): (username, password, TOTP secret)."""
    from gridcase.people.auth import create_user
    from gridcase.settings import cipher, utcnow

    username, secret = f"commander-{uuid.uuid4().hex[:8]}", pyotp.random_base32()
    with app.app_context():
        user = create_user(
            username, "correct-horse-battery", "city_commander", "330681000000", "市指挥中心值班员"
        )
        user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
        user.totp_confirmed_at = utcnow()
        db.session.commit()
    return username, "correct-horse-battery", secret


@pytest.fixture
def cleanup(app):
    """Collects titles of cases a test creates; deletes those cases afterwards."""
    from tests.helpers import delete_committed_cases

    titles: list[str] = []
    yield titles
    with app.app_context():
        ids = list(db.session.scalars(sa.text("SELECT id FROM cases WHERE title = ANY(:t)"), {"t": titles}))
    delete_committed_cases(app, ids)
