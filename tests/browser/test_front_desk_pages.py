"""一窗受理 in a real Chromium: a visitor comes to the 枫桥镇 矛调中心; the township's coordinator
opens the front desk from the workbench, records who came and what about, puts the pin where it
happened on the map, and accepts it at the township; the case page shows it in progress there
with the visitor masked."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from tests.browser.conftest import FENGQIAO_POINT, sign_in

pytestmark = pytest.mark.browser


def test_a_visitor_registered_at_the_township_desk_and_accepted_there(app, desk, cleanup):
    title = f"讨薪来访 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    page = desk.new_page()
    sign_in(page, "demo-township")
    page.click("#front-desk-link")
    page.wait_for_url("**/desk/new")
    page.select_option("select[name=source]", "visit")
    page.fill("input[name='informant.name']", "钱多多")
    page.fill("input[name='informant.phone']", "13566667777")
    page.check("input[name=kind][value=dispute]")
    page.select_option("select[name=category]", "D1001")
    page.fill("input[name=title]", title)
    page.fill("textarea[name=description]", "在工地干了三个月，老板一直拖欠工资")
    page.fill("input[name='parties.0.name']", "钱多多")
    page.fill("input[name='parties.1.name']", "某劳务公司")
    # A real click on the map where the point is drawn puts the pin there.
    x, y = page.evaluate(
        """([lon, lat]) => {
            const grid = document.getElementById("desk-map").gridMap;
            const at = grid.map.latLngToContainerPoint(grid.toDisplay(lon, lat));
            return [at.x, at.y];
        }""",
        [FENGQIAO_POINT["longitude"], FENGQIAO_POINT["latitude"]],
    )
    page.click("#desk-map", position={"x": x, "y": y})
    assert abs(float(page.input_value("#pin-lon")) - FENGQIAO_POINT["longitude"]) < 0.001
    page.check("input[name=disposition][value=accept]")
    page.click("#front-desk button[type=submit]")
    page.wait_for_url("**/desk/cases/*")
    assert page.locator(".flash-success", has_text="已登记").count() == 1
    assert page.locator(".badges", has_text="办理中").count() == 1
    people = page.locator("section", has_text="反映人")
    assert people.locator("td", has_text="钱**").count() >= 1 and "13566667777" not in page.content()
    with app.app_context():
        row = db.session.execute(
            sa.text(
                "SELECT c.source, c.level, c.status, u.username FROM cases c "
                "JOIN users u ON u.id = c.assignee_id WHERE c.title = :t"
            ),
            {"t": title},
        ).one()
    assert tuple(row) == ("visit", "township", "in_progress", "demo-township")
