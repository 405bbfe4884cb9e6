"""Lifecycle actions over HTTP: who may act, versions, the event log and notifications."""

import pytest
import sqlalchemy as sa

from gridcase.extensions import db
from gridcase.notifications.models import Notification
from tests.helpers import CITY, FENGQIAO, case_payload, grid_in


class People:
    """A worker, the mediator of their community, the 枫桥镇 coordinator and the city commander."""

    def __init__(self, make_user, api_as):
        grid = grid_in(FENGQIAO)
        self.grid = grid
        self.worker = api_as(make_user("grid_worker", grid.code))
        self.mediator = api_as(make_user("community_mediator", grid.community_code))
        self.other_mediator = api_as(make_user("community_mediator", grid_in(FENGQIAO, 40).community_code))
        self.township = api_as(make_user("township_coordinator", FENGQIAO))
        self.city = api_as(make_user("city_commander", CITY))

    def new_case(self, **overrides) -> dict:
        response = self.worker.post("/api/v1/cases", json=case_payload(self.grid.code, **overrides))
        assert response.status_code == 201, response.json
        return response.json


@pytest.fixture
def people(make_user, api_as):
    return People(make_user, api_as)


def act(client, case: dict, action: str, **payload):
    return client.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": action, "version": case["version"], **payload}
    )


def ok(client, case, action, **payload) -> dict:
    response = act(client, case, action, **payload)
    assert response.status_code == 200, response.json
    return response.json


def test_accept_then_resolve_then_verify_closes(people):
    case = people.new_case()
    case = ok(people.mediator, case, "accept", note="已联系环卫")
    assert (case["status"], case["version"]) == ("in_progress", 2)
    assert case["accepted_at"] and case["assignee"]["id"] == people.mediator.user.id
    case = ok(people.mediator, case, "resolve", outcome="referred_to_department", summary="环卫已清运")
    assert case["status"] == "resolved"
    assert case["resolution"]["level"] == "community" and case["resolution"]["on_time"] is True
    case = ok(people.township, case, "verify", passed=True, note="现场核查已清理")
    assert case["status"] == "closed" and case["closed_at"]
    assert [e["action"] for e in case["events"]] == ["create", "accept", "resolve", "verify"]
    assert [(e["from_status"], e["to_status"]) for e in case["events"][1:]] == [
        ("pending", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]


def test_a_stale_version_is_409_and_changes_nothing(people):
    case = people.new_case()
    ok(people.mediator, case, "accept")
    response = act(people.township, case, "take_over")  # still holds version 1
    assert response.status_code == 409
    assert "changed since you loaded it" in response.json["message"]
    fresh = people.mediator.get(f"/api/v1/cases/{case['id']}").json
    assert (fresh["level"], fresh["version"], len(fresh["events"])) == ("community", 2, 2)


def test_a_refused_action_is_422_with_the_reason(people):
    case = people.new_case()
    response = act(people.township, case, "accept")
    assert response.status_code == 422
    assert (
        response.json["message"]
        == "Only the community level handling this case (or the city) may 'accept' it."
    )
    response = act(people.mediator, case, "verify", passed=True)
    assert response.status_code == 422
    assert "cannot take 'verify'" in response.json["message"]


def test_a_handler_of_another_community_gets_404(people):
    case = people.new_case()
    response = act(people.other_mediator, case, "accept")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("resolve", {}, "outcome"),
        ("resolve", {"outcome": "magic"}, "outcome"),
        ("escalate", {"reason": ""}, "reason"),
        ("request_extension", {"days": 99, "reason": "x"}, "days"),
        ("accept", {"surprise": True}, "surprise"),
    ],
)
def test_bad_action_fields_are_422(people, action, payload, field):
    case = ok(people.mediator, people.new_case(), "accept") if action != "accept" else people.new_case()
    response = act(people.mediator, case, action, **payload)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_unknown_actions_and_missing_versions(people):
    case = people.new_case()
    response = people.mediator.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": "explode", "version": 1}
    )
    assert response.status_code == 422 and "action" in response.json["errors"]
    response = people.mediator.post(f"/api/v1/cases/{case['id']}/actions", json={"action": "accept"})
    assert response.status_code == 422 and "version" in response.json["errors"]


def _inbox(client) -> list[dict]:
    return client.get("/api/v1/notifications").json["items"]


def test_escalation_moves_the_level_restarts_the_clock_and_notifies(people):
    case = ok(people.mediator, people.new_case(), "accept")
    escalated = ok(people.mediator, case, "escalate", reason="涉及多个村，需镇里协调")
    assert (escalated["level"], escalated["status"], escalated["escalation_count"]) == (
        "township",
        "in_progress",
        1,
    )
    assert escalated["level_started_at"] > case["level_started_at"]
    assert escalated["due_at"] > case["due_at"]
    kinds = [(n["kind"], n["case_id"]) for n in _inbox(people.township)]
    assert ("escalated", case["id"]) in kinds
    # No longer their level: they may still add notes, not resolve.
    assert act(people.mediator, escalated, "resolve", outcome="explained").status_code == 422
    assert act(people.mediator, escalated, "note", text="补充村里的情况").status_code == 200


def test_hand_down_with_instruction_and_deadline(people):
    case = people.new_case(severity="significant")  # starts at township
    assert case["level"] == "township"
    handed = ok(people.township, case, "hand_down", instruction="请村里先行调处", due_days=2)
    assert handed["level"] == "community"
    assert any(n["kind"] == "handed_down" for n in _inbox(people.mediator))
    assert handed["events"][-1]["payload"]["instruction"] == "请村里先行调处"


