"""Screenshots of the pages at their real sizes, for docs/screenshots/ and the README.

    .venv/bin/python scripts/screenshots.py [BASE_URL]     (default http://127.0.0.1:8000)

Run it against `make run` (the demo city). It logs a few example cases through the API as
demo-worker when the worker has fewer than four open ones, then photographs the worker's home
and new-case form and the public page on a 360 px phone, the community mediator's workbench
queue and a dispute's page and the township's monthly report on a 1366 px screen, and the
command centre on a 1920×1080 screen in Chinese and in English.
"""

from __future__ import annotations

import json
import sys
import urllib.request
import uuid
from pathlib import Path

import pyotp
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gridcase.demo import DEMO_TOTP_SECRETS

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A cheap Android phone, 360 px wide (as the browser tests' phone).
PHONE = dict(
    viewport={"width": 360, "height": 740},
    device_scale_factor=2,
    is_mobile=True,
    has_touch=True,
    locale="zh-CN",
)
EXAMPLES = [
    {
        "kind": "incident",
        "category": "E0102",
        "title": "桥头垃圾堆放未清运",
        "severity": "general",
        "location": {"lon": 120.3462, "lat": 29.7626},
    },
    {
        "kind": "dispute",
        "category": "D02",
        "title": "楼上装修噪音邻里纠纷",
        "severity": "general",
        "location": {"lon": 120.3475, "lat": 29.7620},
        "parties": [{"name": "张三", "phone": "13812348000"}],
    },
    {
        "kind": "incident",
        "category": "E0505",
        "title": "村口机动车乱停放",
        "severity": "general",
        "location": {"lon": 120.3485, "lat": 29.7612},
    },
    {
        "kind": "dispute",
        "category": "D03",
        "title": "宅基地边界争议",
        "severity": "significant",
        "location": {"lon": 120.3452, "lat": 29.7624},
        "people_involved": 4,
        "may_intensify": True,
        "parties": [{"name": "李四"}, {"name": "王五", "role": "respondent"}],
    },
]


def api(base: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(base + path, method="POST" if body is not None else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Idempotency-Key", uuid.uuid4().hex)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data) as response:
        return json.loads(response.read())


def seed(base: str) -> str:
    """The examples, when the worker has fewer than four open cases; returns the number of an
    open dispute of the worker's."""
    token = api(base, "/api/v1/auth/token", body={"username": "demo-worker", "password": "gridcase-demo"})[
        "access_token"
    ]
    open_cases = api(base, "/api/v1/cases?status=pending&status=in_progress", token)["total"]
    for example in EXAMPLES[: max(0, 4 - open_cases)]:
        api(base, "/api/v1/cases", token, example)
    disputes = api(base, "/api/v1/cases?kind=dispute&status=pending&status=in_progress&reported_by=me", token)
    return disputes["items"][0]["public_number"]


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "gridcase-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login/second-factor" in page.url:  # demo-city: the demo's authenticator secret
        page.fill("input[name=code]", pyotp.TOTP(DEMO_TOTP_SECRETS[username]).now())
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")


def desk_page(browser, base: str, username: str):
    """A page of a desk's 1366 px screen, in a context of its own, signed in as `username`."""
    page = browser.new_context(
        base_url=base, viewport={"width": 1366, "height": 768}, locale="zh-CN"
    ).new_page()
    sign_in(page, username)
    return page


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    dispute = seed(base)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        phone = browser.new_context(
            base_url=base,
            **PHONE,
            permissions=["geolocation"],
            geolocation={"longitude": 120.3468, "latitude": 29.7622, "accuracy": 9},
        )
        page = phone.new_page()
        sign_in(page, "demo-worker")
        page.goto("/m/")
        page.wait_for_timeout(600)
        page.screenshot(path=str(OUT / "worker-home.png"), full_page=True)
        page.goto("/m/new")
        page.wait_for_selector("#location-status:has-text('GPS')")
        page.check("input[name=kind][value=dispute]")
        page.fill("#category-search", "LLJF")
        page.fill("#title", "楼上漏水邻里纠纷")
        page.wait_for_timeout(600)
        page.screenshot(path=str(OUT / "worker-new-case.png"), full_page=True)
        page = browser.new_context(base_url=base, **PHONE).new_page()
        page.goto("/public/")
        page.screenshot(path=str(OUT / "public-home.png"), full_page=True)
        page = desk_page(browser, base, "demo-community")
        page.screenshot(path=str(OUT / "workbench-queue.png"))
        page.goto(f"/desk/cases/{dispute}")
        page.wait_for_timeout(600)
        page.screenshot(path=str(OUT / "desk-dispute.png"))
        page = desk_page(browser, base, "demo-township")
        page.goto("/reports/monthly")
        page.wait_for_timeout(1500)  # (the charts are images made on request)
        page.screenshot(path=str(OUT / "monthly-report.png"), full_page=True)
        screen = browser.new_context(base_url=base, viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        page = screen.new_page()
        sign_in(page, "demo-city")
        page.wait_for_selector("#refreshed:has-text('更新于')")
        page.screenshot(path=str(OUT / "command-centre.png"))
        page.goto("/dashboard/?lang=en")
        page.wait_for_selector("#refreshed:has-text('Updated')")
        page.screenshot(path=str(OUT / "command-centre-en.png"))
        browser.close()
    print(f"Screenshots written to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
