"""The administrator's user pages (/admin/users): the city's users, a new user with a password
shown once, changes, disabling and resets, each audited; refused forms say why next to the field."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from gridcase.audit.models import AuditEntry
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.settings import cipher, utcnow
from tests.helpers import CITY, FENGQIAO, JIYANG, OTHER_CITY, add_other_city, grid_in
from tests.integration.test_attachments_and_pages import csrf_from, sign_in


@pytest.fixture
def admin(app, make_user):
    """An administrator of the demo city with an authenticator, signed in to the pages:
    (test client, user)."""
    user = make_user("admin", CITY, display_name="市系统管理员")
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
    user.totp_confirmed_at = utcnow()
    db.session.flush()
    client = app.test_client()
    assert sign_in(client, user.username).headers["Location"] == "/login/second-factor"
    token = csrf_from(client.get("/login/second-factor").data)
    landed = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert landed.status_code == 302
    client.landing = landed.headers["Location"]
    return client, user


def post_form(client, path: str, data: dict, page: str | None = None):
    """Post a page form with the CSRF token of the page it is on."""
    token = csrf_from(client.get(page or path).data)
    return client.post(path, data={**data, "csrf_token": token})


def error_next_to(html: str, form: str, field: str) -> str:
    """The error shown right after a field's input (which is marked invalid), or ''."""
    match = re.search(
        rf'name="{field}"[^>]*aria-invalid="true" aria-describedby="{form}-{field}-error">\s*</label>'
        rf'<p class="field-error" role="alert" id="{form}-{field}-error">([^<]*)</p>',
        html,
    )
    return match.group(1) if match else ""


def row_of(html: str, username: str) -> str:
    """The table row of one user."""
    match = re.search(rf"<tr[^>]*>\s*<td><a [^>]*>{re.escape(username)}</a>.*?</tr>", html, re.S)
    return match.group(0) if match else ""


def shown_password(html: str) -> str | None:
    match = re.search(r'<strong id="password">([^<]+)</strong>', html)
    return match.group(1) if match else None


def audit_of(username: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(sa.select(AuditEntry).where(AuditEntry.target == username).order_by(AuditEntry.id))
    )


def new_user_form(**fields) -> dict:
    form = {"username": "new-worker", "display_name": "新网格员", "role": "grid_worker", "password": ""}
    form.setdefault("scope", grid_in(FENGQIAO).code)
    return {**form, **fields}


def test_an_admin_lands_on_the_users_of_their_city_and_no_other(admin, make_user):
    client, me = admin
    add_other_city()
    outsider = make_user("auditor", OTHER_CITY, "outsider-auditor")
    worker = make_user("grid_worker", grid_in(FENGQIAO).code, "fq-worker", display_name="枫桥网格员")
    mediator = make_user("community_mediator", grid_in(FENGQIAO).community_code, "fq-mediator")
    db.session.commit()  # a refused form rolls back what is not committed (the test's savepoint)
    assert client.landing == "/admin/users"

    page = client.get("/admin/users").get_data(as_text=True)
    assert "fq-worker" in page and "fq-mediator" in page and me.username in page
    assert "outsider-auditor" not in page
    row = row_of(page, "fq-mediator")
    assert "村社调解员" in row and grid_in(FENGQIAO).community_code in row  # role label and scope
    assert grid_in(FENGQIAO).code in row_of(page, "fq-worker")  # the grid worker's grid
    assert client.get(f"/admin/users/{worker.id}").status_code == 200
    assert client.get(f"/admin/users/{outsider.id}").status_code == 404
    refused = post_form(
        client, f"/admin/users/{outsider.id}", {"form": "active", "active": "false"}, "/admin/users"
    )
    assert refused.status_code == 404 and db.session.get(User, outsider.id).active

    by_role = client.get("/admin/users?role=community_mediator").get_data(as_text=True)
    assert "fq-mediator" in by_role and "fq-worker" not in by_role
    by_name = client.get("/admin/users?q=枫桥网格").get_data(as_text=True)
    assert "fq-worker" in by_name and mediator.username not in by_name


