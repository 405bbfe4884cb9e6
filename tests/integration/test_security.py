"""Protecting people and records: personal data, sign-in, two factors, the audit log, headers."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from gridcase.audit.models import AuditEntry
from gridcase.cases.models import CaseParty
from gridcase.extensions import db
from gridcase.people.retention import anonymise_closed_parties, rotate_keys
from gridcase.settings import cipher, utcnow
from tests.helpers import (
    CITY,
    FENGQIAO,
    JIYANG,
    case_payload,
    delete_committed_cases,
    grid_in,
    rotated_cipher,
)

ID_NUMBER = "11010519491231002X"
PHONE = "13812348000"


def dispute(grid_code: str, **overrides) -> dict:
    fields = {
        "kind": "dispute",
        "category": "D02",
        "title": "邻里纠纷",
        "parties": [{"name": "欧阳娜娜", "id_number": ID_NUMBER, "phone": PHONE, "role": "applicant"}],
    }
    return case_payload(grid_code, **{**fields, **overrides})


def page_sign_in(client, username: str, password: str = "correct-horse-battery"):
    """Sign in through the page form (with its CSRF token); returns the answer."""
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client, "/login")},
    )


def csrf_token(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def audit_actions(**conditions) -> list[str]:
    query = sa.select(AuditEntry.action).order_by(AuditEntry.id)
    for column, value in conditions.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list(db.session.scalars(query))


class TestPersonalData:
    @pytest.fixture
    def case(self, api_as, worker):
        return api_as(worker).post("/api/v1/cases", json=dispute(grid_in(FENGQIAO).code)).json

    def test_a_reveal_needs_a_reason_and_is_audited(self, case, api_as, make_user):
        mediator = make_user("community_mediator", grid_in(FENGQIAO).community_code)
        party = case["parties"][0]["id"]
        url = f"/api/v1/cases/{case['id']}/parties/{party}/reveal"
        refused = api_as(mediator).post(url, json={"reason": ""})
        assert refused.status_code == 422
        # Scoped to this mediator: the audit log is append-only and browser tests commit theirs.
        assert audit_actions(action="reveal_personal_data", actor_username=mediator.username) == []

        shown = api_as(mediator).post(url, json={"reason": "约双方到村调委会调解，需电话联系"})
        assert shown.status_code == 200
        assert shown.json == {
            "id": party,
            "role": "applicant",
            "name": "欧阳娜娜",
            "id_number": ID_NUMBER,
            "phone": PHONE,
        }
        entry = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.action == "reveal_personal_data",
                AuditEntry.actor_username == mediator.username,
            )
        ).one()
        assert (entry.actor_username, entry.details["reason"]) == (
            mediator.username,
            "约双方到村调委会调解，需电话联系",
        )
        timeline = api_as(mediator).get(f"/api/v1/cases/{case['id']}").json["events"]
        assert timeline[-1]["action"] == "reveal"

    def test_only_handlers_of_the_case_may_reveal(self, case, api_as, worker, make_user):
        url = f"/api/v1/cases/{case['id']}/parties/{case['parties'][0]['id']}/reveal"
        assert api_as(worker).post(url, json={"reason": "我想看看"}).status_code == 403
        other_town = make_user("township_coordinator", JIYANG)
        assert api_as(other_town).post(url, json={"reason": "我想看看"}).status_code == 404
        assert "permission_denied" in audit_actions(actor_username=worker.username)

    def test_personal_data_is_masked_in_lists_and_exports(self, case, api_as, make_user):
        township = api_as(make_user("township_coordinator", FENGQIAO))
        listing = township.get("/api/v1/cases").get_data(as_text=True)
        export = township.get("/api/v1/cases/export?format=csv").get_data(as_text=True)
        for text in (listing, export):
            assert ID_NUMBER not in text and PHONE not in text and "欧阳娜娜" not in text

    def test_key_rotation_re_encrypts_everything(self, app, case):
        old = cipher()
        with rotated_cipher(app) as rotated:
            done = rotate_keys()
            assert done["case_parties"] >= 1
            party = db.session.scalars(sa.select(CaseParty).where(CaseParty.case_id == case["id"])).one()
            db.session.refresh(party)
            assert rotated.key_id(party.id_number_encrypted) == 2
            assert rotated.decrypt(party.id_number_encrypted, "id_number") == ID_NUMBER
            assert party.id_number_hash == rotated.lookup_hash(ID_NUMBER)
            with pytest.raises(ValueError, match="key 2 is not configured"):
                old.decrypt(party.id_number_encrypted, "id_number")
            assert rotate_keys()["case_parties"] == 0  # nothing left to do

    def test_rotation_without_the_old_key_says_so_on_the_command_line(self, app, case):
        from click.testing import CliRunner

        with rotated_cipher(app, keep_old_key=False):
            result = CliRunner().invoke(app.cli, ["gridcase", "rotate-keys"])
        assert result.exit_code == 1
        assert "cannot be decrypted with the configured keys" in result.output
        assert "Put the old key back in GRIDCASE_DATA_KEYS" in result.output

    def test_parties_of_long_closed_cases_are_anonymised(self, api_as, worker, make_user):
        from gridcase.cases.intake import create_case
        from gridcase.cases.operations import perform_action

        mediator = make_user("community_mediator", grid_in(FENGQIAO).community_code)
        township = make_user("township_coordinator", FENGQIAO)
        long_ago = utcnow() - timedelta(days=4 * 365)
        old = create_case(worker, dispute(grid_in(FENGQIAO).code), now=long_ago).case
        perform_action(mediator, old.id, "resolve", old.version, {"outcome": "mediated"}, now=long_ago)
        perform_action(
            township, old.id, "verify", old.version, {"passed": True}, now=long_ago + timedelta(days=1)
        )
        recent = create_case(worker, dispute(grid_in(FENGQIAO).code)).case
        assert anonymise_closed_parties() == 1
        db.session.expire_all()
        gone, kept = old.parties[0], recent.parties[0]
        assert (gone.name_masked, gone.id_number_encrypted, gone.phone_encrypted, gone.id_number_hash) == (
            "已匿名",
            None,
            None,
            None,
        )
        assert cipher().decrypt(gone.name_encrypted, "name") == "已匿名"
        assert kept.anonymised_at is None and kept.id_number_hash


@pytest.mark.committing
def test_a_database_dump_shows_no_id_number_or_phone(app):
    """pg_dump of the whole database: the parties' details appear nowhere in clear."""
    from gridcase.cases.intake import create_case
    from gridcase.people.models import User

    title = f"转储检查 {uuid.uuid4().hex[:6]}"
    with app.app_context():
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        case_id = create_case(worker, dispute(worker.scope_code, title=title)).case.id
        db.session.commit()
        url = db.engine.url
    try:
        dump = subprocess.run(
            [
                "/usr/lib/postgresql/15/bin/pg_dump",
                "--data-only",
                "-h",
                url.host,
                "-p",
                str(url.port),
                "-U",
                url.username,
                url.database,
            ],
            env={**os.environ, "PGPASSWORD": url.password},
            capture_output=True,
            check=True,
        ).stdout
        assert title.encode() in dump  # the dump is real and holds the case
        for secret in (ID_NUMBER, PHONE, "欧阳娜娜"):
            assert secret.encode() not in dump
    finally:
        delete_committed_cases(app, [case_id])


