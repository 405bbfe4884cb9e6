"""Risk alerts one can act on, in a real Chromium: a mass-incident alert on the command centre's
list opens its page, is assessed (研判) and closed (销号) there."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.extensions import db
from gridcase.people.models import User
from tests.browser.conftest import sign_in
from tests.helpers import case_payload

pytestmark = pytest.mark.browser


def mass_incident(app, title: str) -> str:
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        case = create_case(worker, case_payload(worker.scope_code, title=title, people_involved=30)).case
        db.session.commit()
        return case.public_number


def test_the_township_assesses_and_closes_an_alert_from_the_dashboard(app, desk, cleanup):
    title = f"工地聚集 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    number = mass_incident(app, title)

    page = desk.new_page()
    sign_in(page, "demo-township")
    page.goto("/dashboard/")
    link = page.locator("#alerts a", has_text=number)
    link.wait_for()
    link.click()
    page.wait_for_url("**/dashboard/alerts/*")
    assert page.locator("#alert-cases a", has_text=title).count() == 1

    page.click("#action-assess summary")
    page.fill("#action-assess textarea[name=assessment]", "30名工人聚集讨薪，情绪激动")
    page.select_option("#action-assess select[name=risk_grade]", "high")
    page.fill("#action-assess input[name=responsible]", "枫桥镇人力社保所")
    page.fill("#action-assess input[name=response_due]", "2099-12-31")
    page.click("#action-assess button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator("#alert", has_text="枫桥镇人力社保所").count() == 1

    page.click("#action-close summary")
    page.select_option("#action-close select[name=outcome]", "defused")
    page.fill("#action-close textarea[name=note]", "已协调支付工资，人员散去")
    page.click("#action-close button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator("#alert .badges", has_text="已销号").count() == 1
    with app.app_context():
        row = db.session.execute(
            sa.text(
                "SELECT a.status, a.risk_grade, a.close_outcome FROM alerts a JOIN alert_cases ac "
                "ON ac.alert_id = a.id JOIN cases c ON c.id = ac.case_id WHERE c.public_number = :n"
            ),
            {"n": number},
        ).one()
    assert tuple(row) == ("closed", "high", "defused")
