"""The command centre's dashboard in a real Chromium at 1920×1080: the tiles show the API's
indicators, open cases are drawn with their lights, alerts are listed, and a click drills down."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.settings import utcnow
from gridcase.stats.rollups import refresh_rollups
from tests.browser.conftest import sign_in
from tests.helpers import case_payload

pytestmark = pytest.mark.browser


@pytest.fixture
def some_cases(app, cleanup):
    """Three open cases in demo-worker's grid, one of them major (a red alert)."""
    titles = [f"大屏测试{n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    cleanup.extend(titles)
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        for n, title in enumerate(titles):
            create_case(
                worker,
                case_payload(worker.scope_code, title=title, severity="major" if n == 0 else "general"),
                now=utcnow() - timedelta(hours=3),
            )
        db.session.commit()
        refresh_rollups()
        db.session.commit()
    return titles


def children_of(app, code: str) -> list[str]:
    """The names of a territory node's children, by code."""
    from gridcase.territory.models import Region

    with app.app_context():
        return list(
            db.session.scalars(sa.select(Region.name).where(Region.parent_code == code).order_by(Region.code))
        )


def test_the_city_commander_lands_on_a_live_dashboard(app, browser, live_server, some_cases, commander):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1920, "height": 1080}, locale="zh-CN"
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, *commander)
    assert page.url.endswith("/dashboard/")
    page.wait_for_selector("#refreshed:has-text('更新于')")

    api = page.request.get(
        f"/api/v1/stats?region=330681000000&from={page.input_value('#from')}&to={page.input_value('#to')}"
    )
    accepted = api.json()["indicators"]["accepted"]
    assert accepted >= 3
    assert page.locator(".tile[data-key=accepted] .tile-value").inner_text() == str(accepted)

    assert page.locator("#children tbody tr").count() == len(children_of(app, "330681000000"))
    assert page.locator("#alerts li", has_text=some_cases[0]).count() == 1
    assert page.locator("#dash-map canvas").count() > 0  # areas and points drawn (Leaflet canvas)
    assert errors == []

    page.locator("#children a", has_text="枫桥镇").click()
    page.wait_for_url("**region=330681109000**")
    page.wait_for_selector("#refreshed:has-text('更新于')")
    assert "枫桥镇" in page.locator(".crumbs").inner_text()
    assert page.locator("#children tbody tr").count() == len(children_of(app, "330681109000"))
    context.close()


def test_a_township_coordinator_sees_only_their_township(browser, live_server):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 860}, locale="zh-CN"
    )
    page = context.new_page()
    sign_in(page, "demo-township")
    response = page.goto("/dashboard/?region=330681001000")  # 暨阳街道: not theirs
    assert response.status == 404
    page.goto("/dashboard/")
    page.wait_for_selector("#refreshed:has-text('更新于')")
    assert page.locator(".crumbs").inner_text().strip() == "枫桥镇"
    context.close()


