"""条块联动 in a real Chromium: the township coordinator dispatches a wage-arrears dispute from
its case page (the proposed unit chosen, 司法所 ticked to assist); the labour office's handler
finds it in the unit's queue, signs for it and resolves it."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.demo import DEMO_TOWNSHIP_CODE, DEMO_UNIT_CODE
from gridcase.extensions import db
from gridcase.people.models import User
from tests.browser.conftest import sign_in
from tests.helpers import case_payload

pytestmark = pytest.mark.browser


def wage_arrears_case(app, title: str) -> str:
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        body = case_payload(
            worker.scope_code,
            kind="dispute",
            category="D1001",
            title=title,
            people_involved=12,
        )
        case = create_case(worker, body).case
        db.session.commit()
        assert case.level == "township"
        return case.public_number


def assignments_of(app, number: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                sa.text(
                    "SELECT a.unit_code, a.role, a.status FROM case_assignments a "
                    "JOIN cases c ON c.id = a.case_id WHERE c.public_number = :n ORDER BY a.id"
                ),
                {"n": number},
            )
        ]


def test_the_township_dispatches_and_the_labour_office_signs_and_resolves(app, browser, live_server, cleanup):
    title = f"拖欠农民工工资 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    number = wage_arrears_case(app, title)
    justice = f"{DEMO_TOWNSHIP_CODE}-sfs"

    centre = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 860}, locale="zh-CN"
    )
    page = centre.new_page()
    sign_in(page, "demo-township")
    page.goto(f"/desk/cases/{number}")
    page.click("#action-dispatch summary")
    # The category's default unit here is proposed and already chosen.
    assert page.locator("#dispatch-lead").input_value() == DEMO_UNIT_CODE
    page.check(f"#action-dispatch input[name=assist_units][value='{justice}']")
    page.fill("#action-dispatch textarea[name=requirement]", "三个工作日内核实欠薪人数和金额")
    page.click("#action-dispatch button[type=submit]")
    page.wait_for_selector(".flash-success")
    units = page.locator("#assignments")
    assert units.locator("tr", has_text="枫桥镇人力社保所").locator("text=待签收").count() == 1
    assert units.locator("tr", has_text="枫桥镇司法所").count() == 1
    assert assignments_of(app, number) == [
        (DEMO_UNIT_CODE, "lead", "pending"),
        (justice, "assist", "pending"),
    ]
    centre.close()

    office = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 860}, locale="zh-CN"
    )
    page = office.new_page()
    sign_in(page, "demo-unit")
    assert page.url.endswith("/desk/unit")
    row = page.locator("#unit-queue tr", has_text=title)
    assert row.count() == 1 and "待签收" in row.inner_text()
    assert row.locator(".light").count() == 1  # each case with its light
    row.locator("a").first.click()
    page.wait_for_url(f"**/desk/cases/{number}")
    assert page.locator("#assignments", has_text="三个工作日内核实欠薪人数和金额").count() == 1

    page.click("#action-sign summary")
    page.click("#action-sign button[type=submit]")
    page.wait_for_selector(".flash-success")
    page.click("#action-resolve summary")
    page.select_option("#action-resolve select[name=outcome]", "mediated")
    page.fill("#action-resolve textarea[name=summary]", "企业已足额支付12名工人工资")
    page.click("#action-resolve button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator(".badges", has_text="已化解").count() == 1
    timeline = page.locator(".timeline").inner_text()
    assert timeline.index("签收") < timeline.index("派遣")  # newest first, each step told
    assert assignments_of(app, number)[0] == (DEMO_UNIT_CODE, "lead", "done")
    office.close()
