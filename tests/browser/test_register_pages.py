"""A party picked from the grid's residents (人房事物) on the phone's new-case form, in a real
Chromium (issue 16): the register imported for demo-worker's grid, the resident found by the
house's number, shown masked, and the case saved with the register's details (encrypted)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gridcase.cases.models import Case
from gridcase.extensions import db
from gridcase.gridwork.register import import_register
from gridcase.people.models import User
from gridcase.settings import cipher, utcnow
from tests.browser.conftest import sign_in
from tests.browser.test_worker_pages import fill_dispute
from tests.integration.test_register import GOOD_ID, workbook

pytestmark = pytest.mark.browser


def test_a_party_picked_from_the_register_on_the_phone(app, phone, cleanup):
    title = f"邻里纠纷 {uuid.uuid4().hex[:6]}"
    cleanup.append(title)
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        grid = worker.grids[0].code
        import_register(worker, grid, workbook(grid), utcnow())
        db.session.commit()
    try:
        page = phone.new_page()
        sign_in(page, "demo-worker")
        fill_dispute(page, title)  # with a typed party, 张三
        page.fill("#resident-search", "3组21号")
        page.click("#resident-find")
        page.click(".resident-pick >> text=王**")
        assert page.input_value(".party >> nth=1 >> [name=party_name]") == "王**"
        page.click("#save")
        page.wait_for_url("**/m/cases/330681-*")
        with app.app_context():
            case = db.session.scalar(sa.select(Case).where(Case.title == title))
            names = sorted(cipher().decrypt(p.name_encrypted, "name") for p in case.parties)
            ids = [
                cipher().decrypt(p.id_number_encrypted, "id_number")
                for p in case.parties
                if p.id_number_encrypted
            ]
        assert names == ["张三", "王秀英"] and ids == [GOOD_ID]
        assert "王秀英" not in page.content()  # masked on the page
    finally:
        with app.app_context():
            for table in ("residents", "houses", "places"):
                db.session.execute(sa.text(f"DELETE FROM {table} WHERE grid_code = :g"), {"g": grid})
            db.session.commit()
