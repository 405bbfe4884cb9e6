"""Photos over the API, and the pages' sign-in, session and CSRF rules."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from gridcase.extensions import db
from gridcase.people.models import UserSession
from gridcase.settings import utcnow
from tests.helpers import FENGQIAO, JIYANG, case_payload, grid_in


def jpeg(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def worker_case(api_as, worker):
    client = api_as(worker)
    return client, client.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code)).json


def upload(client, case, data: bytes, key: str | None = None, name: str = "photo.jpg"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/cases/{case['id']}/attachments",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


class TestPhotos:
    def test_upload_and_download(self, worker_case):
        client, case = worker_case
        response = upload(client, case, jpeg())
        assert response.status_code == 201
        body = response.json
        assert (body["width"], body["height"], body["content_type"]) == (800, 600, "image/jpeg")
        image = client.get(body["url"])
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(image.data)).size == (800, 600)
        thumb = client.get(body["thumbnail_url"])
        assert max(Image.open(io.BytesIO(thumb.data)).size) == 320
        detail = client.get(f"/api/v1/cases/{case['id']}").json
        assert [a["id"] for a in detail["attachments"]] == [body["id"]]
        assert detail["events"][-1]["action"] == "attach"

    def test_a_retried_upload_is_stored_once(self, worker_case):
        client, case = worker_case
        first = upload(client, case, jpeg(), key="photo-key-1")
        again = upload(client, case, jpeg(), key="photo-key-1")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json["id"] == again.json["id"]

    def test_at_most_nine_photos(self, worker_case):
        client, case = worker_case
        for _ in range(9):
            assert upload(client, case, jpeg((40, 30))).status_code == 201
        response = upload(client, case, jpeg((40, 30)))
        assert response.status_code == 422
        assert "at most 9" in response.json["message"]

    def test_a_non_image_is_refused_whatever_its_name(self, worker_case):
        client, case = worker_case
        response = upload(client, case, b"<script>alert(1)</script>", name="photo.jpg")
        assert response.status_code == 422
        assert response.json["errors"]["file"]

    def test_photos_of_cases_outside_scope_are_404(self, worker_case, api_as, make_user):
        client, case = worker_case
        photo = upload(client, case, jpeg()).json
        outsider = api_as(make_user("township_coordinator", JIYANG))
        assert outsider.get(photo["url"]).status_code == 404
        assert upload(outsider, case, jpeg()).status_code == 404


def csrf_from(html: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()


def sign_in(client, username: str, password: str = "correct-horse-battery"):
    token = csrf_from(client.get("/login").data)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


class TestPages:
    def test_sign_in_lands_each_role_on_its_pages(self, app, make_user):
        for role, scope, landing in [
            ("grid_worker", grid_in(FENGQIAO).code, "/m/"),
            ("township_coordinator", FENGQIAO, "/desk/"),
            ("auditor", "330681000000", "/audit/"),
        ]:
            client = app.test_client()
            user = make_user(role, scope)
            response = sign_in(client, user.username)
            assert response.status_code == 302 and response.headers["Location"] == landing
            assert client.get(landing).status_code == 200  # and the landing page renders

    def test_the_session_cookie_is_httponly_samesite_and_secure(self, app, worker):
        client = app.test_client()
        response = sign_in(client, worker.username)
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie

    def test_wrong_password_says_so_and_keeps_the_username(self, app, worker):
        client = app.test_client()
        response = sign_in(client, worker.username, "wrong")
        assert response.status_code == 401
        assert "用户名或密码错误" in response.get_data(as_text=True)
        assert f'value="{worker.username}"' in response.get_data(as_text=True)

    def test_forms_without_a_csrf_token_are_refused(self, app, worker):
        client = app.test_client()
        response = client.post(
            "/login", data={"username": worker.username, "password": "correct-horse-battery"}
        )
        assert response.status_code == 400

    def test_idle_sessions_expire(self, app, worker):
        client = app.test_client()
        sign_in(client, worker.username)
        assert client.get("/m/").status_code == 200
        idle = timedelta(minutes=app.config["GRIDCASE_IDLE_MINUTES"], seconds=5)
        db.session.execute(sa.update(UserSession).values(last_seen_at=utcnow() - idle))
        response = client.get("/m/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")

    def test_sign_out_needs_a_post_with_the_token(self, app, worker):
        client = app.test_client()
        sign_in(client, worker.username)
        token = csrf_from(client.get("/m/").data)
        assert client.get("/logout").status_code == 405
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
        assert client.get("/m/").status_code == 302

    def test_pages_of_another_role_send_you_home(self, app, worker):
        client = app.test_client()
        sign_in(client, worker.username)
        response = client.get("/desk/")
        assert response.status_code == 302 and response.headers["Location"] == "/m/"

    def test_no_open_redirect_after_sign_in(self, app, worker):
        client = app.test_client()
        token = csrf_from(client.get("/login").data)
        response = client.post(
            "/login?next=https://evil.example/",
            data={"username": worker.username, "password": "correct-horse-battery", "csrf_token": token},
        )
        assert response.headers["Location"] == "/m/"

    def test_english_is_available(self, app, worker):
        client = app.test_client()
        assert "登录" in client.get("/login").get_data(as_text=True)
        assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)

    def test_the_api_accepts_the_page_session_only_with_the_csrf_header(self, app, worker):
        client = app.test_client()
        sign_in(client, worker.username)
        body = case_payload(grid_in(FENGQIAO).code)
        assert client.post("/api/v1/cases", json=body).status_code == 403
        token = client.get("/csrf-token").json["csrf_token"]
        assert client.post("/api/v1/cases", json=body, headers={"X-CSRFToken": token}).status_code == 201
        assert client.get("/api/v1/cases").status_code == 200  # reading needs no token

    def test_a_case_page_out_of_scope_is_404(self, app, worker, api_as, make_user):
        other = make_user("grid_worker", grid_in(JIYANG).code)
        case = api_as(other).post("/api/v1/cases", json=case_payload(grid_in(JIYANG).code)).json
        client = app.test_client()
        sign_in(client, worker.username)
        page = client.get(f"/m/cases/{case['public_number']}")
        assert page.status_code == 404
        assert page.mimetype == "text/html" and "<html" in page.get_data(as_text=True)  # a page, not JSON
        db.session.rollback()


class TestPhotoForms:
    """The case pages' photo form: a plain multipart post (a phone without JavaScript, the
    workbench), through the same checks as the API."""

    def post_photos(self, client, path: str, files: list[tuple[bytes, str]]):
        token = csrf_from(client.get(path).data)
        data = {"csrf_token": token, "file": [(io.BytesIO(raw), name) for raw, name in files]}
        return client.post(f"{path}/photos", data=data, content_type="multipart/form-data")

    def test_a_worker_adds_photos_from_the_phone_page(self, app, worker, worker_case):
        _, case = worker_case
        client = app.test_client()
        sign_in(client, worker.username)
        path = f"/m/cases/{case['public_number']}"
        response = self.post_photos(client, path, [(jpeg(), "a.jpg"), (jpeg((300, 200)), "b.jpg")])
        assert response.status_code == 302 and response.location.endswith(path)
        page = client.get(path).get_data(as_text=True)
        assert "Photos (2)" in page or "照片 (2)" in page
        db.session.rollback()

    def test_a_mediator_adds_a_photo_from_the_workbench(self, app, make_user, worker_case):
        _, case = worker_case
        mediator = make_user("community_mediator", case["community_code"])
        client = app.test_client()
        sign_in(client, mediator.username)
        path = f"/desk/cases/{case['public_number']}"
        assert 'id="add-photos"' in client.get(path).get_data(as_text=True)
        assert self.post_photos(client, path, [(jpeg(), "agreement.jpg")]).status_code == 302
        photos = client.get(f"/api/v1/cases/{case['id']}").json["attachments"]
        assert len(photos) == 1
        db.session.rollback()

    def test_no_file_or_not_a_photo_is_said_by_the_field_and_nothing_stored(self, app, worker, worker_case):
        _, case = worker_case
        client = app.test_client()
        sign_in(client, worker.username)
        path = f"/m/cases/{case['public_number']}"
        token = csrf_from(client.get(path).data)
        empty = client.post(f"{path}/photos", data={"csrf_token": token}, content_type="multipart/form-data")
        assert empty.status_code == 422
        said = empty.get_data(as_text=True)
        assert "Choose a photo first." in said or "请先选择照片。" in said
        # One good photo and one text file posing as a photo: neither is kept.
        mixed = self.post_photos(client, path, [(jpeg(), "good.jpg"), (b"not an image at all", "bad.jpg")])
        assert mixed.status_code == 422
        assert 'class="field-error"' in mixed.get_data(as_text=True)
        assert "该文件不是可读取的 JPEG、PNG 或 WebP 图片。" in mixed.get_data(as_text=True)  # page language
        assert client.get(f"/api/v1/cases/{case['id']}").json["attachments"] == []
        db.session.rollback()

    def test_the_form_needs_its_csrf_token(self, app, worker, worker_case):
        _, case = worker_case
        client = app.test_client()
        sign_in(client, worker.username)
        response = client.post(
            f"/m/cases/{case['public_number']}/photos",
            data={"file": (io.BytesIO(jpeg()), "a.jpg")},
            content_type="multipart/form-data",
        )
        assert response.status_code in (400, 403)
        assert client.get(f"/api/v1/cases/{case['id']}").json["attachments"] == []
        db.session.rollback()


class TestRefusalsInThePageLanguage:
    """The ladder's refusal reasons are English in the API and said in the page's language."""

    def refused_accept(self, app, make_user, worker_case, lang: str) -> str:
        _, case = worker_case  # a general case: it starts at the community
        coordinator = make_user("township_coordinator", FENGQIAO)
        client = app.test_client()
        sign_in(client, coordinator.username)
        path = f"/desk/cases/{case['public_number']}?lang={lang}"
        token = csrf_from(client.get(path).data)
        response = client.post(path, data={"csrf_token": token, "action": "accept", "version": "1"})
        assert response.status_code == 422
        db.session.rollback()
        return response.get_data(as_text=True)

    def test_in_chinese(self, app, make_user, worker_case):
        page = self.refused_accept(app, make_user, worker_case, "zh")
        assert "只有正在办理该案件的村（社区）（或市级）可以执行“受理”。" in page
        assert "may &#39;accept&#39; it" not in page and "may 'accept' it" not in page

    def test_in_english(self, app, make_user, worker_case):
        page = self.refused_accept(app, make_user, worker_case, "en")
        assert "Only the Community level handling this case (or the city) may &#39;Accept&#39; it." in page

    def test_field_messages_too(self, app, make_user, worker_case):
        _, case = worker_case
        mediator = make_user("community_mediator", case["community_code"])
        client = app.test_client()
        sign_in(client, mediator.username)
        path = f"/desk/cases/{case['public_number']}?lang=zh"
        token = csrf_from(client.get(path).data)
        # An assignment that names nobody: a required field left out.
        response = client.post(path, data={"csrf_token": token, "action": "assign", "version": "1"})
        assert response.status_code == 422
        assert '<p class="field-error" role="alert">必填。</p>' in response.get_data(as_text=True)
        db.session.rollback()

    def test_the_api_answers_the_pages_in_their_language_and_clients_in_english(self, app, worker, api_as):
        body = case_payload(grid_in(FENGQIAO).code)
        del body["title"]
        client = app.test_client()
        sign_in(client, worker.username)
        client.get("/m/?lang=zh")
        token = client.get("/csrf-token").json["csrf_token"]
        from_the_page = client.post("/api/v1/cases", json=body, headers={"X-CSRFToken": token})
        assert from_the_page.status_code == 422 and from_the_page.json["errors"]["title"] == ["必填。"]
        from_a_client = api_as(worker).post("/api/v1/cases", json=body)
        assert from_a_client.json["errors"]["title"] == ["Missing data for required field."]
        far_away = case_payload(grid_in(FENGQIAO).code, location={"lon": 100.0, "lat": 30.0, "accuracy_m": 5})
        from_the_page = client.post("/api/v1/cases", json=far_away, headers={"X-CSRFToken": token})
        assert from_the_page.json["errors"]["location"] == ["该位置不在本市任何网格内，请检查定位。"]
        assert from_the_page.json["message"] == "案件无法保存，请查看各栏的提示。"
        db.session.rollback()


def test_page_data_cannot_close_its_script_tag(app, worker, api_as):
    """Case titles travel into the pages' JSON tags: a title that closes the tag stays text."""
    title = "</script><h1>漏水</h1>"
    created = api_as(worker).post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code, title=title))
    assert created.status_code == 201
    client = app.test_client()
    sign_in(client, worker.username)
    home = client.get("/m/").get_data(as_text=True)
    assert "</script><h1>" not in home
    assert "\\u003c/script\\u003e\\u003ch1\\u003e" in home  # escaped inside the JSON
    db.session.rollback()