def test_drill_down_to_a_community_and_export_xlsx_matching_the_api(
    browser, live_server, some_cases, tmp_path, commander
):
    from openpyxl import load_workbook

    context = browser.new_context(
        base_url=live_server, viewport={"width": 1920, "height": 1080}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    sign_in(page, *commander)
    page.goto("/dashboard/?region=330681109000")
    page.wait_for_selector("#refreshed:has-text('更新于')")
    page.locator("#children a", has_text="杜黄新村").click()
    page.wait_for_url("**region=330681109901**")
    page.wait_for_selector("#refreshed:has-text('更新于')")
    assert page.locator(".crumbs").inner_text().replace(" ", "") == "诸暨市›枫桥镇›杜黄新村"

    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = tmp_path / "stats.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    node_row = next(r for r in rows[1:] if r[header.index("区域名称")] == "杜黄新村")
    api = page.request.get(
        f"/api/v1/stats?region=330681109901&from={page.input_value('#from')}&to={page.input_value('#to')}"
    ).json()
    accepted_column = next(i for i, h in enumerate(header) if h and "受理数" in str(h))
    assert node_row[accepted_column] == api["indicators"]["accepted"]
    context.close()


def test_the_monthly_report_prints_the_month_against_the_last(browser, live_server, some_cases):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    sign_in(page, "demo-township")
    page.goto("/dashboard/")
    page.click("text=月报")
    page.wait_for_url("**/reports/monthly?region=330681109000")
    assert "枫桥镇" in page.locator("h1").inner_text()
    accepted_row = page.locator("tr", has_text="受理数").first
    assert int(accepted_row.locator("td").nth(1).inner_text()) >= 3
    assert page.locator("h2", has_text="需要关注的村社区").count() == 1
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_wall_screen_shows_the_whole_city_in_one_screen(
    app, browser, live_server, some_cases, commander, lang
):
    """The review's 53 and 52: at 1920×1080 the map of the whole city with each township named,
    the KPI tiles, the alerts and the by-area table all show without scrolling."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1920, "height": 1080}, locale="zh-CN"
    )
    page = context.new_page()
    sign_in(page, *commander)
    page.goto(f"/dashboard/?lang={lang}")
    page.wait_for_selector(
        "#refreshed:has-text('更新于')" if lang == "zh" else "#refreshed:has-text('Updated')"
    )
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
    for panel in (".tiles", "#dash-map", ".dash-alerts", ".dash-trend", ".dash-children"):
        box = page.locator(panel).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 1080, panel
        assert box["width"] > 300, panel
    townships = children_of(app, "330681000000")
    # every township's row of the table is in view, none hidden in a scrolled panel
    assert page.locator("#children tbody tr").count() == len(townships)
    assert page.evaluate(
        "(() => { const c = document.querySelector('.dash-children'); return c.scrollHeight <= c.clientHeight"
        " && c.scrollWidth <= c.clientWidth; })()"
    )
    # each township named on the map, inside the map's frame
    labels = page.locator("#dash-map .area-label")
    assert labels.count() == len(townships)
    texts = labels.all_inner_texts()
    assert {label.split(" ")[0] for label in texts} == set(townships)
    # each named with its open cases (the three of some_cases lie in 枫桥镇)
    assert int(next(t for t in texts if t.startswith("枫桥镇")).split(" ")[1]) >= 3
    map_box = page.locator("#dash-map").bounding_box()
    # the areas are drawn over the whole frame, not on a canvas of the size the page first had
    # (Leaflet sizes its canvas to the map, plus a margin, when told the map's size)
    assert page.evaluate(
        "(() => { const map = document.querySelector('#dash-map'), canvas = map.querySelector('canvas');"
        " return parseFloat(canvas.style.width) >= map.clientWidth"
        " && parseFloat(canvas.style.height) >= map.clientHeight; })()"
    )
    for label in labels.all():
        box = label.bounding_box()
        assert map_box["x"] <= box["x"] and box["x"] + box["width"] <= map_box["x"] + map_box["width"] + 1
        assert map_box["y"] <= box["y"] and box["y"] + box["height"] <= map_box["y"] + map_box["height"] + 1
    context.close()


def test_a_click_on_a_grid_opens_its_open_cases(app, browser, live_server, commander):
    """The review's 73: at village level a click on a grid led nowhere. The grid is the bottom of
    the drill-down; a click on it opens its open cases in the queue."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1920, "height": 1080}, locale="zh-CN"
    )
    page = context.new_page()
    sign_in(page, *commander)
    # A village of 东和乡, where no test logs cases: no case's point lies over a grid's label.
    community = codes_of_children(app, "330681201000")[0]
    page.goto(f"/dashboard/?region={community}")
    page.wait_for_selector("#refreshed:has-text('更新于')")
    grids = dict(zip(children_of(app, community), codes_of_children(app, community), strict=True))
    label = page.locator("#dash-map .area-label").first
    name = label.inner_text().split(" ")[0]
    box = label.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] + 2)
    page.wait_for_url("**/desk/?**")
    assert f"region={grids[name]}" in page.url and "status=pending" in page.url
    assert page.locator("h1", has_text="案件").count() == 1
    context.close()


def codes_of_children(app, code: str) -> list[str]:
    from gridcase.territory.models import Region

    with app.app_context():
        return list(
            db.session.scalars(sa.select(Region.code).where(Region.parent_code == code).order_by(Region.code))
        )
