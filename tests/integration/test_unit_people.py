"""The people of a unit (承办人, 负责人): how they are made, and that they see only the cases
their unit holds an assignment of."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.settings import utcnow
from gridcase.units.models import CaseAssignment
from tests.helpers import CITY, FENGQIAO, JIYANG, case_payload, grid_in

UNIT = f"{FENGQIAO}-rlsbs"  # 枫桥镇人力社保所
POLICE = f"{FENGQIAO}-pcs"  # 枫桥镇派出所


def assign(case_id: int, unit_code: str, dispatcher, status: str = "pending") -> CaseAssignment:
    """An assignment as a dispatch will make it (the dispatch itself is tested with its action)."""
    now = utcnow()
    assignment = CaseAssignment(
        case_id=case_id,
        unit_code=unit_code,
        role="lead",
        status=status,
        requirement="核实欠薪情况",
        dispatched_by_id=dispatcher.id,
        dispatched_level="township",
        dispatched_at=now,
        started_at=now,
        sign_days=1,
        finish_days=15,
        sign_warn_at=now + timedelta(hours=19),
        sign_due_at=now + timedelta(days=1),
        finish_warn_at=now + timedelta(days=12),
        finish_due_at=now + timedelta(days=15),
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


@pytest.fixture
def township(make_user):
    return make_user("township_coordinator", FENGQIAO)


def test_an_admin_makes_a_units_people_by_naming_the_unit(api_as, make_user):
    admin = api_as(make_user("admin", CITY))
    made = admin.post("/api/v1/users", json={"username": "rlsbs-zhou", "role": "unit_handler", "unit": UNIT})
    assert made.status_code == 201, made.json
    assert (made.json["unit_code"], made.json["scope_code"]) == (UNIT, FENGQIAO)
    missing = admin.post("/api/v1/users", json={"username": "rlsbs-wu", "role": "unit_head"})
    assert missing.status_code == 422 and "unit" in missing.json["errors"]
    unknown = admin.post("/api/v1/users", json={"username": "rlsbs-wu", "role": "unit_head", "unit": "nope"})
    assert unknown.status_code == 422 and "unit" in unknown.json["errors"]
    not_a_unit_role = admin.post(
        "/api/v1/users",
        json={
            "username": "w-with-unit",
            "role": "grid_worker",
            "scope": grid_in(FENGQIAO).code,
            "unit": UNIT,
        },
    )
    assert not_a_unit_role.status_code == 422 and "unit" in not_a_unit_role.json["errors"]


def test_moving_a_unit_handler_to_another_unit_ends_their_sessions(api_as, make_user):
    admin = api_as(make_user("admin", CITY))
    handler = make_user("unit_handler", None, unit_code=UNIT)
    handler_api = api_as(handler)
    assert handler_api.get("/api/v1/notifications").status_code == 200
    moved = admin.patch(f"/api/v1/users/{handler.id}", json={"unit": POLICE})
    assert moved.status_code == 200 and moved.json["unit_code"] == POLICE
    assert handler_api.get("/api/v1/notifications").status_code == 401


def test_the_cli_makes_a_unit_head(app):
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["gridcase", "create-user", "--username", "rlsbs-head", "--role", "unit_head", "--unit", UNIT],
        input="correct-horse-battery\ncorrect-horse-battery\n",
    )
    assert made.exit_code == 0, made.output
    assert f"Created rlsbs-head (unit_head of {UNIT})." in made.output
    refused = runner.invoke(
        args=["gridcase", "create-user", "--username", "x-head", "--role", "unit_head", "--scope", FENGQIAO],
        input="correct-horse-battery\ncorrect-horse-battery\n",
    )
    assert refused.exit_code == 1 and "unit:" in refused.output


def test_a_unit_handler_sees_only_the_cases_their_unit_holds(api_as, make_user, worker, township):
    reporter = api_as(worker)
    assigned = reporter.post("/api/v1/cases", json=case_payload(worker.scope_code, title="欠薪")).json
    same_grid = reporter.post("/api/v1/cases", json=case_payload(worker.scope_code, title="同网格")).json
    assignment = assign(assigned["id"], UNIT, township)
    assign(same_grid["id"], POLICE, township)  # another unit's
    handler = api_as(make_user("unit_handler", None, unit_code=UNIT))

    assert handler.get(f"/api/v1/cases/{assigned['id']}").status_code == 200
    assert handler.get(f"/api/v1/cases/{assigned['public_number']}").status_code == 200
    assert handler.get(f"/api/v1/cases/{same_grid['id']}").status_code == 404
    listed = handler.get(f"/api/v1/cases?region={FENGQIAO}").json
    assert [c["id"] for c in listed["items"]] == [assigned["id"]]

    # Returned: the unit no longer holds it.
    db.session.execute(
        sa.update(CaseAssignment).where(CaseAssignment.id == assignment.id).values(status="returned")
    )
    assert handler.get(f"/api/v1/cases/{assigned['id']}").status_code == 404


def test_a_units_people_log_no_cases_and_read_no_statistics_or_alerts(api_as, make_user):
    head = api_as(make_user("unit_head", None, unit_code=UNIT))
    assert head.post("/api/v1/cases", json=case_payload(grid_in(FENGQIAO).code)).status_code == 403
    assert head.get(f"/api/v1/stats?region={FENGQIAO}").status_code == 403
    assert head.get("/api/v1/alerts").status_code == 403
    assert head.get(f"/api/v1/cases?region={JIYANG}").json["items"] == []