def test_a_refused_extension_decision_comes_back_as_refuse(app, make_user, worker_case, api_as):
    """After a 409 the form keeps the choice made: sending it again must not approve."""
    _, case = worker_case
    mediator = api_as(make_user("community_mediator", case["community_code"]))
    accepted = mediator.post(f"/api/v1/cases/{case['id']}/actions", json={"action": "accept", "version": 1})
    assert accepted.status_code == 200
    asked = mediator.post(
        f"/api/v1/cases/{case['id']}/actions",
        json={"action": "request_extension", "version": 2, "days": 3, "reason": "当事人外出"},
    )
    assert asked.status_code == 200, asked.json
    coordinator = make_user("township_coordinator", FENGQIAO)
    client = app.test_client()
    sign_in(client, coordinator.username)
    path = f"/desk/cases/{case['public_number']}"
    token = csrf_from(client.get(path).data)
    stale = {"csrf_token": token, "action": "decide_extension", "version": "2", "approved": "false"}
    page = client.post(path, data=stale)
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert 'name="approved" value="false" checked' in html
    assert 'name="approved" value="true" checked' not in html
    db.session.rollback()


def test_switching_language_keeps_the_filters(app, make_user):
    coordinator = make_user("township_coordinator", FENGQIAO)
    client = app.test_client()
    sign_in(client, coordinator.username)
    query = "?filtered=1&status=pending&status=in_progress&sort=severity"
    page = client.get("/desk/" + query).get_data(as_text=True)
    link = re.search(r'<a class="lang" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link == query + "&lang=en"
    english = client.get("/desk/" + link).get_data(as_text=True)
    back = (query + "&lang=zh").replace("&", "&amp;")
    assert f'<a class="lang" href="{back}" lang="zh-CN">中文</a>' in english
    db.session.rollback()
