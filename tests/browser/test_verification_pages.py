"""核查 on the phone in a real Chromium: the community resolves a case of demo-worker's grid; the
worker finds it under "to verify" on the phone's home page and verifies it there; it is closed."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.extensions import db
from gridcase.people.models import User
from tests.browser.conftest import sign_in
from tests.helpers import case_payload

pytestmark = pytest.mark.browser


def community_resolved_case(app, title: str) -> str:
    with app.app_context():
        users = {
            u.username: u for u in db.session.scalars(sa.select(User).where(User.username.like("demo-%")))
        }
        worker, mediator = users["demo-worker"], users["demo-community"]
        case = create_case(worker, case_payload(worker.scope_code, title=title, category="E0105")).case
        perform_action(
            mediator, case.id, "resolve", case.version, {"outcome": "other", "summary": "已通知清理"}
        )
        db.session.commit()
        return case.public_number


def test_the_grid_worker_verifies_a_community_resolution_on_the_phone(app, phone, cleanup):
    title = f"垃圾堆放 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    number = community_resolved_case(app, title)

    page = phone.new_page()
    sign_in(page, "demo-worker")
    item = page.locator("#to-verify a", has_text=title)
    assert item.count() == 1
    item.click()
    page.wait_for_url(f"**/m/cases/{number}")
    page.click("#action-verify summary")
    page.fill("#action-verify textarea[name=note]", "现场查看，已清理干净")
    page.click("#action-verify button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator(".badges", has_text="已办结").count() == 1
    with app.app_context():
        status, verifier = db.session.execute(
            sa.text(
                "SELECT c.status, u.username FROM cases c JOIN case_events e ON e.case_id = c.id "
                "JOIN users u ON u.id = e.actor_id WHERE c.public_number = :n AND e.action = 'verify'"
            ),
            {"n": number},
        ).one()
    assert (status, verifier) == ("closed", "demo-worker")
    page.goto("/m/")
    assert page.locator("#to-verify a", has_text=title).count() == 0
