"""The one place the reliability tests sign in, over real HTTP or through the Flask test client.

Sign-in is POST /api/v1/auth/token with a username and password, plus, for the roles in
GRIDCASE_TWO_FACTOR_ROLES (city_commander, admin), the code an authenticator app would show:
for the demo logins from their published secrets, for users a test makes from the secret
`enrol_second_factor` gave them. Every test gets its bearer token here.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta

import pyotp

from gridcase.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS

TOKEN_PATH = "/api/v1/auth/token"

# post(path, json body) → (status, decoded JSON answer)
Post = Callable[[str, dict], tuple[int, dict]]


# Authenticator secrets of the users tests enrolled, by username.
_SECRETS: dict[str, str] = {}


def enrol_second_factor(user) -> None:
    """Set up two-factor sign-in for a user a test made (flushed, never committed), as the web
    page does after the user scans the QR code. Enrolled with the previous time step's code, so
    the current code is still unused for the first sign-in."""
    from gridcase.people import two_factor
    from gridcase.settings import utcnow

    secret = two_factor.new_secret()
    now = utcnow()
    previous = pyotp.TOTP(secret).at(now - timedelta(seconds=two_factor.STEP_SECONDS))
    assert two_factor.confirm_enrolment(user, secret, previous, now)
    _SECRETS[user.username] = secret


def _token(post: Post, username: str, password: str) -> str:
    credentials = {"username": username, "password": password}
    secret = _SECRETS.get(username) or DEMO_TOTP_SECRETS.get(username)
    if secret:
        credentials["otp"] = pyotp.TOTP(secret).now()
    status, body = post(TOKEN_PATH, credentials)
    if status == 401 and secret:
        # A code signs in once: when another sign-in used this one, wait for the next.
        time.sleep(30 - time.time() % 30 + 1)
        status, body = post(TOKEN_PATH, {**credentials, "otp": pyotp.TOTP(secret).now()})
    if status != 200:
        raise AssertionError(f"{username} could not sign in: {status} {body}")
    assert body["token_type"] == "Bearer"
    return body["access_token"]


def token_over_http(base_url: str, username: str, password: str = DEMO_PASSWORD) -> str:
    """A bearer token from a running server, as an API client gets one."""

    def post(path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            base_url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    return _token(post, username, password)


def token_from_client(client, username: str, password: str = DEMO_PASSWORD) -> str:
    """A bearer token through the Flask test client (inside a test's transaction)."""

    def post(path: str, body: dict) -> tuple[int, dict]:
        response = client.post(path, json=body)
        return response.status_code, response.get_json(silent=True) or {}

    return _token(post, username, password)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def page_session(client, username: str, password: str = DEMO_PASSWORD):
    """Sign in on the sign-in page (a browser's session cookie stays in `client`)."""
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf})
    assert response.status_code == 302, f"{username} could not sign in on the page"
    return response


def system_user_token(user) -> str:
    """A bearer token issued straight to a user that never signs in (an Open311 client's system
    user, whose password nobody knows): to show what such a token could and could not do."""
    from gridcase.people.auth import issue_token

    return issue_token(user)[0]
