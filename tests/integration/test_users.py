"""User administration by the city's admin, every change audited."""

import sqlalchemy as sa

from gridcase.audit.models import AuditEntry
from gridcase.extensions import db
from gridcase.people.models import User
from tests.helpers import CITY, FENGQIAO, JIYANG, OTHER_GRID, add_other_city, grid_in


def test_an_admin_creates_changes_and_disables_users(api_as, make_user, client):
    admin = api_as(make_user("admin", CITY))
    created = admin.post(
        "/api/v1/users",
        json={
            "username": "new-mediator",
            "role": "community_mediator",
            "scope": grid_in(FENGQIAO).community_code,
        },
    )
    assert created.status_code == 201
    body = created.json
    assert body["password"] and body["role"] == "community_mediator"
    assert (
        client.post(
            "/api/v1/auth/token", json={"username": "new-mediator", "password": body["password"]}
        ).status_code
        == 200
    )

    promoted = admin.patch(
        f"/api/v1/users/{body['id']}", json={"role": "township_coordinator", "scope": JIYANG}
    )
    assert (promoted.status_code, promoted.json["role"], promoted.json["scope_code"]) == (
        200,
        "township_coordinator",
        JIYANG,
    )
    wrong_level = admin.patch(f"/api/v1/users/{body['id']}", json={"role": "grid_worker", "scope": JIYANG})
    assert wrong_level.status_code == 422 and "scope" in wrong_level.json["errors"]

    disabled = admin.patch(f"/api/v1/users/{body['id']}", json={"active": False})
    assert disabled.json["active"] is False
    assert (
        client.post(
            "/api/v1/auth/token", json={"username": "new-mediator", "password": body["password"]}
        ).status_code
        == 401
    )

    audit = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target == "new-mediator")).all()
    assert audit.count("user_created") == 1 and audit.count("user_changed") == 2


def test_password_and_two_factor_resets(api_as, make_user, client):
    admin = api_as(make_user("admin", CITY))
    worker = make_user("grid_worker", grid_in(FENGQIAO).code)
    old_token = api_as(worker)
    new_password = admin.post(f"/api/v1/users/{worker.id}/reset-password").json["password"]
    assert old_token.get("/api/v1/cases").status_code == 401  # sessions and tokens end
    assert (
        client.post(
            "/api/v1/auth/token", json={"username": worker.username, "password": new_password}
        ).status_code
        == 200
    )
    reset = admin.post(f"/api/v1/users/{worker.id}/reset-two-factor")
    assert reset.json["two_factor"] is False


def test_only_admins_manage_users(api_as, make_user):
    for role, scope in (("city_commander", CITY), ("auditor", CITY), ("township_coordinator", FENGQIAO)):
        assert api_as(make_user(role, scope)).get("/api/v1/users").status_code == 403


def test_an_admin_cannot_lock_themselves_out(api_as, make_user):
    user = make_user("admin", CITY)
    admin = api_as(user)
    assert admin.patch(f"/api/v1/users/{user.id}", json={"active": False}).status_code == 422
    assert admin.patch(f"/api/v1/users/{user.id}", json={"role": "auditor"}).status_code == 422


def test_an_admin_cannot_give_a_new_user_grids_of_another_city(api_as, make_user):
    add_other_city()
    admin = api_as(make_user("admin", CITY))
    body = {"username": "two-cities", "role": "grid_worker", "scope": grid_in(FENGQIAO).code}
    refused = admin.post("/api/v1/users", json={**body, "grids": [OTHER_GRID]})
    assert refused.status_code == 422 and "grids" in refused.json["errors"]
    assert db.session.scalar(sa.select(User).where(User.username == "two-cities")) is None