def test_a_new_user_gets_a_generated_password_shown_once_that_signs_in(app, admin):
    client, admin_user = admin
    created = post_form(client, "/admin/users", new_user_form())
    user = db.session.scalar(sa.select(User).where(User.username == "new-worker"))
    assert created.status_code == 302 and created.headers["Location"] == f"/admin/users/{user.id}"

    page = client.get(f"/admin/users/{user.id}")
    password = shown_password(page.get_data(as_text=True))
    assert password and password not in created.headers["Location"]
    assert page.headers["Cache-Control"] == "no-store"
    assert "已创建用户 new-worker" in page.get_data(as_text=True)
    assert shown_password(client.get(f"/admin/users/{user.id}").get_data(as_text=True)) is None  # once

    signed_in = sign_in(app.test_client(), "new-worker", password)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/m/"
    created_entries = [e for e in audit_of("new-worker") if e.action == "user_created"]
    assert [(e.details["role"], e.details["scope"]) for e in created_entries] == [
        ("grid_worker", grid_in(FENGQIAO).code)
    ]
    assert created_entries[0].actor_id == admin_user.id  # who created it


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"scope": FENGQIAO}, "scope", "needs a scope at grid level"),  # a township for a grid worker
        ({"scope": "999999999999"}, "scope", "999999999999"),
        ({"scope": OTHER_CITY, "role": "auditor"}, "scope", OTHER_CITY),  # not a node of this city
        ({"password": "Xy7-tiny"}, "password", "at least 10 characters"),
        ({"username": ""}, "username", "必填"),
    ],
)
def test_a_refused_new_user_says_why_next_to_the_field_and_keeps_what_was_typed(admin, fields, field, says):
    client, _ = admin
    add_other_city()
    typed = new_user_form(**fields)
    refused = post_form(client, "/admin/users", typed)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert says in error_next_to(page, "create", field)
    assert f'name="display_name" value="{typed["display_name"]}"' in page
    assert f'name="scope" value="{typed["scope"]}"' in page
    assert f'<option value="{typed["role"]}" selected>' in page
    if typed["password"]:
        assert typed["password"] not in page
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.display_name == "新网格员"))
        == 0
    )


