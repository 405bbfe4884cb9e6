"""The public pages on a 360 px phone in a real Chromium (issue 18): a citizen files a report with
a pin and is given its number and code; the community resolves it; the citizen follows it to
resolved and answers its 回访 with the same code."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gridcase.cases.models import Case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.settings import utcnow

pytestmark = pytest.mark.browser


def test_a_citizen_reports_follows_to_resolved_and_rates_it(app, phone, cleanup):
    description = f"公交站旁垃圾满地 {uuid.uuid4().hex[:6]}"
    cleanup.append(description)  # (a public report is titled by its first line)
    page = phone.new_page()
    page.goto("/public/")
    page.click("text=我要反映 >> nth=-1")
    page.select_option("#category", "E0102")
    page.click("#locate")  # the phone's GPS: a point in demo-worker's grid
    page.wait_for_selector("#pin-status:text-is('已标记位置。')")
    page.fill("textarea[name=description]", description)
    page.fill("input[name=phone]", "13900003333")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.click("#send")
    page.wait_for_selector("#reported", timeout=30000)
    number = page.inner_text("#case-number").strip()
    code = page.inner_text("#tracking-code").strip()
    assert len(code) == 8 and "13900003333" not in page.content()

    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
        assert (case.source, case.level) == ("public", "community")
        mediator = db.session.scalar(sa.select(User).where(User.username == "demo-community"))
        now = utcnow()
        perform_action(mediator, case.id, "accept", case.version, {}, now=now)
        perform_action(
            mediator, case.id, "resolve", case.version, {"outcome": "other", "summary": "已清运"}, now=now
        )
        db.session.commit()

    page.goto("/public/track")
    page.fill("input[name=number]", number)
    page.fill("input[name=code]", code.lower())  # typed in any case
    page.click("button[type=submit]")
    page.wait_for_selector("#report-status")
    assert "已化解" in page.inner_text("#status-text")
    assert "已清运" not in page.content()  # the handler's words stay inside
    page.check("input[name=satisfaction][value=satisfied]")
    page.click("#revisit-form button[type=submit]")
    page.wait_for_selector("#thanks")
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.public_number == number))
        assert (case.satisfaction, case.revisit_method) == ("satisfied", "code")
