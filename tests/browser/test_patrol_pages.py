"""A patrol on the grid worker's phone in a real Chromium (issue 16, Done means): the GPS track
faked along a known path and a finding recorded with no signal at all, the patrol kept on the
phone and sent once when the signal returns — stored with its track, its length within 5 % of
the path's — and the finding logged as a case in one tap, at the place it was found."""

from __future__ import annotations

import itertools
import math
import uuid

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from tests.browser.conftest import FENGQIAO_POINT, sign_in

pytestmark = pytest.mark.browser

EARTH_RADIUS_M = 6_371_008.8


def metres(a, b) -> float:
    (lon1, lat1), (lon2, lat2) = ((math.radians(x), math.radians(y)) for x, y in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def known_path() -> list[tuple[float, float]]:
    """From the phone's first fix: four steps east (~39 m each), three north (~33 m each)."""
    lon, lat = FENGQIAO_POINT["longitude"], FENGQIAO_POINT["latitude"]
    east = [(lon + 0.0004 * i, lat) for i in range(5)]
    north = [(east[-1][0], lat + 0.0003 * i) for i in range(1, 4)]
    return east + north


def worker_patrols(app) -> list:
    with app.app_context():
        return db.session.execute(
            sa.text(
                "SELECT p.id, p.distance_m, p.point_count, "
                "(SELECT count(*) FROM patrol_findings f WHERE f.patrol_id = p.id) AS findings "
                "FROM patrols p JOIN users u ON u.id = p.worker_id WHERE u.username = 'demo-worker'"
            )
        ).all()


def remove_patrols(app) -> None:
    with app.app_context():
        mine = (
            "SELECT p.id FROM patrols p JOIN users u ON u.id = p.worker_id WHERE u.username = 'demo-worker'"
        )
        db.session.execute(sa.text(f"DELETE FROM patrol_findings WHERE patrol_id IN ({mine})"))
        db.session.execute(sa.text(f"DELETE FROM patrol_grids WHERE patrol_id IN ({mine})"))
        db.session.execute(sa.text(f"DELETE FROM patrols WHERE id IN ({mine})"))
        db.session.commit()


def test_a_patrol_kept_offline_is_sent_once_and_its_finding_becomes_a_case(app, phone, desk, cleanup):
    note = f"井盖破损 {uuid.uuid4().hex[:6]}"
    cleanup.append(note)
    remove_patrols(app)
    try:
        page = phone.new_page()
        sign_in(page, "demo-worker")
        page.click("#patrol-link")
        page.wait_for_selector("#patrol-gps:has-text('GPS')")

        phone.set_offline(True)
        page.click("#patrol-start")
        path = known_path()
        page.wait_for_selector("#patrol-points:text-is('1')")
        for count, (lon, lat) in enumerate(path[1:], start=2):
            phone.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 8})
            page.wait_for_selector(f"#patrol-points:text-is('{count}')")
            if count == 3:  # a finding on the way, where the worker stands
                page.fill("#finding-note", note)
                page.select_option("#finding-category", "E0105")
                page.click("#finding-save")
                page.wait_for_selector(f"#finding-list >> text={note}")
        shown = int(page.inner_text("#patrol-distance"))
        page.click("#patrol-stop")
        page.wait_for_selector("#patrol-outbox:not([hidden])")
        assert page.inner_text("#patrol-outbox-count") == "1"
        assert worker_patrols(app) == []  # no signal: still on the phone

        phone.set_offline(False)
        with page.expect_navigation():  # sent, the page shows it among "My patrols"
            page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector(f"#my-patrols >> text={note}")
        assert page.locator("#patrol-outbox").is_hidden()
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )  # 360 px
        page.evaluate("Patrols.flush()")  # sending again sends nothing
        page.wait_for_timeout(300)
        (patrol,) = worker_patrols(app)
        expected = sum(metres(a, b) for a, b in itertools.pairwise(path))
        assert patrol.point_count == len(path) and patrol.findings == 1
        assert abs(patrol.distance_m - expected) / expected < 0.05
        assert abs(shown - expected) / expected < 0.05  # what the phone showed on the way

        with page.expect_navigation():
            page.click(f"#my-patrols .finding:has-text('{note}') button[type=submit]")
        assert "/m/cases/330681-" in page.url and note in page.inner_text("h1")
        with app.app_context():
            row = db.session.execute(
                sa.text(
                    "SELECT ST_X(c.location) AS lon, ST_Y(c.location) AS lat, c.category_code, f.case_id = c.id AS linked "
                    "FROM cases c JOIN patrol_findings f ON f.case_id = c.id WHERE c.title = :t"
                ),
                {"t": note},
            ).one()
        assert row.linked and row.category_code == "E0105"
        assert math.isclose(row.lon, path[2][0], abs_tol=1e-6) and math.isclose(
            row.lat, path[2][1], abs_tol=1e-6
        )
    finally:
        remove_patrols(app)