def test_a_taken_username_is_refused_next_to_the_username(admin, make_user):
    client, _ = admin
    make_user("grid_worker", grid_in(FENGQIAO).code, "new-worker")
    refused = post_form(client, "/admin/users", new_user_form(password="Another-pass-2026"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "taken" in error_next_to(page, "create", "username")
    assert "Another-pass-2026" not in page


def test_changing_role_and_scope_and_disabling_work_and_are_audited(app, admin, make_user):
    client, me = admin
    mediator = make_user("community_mediator", grid_in(FENGQIAO).community_code, "to-promote")
    db.session.commit()  # the refused form below rolls back what is not committed
    path = f"/admin/users/{mediator.id}"

    wrong = post_form(client, path, {"form": "details", "role": "grid_worker", "scope": JIYANG})
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "needs a scope at grid level" in error_next_to(
        page, "details", "scope"
    )
    assert f'name="scope" value="{JIYANG}"' in page and '<option value="grid_worker" selected>' in page
    assert db.session.get(User, mediator.id).role == "community_mediator"

    changed = post_form(
        client,
        path,
        {"form": "details", "display_name": "暨阳综治中心", "role": "township_coordinator", "scope": JIYANG},
    )
    assert changed.status_code == 302 and changed.headers["Location"] == path
    user = db.session.get(User, mediator.id)
    assert (user.role, user.scope_code, user.display_name) == ("township_coordinator", JIYANG, "暨阳综治中心")
    assert "修改已保存" in client.get(path).get_data(as_text=True)

    assert sign_in(app.test_client(), "to-promote").status_code == 302
    disabled = post_form(client, path, {"form": "active", "active": "false"})
    assert disabled.status_code == 302 and db.session.get(User, mediator.id).active is False
    assert sign_in(app.test_client(), "to-promote").status_code == 401

    changes = [e for e in audit_of("to-promote") if e.action == "user_changed"]
    assert [(e.actor_username, e.details["after"]) for e in changes] == [
        (me.username, {"role": "township_coordinator", "scope": JIYANG, "active": True}),
        (me.username, {"role": "township_coordinator", "scope": JIYANG, "active": False}),
    ]


def test_a_password_reset_shows_a_new_one_and_the_old_one_stops_working(app, admin, make_user):
    client, me = admin
    worker = make_user("grid_worker", grid_in(FENGQIAO).code, "forgetful")
    their_session = app.test_client()
    assert sign_in(their_session, "forgetful").status_code == 302

    reset = post_form(client, f"/admin/users/{worker.id}/reset-password", {}, f"/admin/users/{worker.id}")
    assert reset.status_code == 302
    password = shown_password(client.get(f"/admin/users/{worker.id}").get_data(as_text=True))
    assert password and password != "correct-horse-battery"
    assert sign_in(app.test_client(), "forgetful").status_code == 401  # the old password
    assert their_session.get("/m/").status_code == 302  # their session ended
    assert sign_in(app.test_client(), "forgetful", password).status_code == 302
    assert any(
        e.actor_username == me.username and e.details == {"change": "password reset"}
        for e in audit_of("forgetful")
    )


def test_an_admin_is_sent_to_the_account_page_to_change_their_own_password(app, admin):
    client, me = admin
    path = f"/admin/users/{me.id}"
    assert 'id="reset-password"' not in client.get(path).get_data(as_text=True)
    answer = post_form(client, f"{path}/reset-password", {}, path)
    assert answer.status_code == 302 and answer.headers["Location"] == "/account"
    assert client.get(path).status_code == 200  # still signed in
    assert sign_in(app.test_client(), me.username).headers["Location"] == "/login/second-factor"


def test_a_two_factor_reset_forgets_the_authenticator(admin, make_user):
    client, _ = admin
    commander = make_user("city_commander", CITY, "lost-phone")
    commander.totp_secret_encrypted = cipher().encrypt(pyotp.random_base32(), "totp")
    commander.totp_confirmed_at = utcnow()
    db.session.flush()
    path = f"/admin/users/{commander.id}"
    assert post_form(client, f"{path}/reset-two-factor", {}, path).status_code == 302
    assert db.session.get(User, commander.id).totp_confirmed_at is None
    assert 'id="reset-two-factor"' not in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "scope", "home"),
    [
        ("grid_worker", "grid", "/m/"),
        ("township_coordinator", FENGQIAO, "/desk/"),
        ("auditor", CITY, "/audit/"),
    ],
)
def test_other_roles_are_sent_away_from_the_user_pages(app, make_user, role, scope, home):
    user = make_user(role, grid_in(FENGQIAO).code if scope == "grid" else scope)
    client = app.test_client()
    sign_in(client, user.username)
    answer = client.get("/admin/users")
    assert answer.status_code == 302 and answer.headers["Location"] == home
    tried = post_form(client, "/admin/users", new_user_form(), "/login")
    assert (
        tried.status_code == 302
        and db.session.scalar(sa.select(User).where(User.username == "new-worker")) is None
    )


def test_a_form_without_the_csrf_token_is_refused(admin, make_user):
    client, _ = admin
    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    assert client.post("/admin/users", data=new_user_form()).status_code == 400
    assert db.session.scalar(sa.select(User).where(User.username == "new-worker")) is None
    assert (
        client.post(f"/admin/users/{worker.id}", data={"form": "active", "active": "false"}).status_code
        == 400
    )
    assert client.post(f"/admin/users/{worker.id}/reset-password").status_code == 400
    assert db.session.get(User, worker.id).active
    assert sign_in(client.application.test_client(), worker.username).status_code == 302  # password unchanged


def test_an_admin_makes_a_unit_case_officer_by_choosing_the_unit(admin):
    client, _ = admin
    page = client.get("/admin/users").get_data(as_text=True)
    assert f'<option value="{FENGQIAO}-rlsbs"' in page and "枫桥镇人力社保所" in page
    made = post_form(
        client,
        "/admin/users",
        new_user_form(username="rlsbs-officer", role="unit_handler", scope="", unit=f"{FENGQIAO}-rlsbs"),
    )
    assert made.status_code == 302
    officer = db.session.scalar(sa.select(User).where(User.username == "rlsbs-officer"))
    assert (officer.unit_code, officer.scope_code) == (f"{FENGQIAO}-rlsbs", FENGQIAO)
    shown = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "枫桥镇人力社保所" in shown
    refused = post_form(client, "/admin/users", new_user_form(username="no-unit", role="unit_head", scope=""))
    assert refused.status_code == 422
    assert 'id="create-unit-error"' in refused.get_data(as_text=True)  # next to the unit field