class TestSignIn:
    def test_the_sixth_wrong_password_locks_the_account(self, client, make_user):
        user = make_user("grid_worker", grid_in(FENGQIAO).code)
        wrong = {"username": user.username, "password": "wrong-password-1"}
        statuses = [client.post("/api/v1/auth/token", json=wrong).status_code for _ in range(6)]
        assert statuses == [401, 401, 401, 401, 401, 423]
        right = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": "correct-horse-battery"}
        )
        assert right.status_code == 423
        assert "locked" in right.json["message"]
        assert audit_actions(actor_username=user.username).count("login_failed") == 6
        assert "lockout" in audit_actions(actor_username=user.username)
        db.session.refresh(user)
        user.locked_until = utcnow() - timedelta(seconds=1)  # the lock-out time has passed
        db.session.flush()
        again = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": "correct-horse-battery"}
        )
        assert again.status_code == 200

    def test_one_address_failing_too_often_waits(self, app, client, make_user):
        limit = app.config["GRIDCASE_LOGIN_MAX_FAILURES_PER_ADDRESS"]
        for n in range(limit):
            client.post("/api/v1/auth/token", json={"username": f"nobody-{n}", "password": "x" * 10})
        user = make_user("grid_worker", grid_in(FENGQIAO).code)
        blocked = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": "correct-horse-battery"}
        )
        assert blocked.status_code == 429

    @pytest.fixture
    def commander(self, make_user):
        user = make_user("city_commander", CITY)
        secret = pyotp.random_base32()
        user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
        user.totp_confirmed_at = utcnow()
        db.session.flush()
        return user, secret

    def test_city_and_admin_roles_need_the_second_factor(self, client, commander, make_user):
        user, secret = commander
        credentials = {"username": user.username, "password": "correct-horse-battery"}
        without = client.post("/api/v1/auth/token", json=credentials)
        assert without.status_code == 401 and "otp" in without.json["errors"]
        wrong = client.post("/api/v1/auth/token", json={**credentials, "otp": "000000"})
        assert wrong.status_code == 401
        right = client.post("/api/v1/auth/token", json={**credentials, "otp": pyotp.TOTP(secret).now()})
        assert right.status_code == 200
        replay = client.post("/api/v1/auth/token", json={**credentials, "otp": pyotp.TOTP(secret).now()})
        assert replay.status_code == 401  # a code signs in once
        admin = make_user("admin", CITY)
        unenrolled = client.post(
            "/api/v1/auth/token", json={"username": admin.username, "password": "correct-horse-battery"}
        )
        assert unenrolled.status_code == 403 and "authenticator" in unenrolled.json["message"]

    def test_the_pages_ask_for_the_code_before_anything_else(self, app, commander):
        user, secret = commander
        client = app.test_client()
        step = page_sign_in(client, user.username)
        assert step.headers["Location"] == "/login/second-factor"
        assert client.get("/dashboard/").status_code == 302  # not signed in yet
        done = client.post(
            "/login/second-factor",
            data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(client, "/login/second-factor")},
        )
        assert done.headers["Location"] == "/dashboard/"
        assert client.get("/dashboard/").status_code == 200

    def test_enrolment_gives_recovery_codes_that_work_once(self, app, make_user):
        admin = make_user("admin", CITY)
        client = app.test_client()
        page_sign_in(client, admin.username)
        page = client.get("/login/second-factor").get_data(as_text=True)
        assert "data:image/svg+xml" in page  # the QR code, made here
        secret = re.search(r'<p class="center mono small">([A-Z2-7]+)</p>', page).group(1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        codes_page = client.post(
            "/login/second-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
        )
        codes = re.findall(r"<li>((?:[A-Z2-7]{4}-){4}[A-Z2-7]{4})</li>", codes_page.get_data(as_text=True))
        assert len(codes) == 10
        assert "two_factor_enrolled" in audit_actions(actor_username=admin.username)
        api = app.test_client()
        body = {"username": admin.username, "password": "correct-horse-battery", "otp": codes[0]}
        assert api.post("/api/v1/auth/token", json=body).status_code == 200
        assert api.post("/api/v1/auth/token", json=body).status_code == 401  # used up

    def test_changing_the_password_ends_other_sessions_and_tokens(self, app, api_as, worker):
        other_session = app.test_client()
        page_sign_in(other_session, worker.username)
        api = api_as(worker)
        assert api.get("/api/v1/cases").status_code == 200

        mine = app.test_client()
        page_sign_in(mine, worker.username)
        changed = mine.post(
            "/account",
            data={
                "current": "correct-horse-battery",
                "new": "a-New-pass-2026",
                "csrf_token": csrf_token(mine, "/account"),
            },
        )
        assert changed.status_code == 200 and "密码已修改" in changed.get_data(as_text=True)
        assert mine.get("/m/").status_code == 200  # this session continues
        assert other_session.get("/m/").status_code == 302  # the other one ended
        assert api.get("/api/v1/cases").status_code == 401  # and so did the token
        assert "password_changed" in audit_actions(actor_username=worker.username)

    def test_weak_passwords_are_refused(self, make_user):
        from gridcase.errors import Unprocessable
        from gridcase.people.auth import create_user

        for password in ("short", "onlyletterslong", "1234567890"):
            with pytest.raises(Unprocessable):
                create_user(f"weak-{uuid.uuid4().hex[:6]}", password, "grid_worker", grid_in(FENGQIAO).code)


class TestAuditLog:
    def test_the_log_is_append_only_and_keeps_180_days(self, client, worker):
        client.post("/api/v1/auth/token", json={"username": worker.username, "password": "wrong-password-9"})
        entry_id = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
        for statement in (
            "UPDATE audit_log SET result = 'ok' WHERE id = :id",
            "DELETE FROM audit_log WHERE id = :id",
        ):
            # The app's role has no UPDATE or DELETE on the table; the owner's meets the trigger.
            with pytest.raises(DBAPIError, match="permission denied"), db.session.begin_nested():
                db.session.execute(sa.text(statement), {"id": entry_id})
        # An entry from before the retention period, at the head of the log (the app's role may
        # append; an id below the first keeps it the oldest), chained from the beginning.
        from gridcase.audit.chain import GENESIS_HASH, link_hash
        from gridcase.audit.log import prune

        old = {
            "at": utcnow() - timedelta(days=400),
            "actor_id": None,
            "actor_username": None,
            "city_code": None,
            "ip": None,
            "action": "login",
            "target": "",
            "result": "ok",
            "details": {},
        }
        db.session.execute(
            sa.text(
                "INSERT INTO audit_log (id, at, action, target, result, details, prev_hash, hash) "
                "VALUES (-1, :at, 'login', '', 'ok', '{}', :prev, :hash)"
            ),
            {"at": old["at"], "prev": GENESIS_HASH, "hash": link_hash(GENESIS_HASH, old)},
        )
        assert prune() == 1  # only the old row goes
        from gridcase.audit.chain import verify_audit_chain

        assert verify_audit_chain(db.session.connection())[1] == []  # the kept chain still holds

    def test_only_auditors_read_it(self, api_as, make_user, worker):
        auditor = api_as(make_user("auditor", CITY))
        listing = auditor.get("/api/v1/audit?action=user_created")
        assert listing.status_code == 200
        assert any(item["target"] == worker.username for item in listing.json["items"])
        export = auditor.get("/api/v1/audit/export")
        assert export.status_code == 200 and export.mimetype == "text/csv"
        for role, scope in (("city_commander", CITY), ("admin", CITY), ("township_coordinator", FENGQIAO)):
            assert api_as(make_user(role, scope)).get("/api/v1/audit").status_code == 403


class TestHardenedHttp:
    def test_security_headers(self, client):
        response = client.get("/login")
        policy = response.headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")

    def test_pages_have_no_inline_script(self, app, worker):
        client = app.test_client()
        page_sign_in(client, worker.username)
        for path in ("/login", "/m/", "/m/new"):
            html = client.get(path).get_data(as_text=True)
            for tag in re.findall(r"<script[^>]*>", html):
                assert "src=" in tag or 'type="application/json"' in tag, (path, tag)

    def test_oversized_bodies_get_a_clear_413(self, app, client):
        too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
        response = client.post("/api/v1/cases", data=too_big, headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert set(response.json) == {"code", "status", "message", "errors"}


def test_behind_a_proxy_the_real_address_is_audited(app):
    """With GRIDCASE_PROXY_HOPS set, throttling and the audit log see the client, not the proxy."""
    import config
    from gridcase import create_app

    class BehindProxy(config.TestingConfig):
        GRIDCASE_PROXY_HOPS = 1

    proxied = create_app(BehindProxy)
    with proxied.test_client() as client:
        client.post(
            "/api/v1/auth/token",
            json={"username": "nobody-behind-proxy", "password": "wrong-password-1"},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    ips = db.session.scalars(
        sa.select(AuditEntry.ip).where(AuditEntry.actor_username == "nobody-behind-proxy")
    ).all()
    assert ips == ["203.0.113.7"]


def test_exports_are_audited(api_as, make_user):
    township = make_user("township_coordinator", FENGQIAO)
    api_as(township).get("/api/v1/cases/export?format=csv&status=pending")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "data_exported", AuditEntry.actor_username == township.username
        )
    ).one()
    assert entry.details["format"] == "csv" and entry.details["filters"]["status"] == "['pending']"
