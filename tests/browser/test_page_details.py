"""Details of the pages in a real Chromium (issue 19): a dispute's people read on a 360 px phone,
one person a card, no value cut or one character wide."""

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


def test_a_disputes_people_read_on_a_360_px_phone(app, phone, cleanup):
    title = f"邻里纠纷显示测试 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        parties = [
            {"name": "张三", "role": "applicant", "id_number": "330681198001011234", "phone": "13812345678"},
            {"name": "李四", "role": "respondent", "phone": "13987654321"},
        ]
        body = case_payload(worker.scope_code, title=title, kind="dispute", category="D02", parties=parties)
        number = create_case(worker, body).case.public_number
        db.session.commit()
    page = phone.new_page()
    sign_in(page, "demo-worker")
    page.goto(f"/m/cases/{number}")
    cells = page.locator(".people-table td")
    assert cells.count() >= 8
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    for index in range(cells.count()):
        box = cells.nth(index).bounding_box()
        assert box["height"] < 40 and box["width"] > 150, cells.nth(index).inner_text()  # one line, wide
    assert "申请人" in cells.nth(0).inner_text()
    # Each value beside its name: the column's name is drawn before it.
    label = cells.nth(0).evaluate("td => getComputedStyle(td, '::before').content")
    assert label not in ("none", "normal", '""')


def test_the_auditors_filters_sit_side_by_side(browser, live_server, app):
    """The review's 82: every field of the auditor's filter form stretched across the page."""
    import pyotp

    from gridcase.people.auth import create_user
    from gridcase.settings import cipher, utcnow

    username, secret = f"auditor-{uuid.uuid4().hex[:8]}", pyotp.random_base32()
    with app.app_context():
        user = create_user(username, "correct-horse-battery", "auditor", "330681000000", "审计员")
        user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
        user.totp_confirmed_at = utcnow()
        db.session.commit()
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 768}, locale="zh-CN"
    )
    page = context.new_page()
    sign_in(page, username, "correct-horse-battery", secret)
    page.goto("/audit/")
    boxes = [page.locator(".filters-row > label").nth(i).bounding_box() for i in range(5)]
    assert all(box["width"] < 400 for box in boxes)
    assert len({round(box["y"]) for box in boxes}) == 1  # one row at 1366 px
    context.close()
