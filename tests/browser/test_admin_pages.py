"""The administrator's user pages in a real Chromium: sign in with the second factor, create a grid
worker through the form, see its one-time password, and find it in the list."""

from __future__ import annotations

import uuid

import pyotp
import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.people.models import User
from tests.browser.conftest import sign_in
from tests.helpers import FENGQIAO, grid_in

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_login(app):
    """An administrator of its own (two-factor codes are single use): (username, password,
    TOTP secret). It and the users its test made are removed afterwards."""
    from gridcase.people.auth import create_user
    from gridcase.settings import cipher, utcnow

    username, secret = f"admin-{uuid.uuid4().hex[:8]}", pyotp.random_base32()
    with app.app_context():
        user = create_user(username, "correct-horse-battery", "admin", "330681000000", "系统管理员")
        user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
        user.totp_confirmed_at = utcnow()
        db.session.commit()
    made = [username]
    yield username, "correct-horse-battery", secret, made
    with app.app_context():
        db.session.execute(sa.delete(User).where(User.username.in_(made)))
        db.session.commit()


def test_an_admin_creates_a_grid_worker_and_finds_it_in_the_list(app, desk, admin_login):
    username, password, secret, made = admin_login
    worker = f"worker-{uuid.uuid4().hex[:8]}"
    made.append(worker)
    with app.app_context():
        grid = grid_in(FENGQIAO).code
    page = desk.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, username, password, secret)
    assert page.url.endswith("/admin/users")

    form = page.locator("form[aria-labelledby=new-user]")
    form.locator("input[name=username]").fill(worker)
    form.locator("input[name=display_name]").fill("浏览器网格员")
    form.locator("select[name=role]").select_option("grid_worker")
    form.locator("input[name=scope]").fill(grid)
    form.get_by_role("button", name="创建用户").click()
    page.wait_for_url("**/admin/users/*")
    assert len(page.inner_text("#password")) >= 12  # the generated password, shown once

    page.get_by_role("link", name="全部用户").click()
    row = page.locator("#users tbody tr", has_text=worker)
    assert row.count() == 1 and "网格员" in row.inner_text() and grid in row.inner_text()
    assert errors == []


def test_the_scope_and_grids_are_picked_from_the_territory(app, desk, admin_login):
    """The review's 81: 负责网格 and scope were typed as codes with no picker. Township, then
    community, then grid are chosen by name; the codes land in the form's fields."""
    from gridcase.territory.models import Region

    username, password, secret, made = admin_login
    worker = f"worker-{uuid.uuid4().hex[:8]}"
    made.append(worker)
    with app.app_context():
        first, second = grid_in(FENGQIAO), grid_in(FENGQIAO, 1)
        community = db.session.get(Region, first.community_code)
        names = {"community": community.name, "first": first.name, "second": second.name}
        codes = (first.code, second.code, first.community_code)
    page = desk.new_page()
    sign_in(page, username, password, secret)
    form = page.locator("form[aria-labelledby=new-user]")
    picker = form.locator(".territory-picker")
    picker.get_by_label("镇街").select_option(label=f"枫桥镇 {FENGQIAO}")
    picker.get_by_label("村（社区）").select_option(label=f"{names['community']} {codes[2]}")
    picker.get_by_label("网格").select_option(label=f"{names['first']} {codes[0]}")
    picker.get_by_role("button", name="设为管辖范围").click()
    assert form.locator("input[name=scope]").input_value() == codes[0]
    picker.get_by_label("网格").select_option(label=f"{names['second']} {codes[1]}")
    picker.get_by_role("button", name="加入负责网格").click()
    assert form.locator("input[name=grids]").input_value() == codes[1]

    form.locator("input[name=username]").fill(worker)
    form.get_by_role("button", name="创建用户").click()
    page.wait_for_url("**/admin/users/*")
    with app.app_context():
        created = db.session.scalar(sa.select(User).where(User.username == worker))
        assert created.scope_code == codes[0] and codes[1] in {g.code for g in created.grids}
