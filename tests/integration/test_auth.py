"""Sign-in and bearer tokens."""

from datetime import timedelta

import pytest

from gridcase.people.auth import issue_token
from gridcase.settings import utcnow


def test_demo_worker_signs_in(client):
    response = client.post(
        "/api/v1/auth/token", json={"username": "demo-worker", "password": "gridcase-demo"}
    )
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 8 * 3600
    me = client.get("/api/v1/categories", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "demo-worker", "password": "wrong-password"},
        {"username": "nobody-at-all", "password": "gridcase-demo"},
    ],
)
def test_wrong_credentials_get_one_message(client, credentials):
    response = client.post("/api/v1/auth/token", json=credentials)
    assert response.status_code == 401
    assert response.json["message"] == "Wrong username or password."


def test_missing_fields_are_422(client):
    response = client.post("/api/v1/auth/token", json={"username": "demo-worker"})
    assert response.status_code == 422
    assert response.json["errors"] == {"password": ["Missing data for required field."]}


def test_disabled_users_cannot_sign_in(client, make_user):
    user = make_user("grid_worker", "330681109901001")
    user.active = False
    response = client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 401


def test_expired_tokens_are_refused(client, worker):
    token, _ = issue_token(worker, now=utcnow() - timedelta(hours=9))
    response = client.get("/api/v1/categories", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json["message"]


@pytest.mark.parametrize("header", ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-token"])
def test_bad_authorization_headers_are_401(client, header):
    response = client.get("/api/v1/categories", headers={"Authorization": header})
    assert response.status_code == 401
    assert set(response.json) == {"code", "status", "message", "errors"}


def test_create_user_checks_the_scope_level(make_user):
    from gridcase.errors import Unprocessable

    with pytest.raises(Unprocessable) as caught:
        make_user("township_coordinator", "330681109901001")
    assert "needs a scope at township level" in caught.value.errors["scope"][0]
