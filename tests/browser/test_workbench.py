"""The coordinators' workbench in a real Chromium: a case the sweep escalated appears in the
township's queue, and is accepted and resolved through the page's forms; forms without their
CSRF token are refused."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.people.models import User
from gridcase.settings import utcnow
from tests.browser.conftest import sign_in
from tests.helpers import case_payload

pytestmark = pytest.mark.browser


def overdue_community_case(app, title: str) -> str:
    """A case logged ten days ago at the community level, escalated by a sweep now."""
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        case = create_case(
            worker,
            case_payload(worker.scope_code, title=title, category="E0105"),
            now=utcnow() - timedelta(days=10),
        ).case
        number = case.public_number
        db.session.commit()
        report = sweep()
        db.session.commit()
        assert (number, "community", "township") in report.escalated
        return number


def test_township_accepts_and_resolves_an_escalated_case(app, desk, cleanup):
    title = f"河道漂浮物 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    number = overdue_community_case(app, title)

    page = desk.new_page()
    sign_in(page, "demo-township")
    assert page.url.endswith("/desk/")
    row = page.locator("tr", has_text=title)
    assert row.count() == 1
    assert "镇街" in row.inner_text()  # at the township level now

    row.locator("a").first.click()
    page.wait_for_url(f"**/desk/cases/{number}")
    assert page.locator(".timeline", has_text="超期自动升级").count() == 1

    page.click("#action-accept summary")
    page.click("#action-accept button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator(".badges", has_text="办理中").count() == 1

    page.click("#action-resolve summary")
    page.select_option("#action-resolve select[name=outcome]", "referred_to_department")
    page.fill("#action-resolve textarea[name=summary]", "已通知水利站清理")
    page.click("#action-resolve button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator(".badges", has_text="已化解").count() == 1
    with app.app_context():
        status, level = db.session.execute(
            sa.text("SELECT status, resolved_level FROM cases WHERE public_number = :n"), {"n": number}
        ).one()
    assert (status, level) == ("resolved", "township")


def test_a_failed_action_keeps_what_was_typed_next_to_its_field(app, desk, cleanup):
    title = f"超长延期 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    number = overdue_community_case(app, title)
    page = desk.new_page()
    sign_in(page, "demo-township")
    page.goto(f"/desk/cases/{number}")
    page.click("#action-accept summary")
    page.click("#action-accept button[type=submit]")
    page.wait_for_selector(".flash-success")
    page.click("#action-request_extension summary")
    page.fill("#action-request_extension input[name=days]", "45")
    page.fill("#action-request_extension textarea[name=reason]", "等待第三方检测报告")
    page.click("#action-request_extension button[type=submit]")
    error = page.locator("#action-request_extension .field-error")
    error.wait_for()
    assert error.inner_text()
    assert page.input_value("#action-request_extension input[name=days]") == "45"
    assert page.input_value("#action-request_extension textarea[name=reason]") == "等待第三方检测报告"


def test_forms_without_csrf_token_are_refused(app, desk, cleanup):
    title = f"跨站请求 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    number = overdue_community_case(app, title)
    page = desk.new_page()
    sign_in(page, "demo-township")
    response = page.request.post(f"/desk/cases/{number}", form={"action": "accept", "version": "2"})
    assert response.status == 400
    assert "CSRF" in response.text()
    api = page.request.post(
        f"/api/v1/cases/{number}/actions",
        data={"action": "accept", "version": 2},
        headers={"Content-Type": "application/json"},
    )
    assert api.status == 403  # the session cookie alone does not authorise a change
    with app.app_context():
        assert (
            db.session.scalar(sa.text("SELECT status FROM cases WHERE public_number = :n"), {"n": number})
            == "pending"
        )
