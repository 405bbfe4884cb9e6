"""督办单 in a real Chromium: the city command centre supervises a township case from its page;
the township finds it marked in its queue and replies; the centre accepts the reply."""

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
DESK = {"width": 1366, "height": 860}


def township_case(app, title: str) -> str:
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        body = case_payload(
            worker.scope_code, kind="dispute", category="D1001", title=title, people_involved=12
        )
        case = create_case(worker, body).case
        db.session.commit()
        return case.public_number


def test_supervise_reply_and_accept(app, browser, live_server, commander, cleanup):
    title = f"欠薪督办 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    number = township_case(app, title)
    city = browser.new_context(base_url=live_server, viewport=DESK, locale="zh-CN").new_page()
    username, password, secret = commander
    sign_in(city, username, password, secret)
    city.goto(f"/desk/cases/{number}")
    city.click("#action-supervise summary")
    city.fill("#action-supervise textarea[name=note]", "三个工作日内落实欠薪支付方案")
    city.click("#action-supervise button[type=submit]")
    city.wait_for_selector(".flash-success")
    assert city.locator("#supervisions", has_text="黄牌").count() == 1

    township = browser.new_context(base_url=live_server, viewport=DESK, locale="zh-CN").new_page()
    sign_in(township, "demo-township")
    row = township.locator("tr", has_text=title)
    assert row.locator(".supervision-mark").count() == 1
    row.locator("a").first.click()
    township.wait_for_url(f"**/desk/cases/{number}")
    township.click("#action-reply_supervision summary")
    township.fill("#action-reply_supervision textarea[name=text]", "已约谈企业，月底前一次性支付")
    township.click("#action-reply_supervision button[type=submit]")
    township.wait_for_selector(".flash-success")

    city.goto(f"/desk/cases/{number}")
    assert city.locator("#supervisions", has_text="已约谈企业").count() == 1
    city.click("#action-evaluate_supervision summary")
    city.click("#action-evaluate_supervision button[type=submit]")  # accept, the default
    city.wait_for_selector(".flash-success")
    with app.app_context():
        status = db.session.scalar(
            sa.text(
                "SELECT s.status FROM supervisions s JOIN cases c ON c.id = s.case_id WHERE c.public_number = :n"
            ),
            {"n": number},
        )
    assert status == "accepted"