def test_the_city_takes_over_and_supervises(people):
    case = people.new_case()
    taken = ok(people.city, case, "take_over", reason="市里统筹")
    assert taken["level"] == "city"
    supervised = ok(people.city, taken, "supervise", note="限三日内办结")
    assert supervised["supervised"] is True


def test_extension_request_and_decision_move_the_due_time(people):
    case = ok(people.mediator, people.new_case(category="E0105"), "accept")
    asked = ok(people.mediator, case, "request_extension", days=2, reason="等待鉴定")
    assert asked["extension_requested_days"] == 2
    assert any(n["kind"] == "extension_requested" for n in _inbox(people.township))
    decided = ok(people.township, asked, "decide_extension", approved=True, note="同意")
    assert decided["extension_days"] == 2 and decided["extension_requested_days"] is None
    assert decided["due_at"] > asked["due_at"]
    assert any(n["kind"] == "extension_decided" for n in _inbox(people.mediator))


def test_failed_verification_reopens_and_notifies(people):
    case = ok(people.mediator, people.new_case(), "resolve", outcome="explained")
    failed = ok(people.township, case, "verify", passed=False, note="现场仍有垃圾")
    assert failed["status"] == "in_progress" and failed["resolution"] is None
    assert any(n["kind"] == "verification_failed" for n in _inbox(people.mediator))


def test_dissatisfied_revisit_reopens(people):
    case = ok(people.mediator, people.new_case(), "resolve", outcome="explained")
    case = ok(people.township, case, "verify", passed=True)
    case = ok(people.township, case, "revisit", satisfaction="dissatisfied", note="群众不认可")
    assert (case["status"], case["satisfaction"]) == ("in_progress", "dissatisfied")


def test_mediation_with_an_agreement_is_kept_in_the_timeline(people):
    dispute = people.new_case(kind="dispute", category="D02", title="邻里噪音")
    dispute = ok(people.mediator, dispute, "accept")
    mediated = ok(
        people.mediator,
        dispute,
        "mediate",
        session={"held_at": "2026-11-20T09:30:00+08:00", "place": "村调委会", "summary": "双方同意调整作息"},
        agreement={"terms": "晚十点后不得装修", "performance_deadline": "2026-12-31"},
    )
    event = mediated["events"][-1]
    assert event["action"] == "mediate"
    agreement = event["payload"]["agreement"]
    assert {key: agreement[key] for key in ("terms", "performance_deadline", "signed_at")} == {
        "terms": "晚十点后不得装修",
        "performance_deadline": "2026-12-31",
        "signed_at": None,
    }
    assert agreement["number"].endswith("号") and agreement["agreement_id"] > 0  # a record of its own
    resolved = ok(people.mediator, mediated, "resolve", outcome="agreement_signed")
    assert resolved["status"] == "resolved"


def test_mark_duplicate_closes_and_points_to_the_original(people):
    original = people.new_case()
    copy = people.new_case()
    closed = ok(people.mediator, copy, "mark_duplicate", original=original["public_number"])
    assert (closed["status"], closed["duplicate_of"]) == ("closed", original["id"])
    again = act(people.mediator, original, "mark_duplicate", original=str(original["id"]))
    assert again.status_code == 422


def test_assign_to_the_grid_worker(people):
    case = ok(people.mediator, people.new_case(), "accept")
    assigned = ok(people.mediator, case, "assign", assignee_id=people.worker.user.id, note="请现场核实")
    assert assigned["assignee"]["id"] == people.worker.user.id
    assert any(n["kind"] == "assigned" for n in _inbox(people.worker))
    stranger = act(people.mediator, assigned, "assign", assignee_id=people.other_mediator.user.id)
    assert stranger.status_code == 422


def test_reject_needs_a_reason_and_ends_the_case(people):
    case = people.new_case()
    rejected = ok(people.mediator, case, "reject", reason="不属于受理范围")
    assert rejected["status"] == "rejected"
    assert rejected["allowed_actions"] == ["note"]


def test_the_detail_lists_what_the_viewer_may_do(people):
    case = people.new_case()
    seen_by_mediator = people.mediator.get(f"/api/v1/cases/{case['id']}").json["allowed_actions"]
    assert {"accept", "reject", "escalate", "resolve"} <= set(seen_by_mediator)
    seen_by_worker = people.worker.get(f"/api/v1/cases/{case['id']}").json["allowed_actions"]
    assert "accept" not in seen_by_worker and "escalate" not in seen_by_worker  # the community's call


def test_notifications_are_marked_read(people):
    people.new_case()
    inbox = people.mediator.get("/api/v1/notifications").json
    assert inbox["unread"] == 1 and inbox["items"][0]["kind"] == "new_case"
    first = inbox["items"][0]["id"]
    assert people.mediator.post(f"/api/v1/notifications/{first}/read").json == {"marked": 1}
    assert people.mediator.get("/api/v1/notifications?unread=1").json["items"] == []
    assert people.township.post(f"/api/v1/notifications/{first}/read").status_code == 404


def test_a_major_case_raises_a_red_alert_and_reaches_the_city(people):
    case = people.new_case(severity="major", title="化工厂气味刺鼻")
    assert case["level"] == "city"
    alerts = db.session.execute(
        sa.text(
            "SELECT a.kind, a.severity FROM alerts a"
            " JOIN alert_cases c ON c.alert_id = a.id WHERE c.case_id = :id"
        ),
        {"id": case["id"]},
    ).all()
    assert alerts == [("major_case", "red")]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Notification.case_id == case["id"], Notification.user_id == people.city.user.id
            )
        )
        == 1
    )
