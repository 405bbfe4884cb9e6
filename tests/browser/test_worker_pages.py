"""The grid worker's phone pages in a real Chromium: a new dispute with GPS and a photo, a case
saved without signal and sent once the signal returns, and what a user notices on a cheap
phone (page weight, touch targets, errors next to fields, nothing lost)."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa
from PIL import Image

from gridcase.extensions import db
from tests.browser.conftest import WORKER_PAGES, sign_in

pytestmark = pytest.mark.browser


def jpeg_with_gps() -> bytes:
    """A phone photo: 3000×2000 JPEG with GPS and camera data in its EXIF."""
    image = Image.new("RGB", (3000, 2000), (180, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "CheapPhoneMaker"
    exif[0x8825] = {1: "N", 2: (29.0, 45.0, 45.0), 3: "E", 4: (120.0, 20.0, 45.6)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=80)
    return buffer.getvalue()


def fill_dispute(page, title: str) -> None:
    page.goto("/m/new")
    page.check("input[name=kind][value=dispute]")
    page.fill("#category-search", "LLJF")  # 邻里纠纷 by its pinyin initials
    assert page.input_value("#category") == "D02"
    page.fill("#title", title)
    page.fill("#description", "楼上装修噪音，双方争执")
    page.wait_for_selector("#location-status:has-text('GPS')")
    page.click("#add-party")
    page.fill("[name=party_name]", "张三")
    page.fill("[name=party_phone]", "13812348000")


def case_ids(app, title: str) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.text("SELECT id FROM cases WHERE title = :t"), {"t": title}))


def test_worker_logs_a_dispute_with_gps_and_a_photo(app, phone, cleanup):
    title = f"邻里噪音纠纷 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    page = phone.new_page()
    sign_in(page, "demo-worker")
    assert page.url.endswith("/m/")

    fill_dispute(page, title)
    page.set_input_files(
        "#photo-input", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    page.wait_for_selector("#photo-previews img")
    page.click("#save")
    page.wait_for_url("**/m/cases/330681-*")

    assert page.locator("h1").inner_text().endswith(title)
    assert page.locator("text=张*").count() == 1  # the party, masked
    assert page.locator("text=13812348000").count() == 0
    page.wait_for_selector(".photos img")

    with app.app_context():
        row = db.session.execute(
            sa.text(
                "SELECT c.source, c.grid_code, a.width, a.height, a.data FROM cases c "
                "JOIN case_attachments a ON a.case_id = c.id WHERE c.title = :t"
            ),
            {"t": title},
        ).one()
    assert row.source == "grid_worker" and row.grid_code == "330681109901001"
    assert max(row.width, row.height) <= 2048
    stored = bytes(row.data)
    assert b"CheapPhoneMaker" not in stored and not Image.open(io.BytesIO(stored)).getexif()

    # A second photo, later, from the case page.
    with page.expect_navigation():
        page.set_input_files(
            "#case-photo-input",
            files=[{"name": "later.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}],
        )
    page.wait_for_selector(".photos img >> nth=1")
    assert page.locator(".photos img").count() == 2

    page.goto("/m/")
    first = page.locator(".case-list li").first
    assert title in first.inner_text()


def test_a_case_saved_without_signal_is_sent_once_when_it_returns(app, phone, cleanup):
    title = f"无信号保存 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    page = phone.new_page()
    sign_in(page, "demo-worker")
    # The service worker installs on the first visit and keeps the app shell.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.goto("/m/new")
    page.wait_for_selector("#location-status:has-text('GPS')")

    phone.set_offline(True)
    page.fill("#category-search", "BLLJ")  # 暴露垃圾
    page.fill("#title", title)
    page.click("#save")
    page.wait_for_url("**/m/?saved=*")
    page.wait_for_selector("#outbox:not([hidden])")
    assert title in page.locator("#outbox-list").inner_text()
    assert case_ids(app, title) == []

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector(f".case-list >> text={title}", timeout=15000)
    page.evaluate("Outbox.flush()")  # a second send of the same outbox changes nothing
    page.wait_for_timeout(500)
    assert len(case_ids(app, title)) == 1
    assert page.locator("#outbox").is_hidden()


PHONE_PAGES = [
    *WORKER_PAGES,
    # The citizens' pages are phone pages too (no sign-in needed; a signed-in worker sees the same).
    "/public/",
    "/public/report",
    "/public/track",
    "/public/map",
]


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_first_load_of_a_phone_page_is_under_300_kb(phone, path):
    """The home page's budget, for every page of the worker's day."""
    page = phone.new_page()
    sign_in(page, "demo-worker")
    page.goto(path)
    page.wait_for_load_state("networkidle")
    transferred = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource')
              .filter((r) => !r.name.includes('/api/'));
            return nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0);
        }"""
    )
    assert 0 < transferred < 300_000, transferred


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_a_360_px_phone_scrolls_no_page_sideways(phone, path):
    page = phone.new_page()
    sign_in(page, "demo-worker")
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_touch_targets_are_at_least_44_px(phone, path):
    page = phone.new_page()
    sign_in(page, "demo-worker")
    page.goto(path)
    page.wait_for_load_state("networkidle")
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll('a, button, input, select, textarea, summary, label.button'))
            .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
            .filter((el) => !el.closest('.leaflet-marker-pane, .leaflet-overlay-pane'))
            // Check boxes and radios are inside 44 px labels; a visually hidden input's label is its target.
            .filter((el) => !(el.type === 'checkbox' || el.type === 'radio' || el.classList.contains('visually-hidden')))
            .map((el) => { const r = el.getBoundingClientRect(); return [el.outerHTML.slice(0, 80), r.width, r.height]; })
            .filter(([, w, h]) => w < 44 || h < 44)"""
    )
    assert small == []


def test_form_errors_are_said_next_to_their_fields(phone):
    page = phone.new_page()
    sign_in(page, "demo-worker")
    page.goto("/m/new")
    page.click("#save")
    for field in ("category", "title"):
        message = page.locator(f'[data-error-for="{field}"]')
        assert message.is_visible() and message.inner_text()


def test_a_refused_submit_keeps_what_was_typed(app, phone, cleanup):
    title = f"身份证号写错 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    page = phone.new_page()
    sign_in(page, "demo-worker")
    fill_dispute(page, title)
    page.fill("[name=party_id]", "110105194912310021")  # wrong check digit
    page.click("#save")
    error = page.locator('[data-error-for="parties"]')
    error.wait_for(state="visible")
    assert "check digit" in error.inner_text() or "校验" in error.inner_text()
    assert page.input_value("#title") == title
    assert page.input_value("[name=party_id]") == "110105194912310021"
    assert case_ids(app, title) == []
