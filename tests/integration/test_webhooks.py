"""Webhooks: an admin subscribes a system; case events reach it as signed JSON through the outbox,
sent by the delivery job (never by a web request), retried with back-off, logged attempt by
attempt; a receiver that keeps failing is paused until an admin resumes it. Real HTTP receivers
on loopback; the job is driven with an explicit clock instead of sleeping."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gridcase.cases.events import verify_chain
from gridcase.cases.intake import create_case
from gridcase.cases.models import Case
from gridcase.cases.schemas import WEBHOOK_CASE_FIELDS
from gridcase.extensions import db
from gridcase.ladder.sweep import sweep
from gridcase.people.models import User
from gridcase.settings import utcnow
from gridcase.webhooks.delivery import deliver_due, prune_deliveries
from gridcase.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from gridcase.webhooks.subscriptions import create_subscription
from tests.helpers import CITY, FENGQIAO, JIYANG, case_payload, delete_committed_cases, grid_in
from tests.loopback import Receiver


@pytest.fixture
def admin_api(api_as, make_user):
    return api_as(make_user("admin", CITY))


@pytest.fixture
def worker_api(api_as, worker):
    return api_as(worker)


@pytest.fixture
def mediator_api(api_as, make_user):
    return api_as(make_user("community_mediator", grid_in(FENGQIAO).community_code))


@pytest.fixture
def clock(app, monkeypatch):
    """Back-off of 10 s doubling to at most 60 s, 10 attempts, pause after 20 failures in a row."""
    for name, value in {
        "GRIDCASE_WEBHOOK_BACKOFF_BASE_SECONDS": 10,
        "GRIDCASE_WEBHOOK_BACKOFF_CAP_SECONDS": 60,
        "GRIDCASE_WEBHOOK_MAX_ATTEMPTS": 10,
        "GRIDCASE_WEBHOOK_PAUSE_AFTER": 20,
        "GRIDCASE_WEBHOOK_TIMEOUT_SECONDS": 5,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    return utcnow()


def subscribe(admin_api, url, event_types, scope=FENGQIAO, **extra) -> dict:
    response = admin_api.post(
        "/api/v1/webhooks",
        json={"name": "12345平台", "url": url, "event_types": event_types, "scope": scope, **extra},
    )
    assert response.status_code == 201, response.json
    return response.json


def log_case(worker_api, township=FENGQIAO, **overrides) -> dict:
    response = worker_api.post("/api/v1/cases", json=case_payload(grid_in(township).code, **overrides))
    assert response.status_code == 201, response.json
    return response.json


def deliveries(admin_api, webhook_id) -> list[dict]:
    return admin_api.get(f"/api/v1/webhooks/{webhook_id}/deliveries").json["items"]


def test_a_receiver_failing_three_times_gets_the_event_acknowledged_once(
    admin_api, worker_api, receiver, clock
):
    hook = receiver(script={"/hook": [500, 500, 500, 200]})
    webhook = subscribe(admin_api, f"{hook.url}/hook", ["case.created"])
    case = log_case(worker_api)
    assert hook.received == []  # the request only queued the event

    t0 = clock
    runs = [
        (t0, 1),
        (t0 + timedelta(seconds=9), 0),  # waiting 10 s
        (t0 + timedelta(seconds=10), 1),
        (t0 + timedelta(seconds=29), 0),  # waiting 20 s
        (t0 + timedelta(seconds=30), 1),
        (t0 + timedelta(seconds=70), 1),  # waited 40 s; answered 200
        (t0 + timedelta(days=1), 0),  # acknowledged: never sent again
        (t0 + timedelta(days=30), 0),
    ]
    assert [deliver_due(now=at).attempts for at, _ in runs] == [sent for _, sent in runs]
    assert [r.answered for r in hook.received] == [500, 500, 500, 200]
    assert len({r.body for r in hook.received}) == 1  # the same signed bytes every time
    assert hook.received[0].json()["case"]["public_number"] == case["public_number"]

    (delivery,) = deliveries(admin_api, webhook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["public_number"]) == (
        "delivered",
        4,
        case["public_number"],
    )
    log = delivery["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 500, 500, 200]
    assert all(a["error"].startswith("HTTP 500") for a in log[:3]) and log[3]["error"] is None
    assert all(isinstance(a["duration_ms"], int) and a["duration_ms"] >= 0 for a in log)
    assert [a["attempted_at"] for a in log] == sorted(a["attempted_at"] for a in log)
    assert admin_api.get(f"/api/v1/webhooks/{webhook['id']}").json["consecutive_failures"] == 0


def test_each_delivery_is_signed_with_the_subscribers_secret(admin_api, worker_api, receiver, clock):
    hook = receiver()
    webhook = subscribe(admin_api, f"{hook.url}/signed", ["case.created"])
    secret = webhook["secret"]  # generated, and answered this once
    assert len(secret) >= 32
    assert "secret" not in admin_api.get(f"/api/v1/webhooks/{webhook['id']}").json
    party = {"name": "欧阳娜娜", "phone": "13812348000", "role": "applicant"}
    case = log_case(worker_api, kind="dispute", category="D02", title="邻里噪音纠纷", parties=[party])
    deliver_due(now=clock)

    (got,) = hook.received
    expected = "sha256=" + hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["X-Gridcase-Signature"], expected)
    wrong = "sha256=" + hmac.new(b"another-secret", got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Gridcase-Signature"] != wrong
    body = got.json()
    assert got.headers["X-Gridcase-Delivery"] == body["delivery_id"]
    assert got.headers["X-Gridcase-Event"] == "case.event,case.created"
    assert abs(int(got.headers["X-Gridcase-Timestamp"]) - clock.timestamp()) < 2
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert body["types"] == ["case.event", "case.created"]
    assert body["event"]["action"] == "create" and body["event"]["seq"] == 1
    assert body["case"]["public_number"] == case["public_number"]
    assert (body["case"]["status"], body["case"]["level"]) == ("pending", "community")
    # The case as the API shows it, in part: one schema serialises both.
    assert body["case"] == {name: case[name] for name in WEBHOOK_CASE_FIELDS}
    assert "description" not in body["case"] and "parties" not in body["case"]
    assert "欧阳" not in got.body.decode() and "13812348000" not in got.body.decode()  # parties never leave


def test_a_receiver_that_keeps_failing_is_paused_until_an_admin_resumes_it(
    app, admin_api, worker_api, mediator_api, receiver, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "GRIDCASE_WEBHOOK_PAUSE_AFTER", 3)
    monkeypatch.setitem(app.config, "GRIDCASE_WEBHOOK_BACKOFF_BASE_SECONDS", 1)
    hook = receiver(script={"/down": [503]})
    webhook = subscribe(admin_api, f"{hook.url}/down", ["case.event"], scope=CITY)
    case = log_case(worker_api)
    reports = [deliver_due(now=clock + timedelta(seconds=s)) for s in (0, 1, 3)]
    assert [r.failed_attempts for r in reports] == [1, 1, 1]
    assert reports[-1].paused == ["12345平台"]

    paused = admin_api.get(f"/api/v1/webhooks/{webhook['id']}").json
    assert (paused["status"], paused["consecutive_failures"]) == ("paused", 3)
    assert "3 consecutive failed attempts" in paused["pause_reason"] and "HTTP 503" in paused["pause_reason"]
    assert deliver_due(now=clock + timedelta(days=1)).attempts == 0  # paused: nothing is sent
    mediator_api.post(f"/api/v1/cases/{case['id']}/actions", json={"action": "accept", "version": 1})
    assert len(deliveries(admin_api, webhook["id"])) == 1  # nor queued while paused
    assert len(hook.received) == 3

    hook.script["/down"] = [200]  # the receiver is fixed
    resumed = admin_api.post(f"/api/v1/webhooks/{webhook['id']}/resume").json
    assert (resumed["status"], resumed["consecutive_failures"], resumed["pause_reason"]) == (
        "active",
        0,
        None,
    )
    assert deliver_due(now=clock + timedelta(days=1)).delivered == 1
    (delivery,) = deliveries(admin_api, webhook["id"])
    assert [a["status_code"] for a in delivery["attempt_log"]] == [503, 503, 503, 200]


def test_scope_and_event_types_choose_what_each_subscriber_gets(
    admin_api, worker_api, mediator_api, receiver, clock
):
    hook = receiver()
    subscribe(admin_api, f"{hook.url}/fengqiao-created", ["case.created"])
    subscribe(admin_api, f"{hook.url}/fengqiao-status", ["case.status_changed"])
    subscribe(admin_api, f"{hook.url}/jiyang-created", ["case.created"], scope=JIYANG)
    subscribe(admin_api, f"{hook.url}/city-escalated", ["case.escalated"], scope=CITY)
    subscribe(admin_api, f"{hook.url}/paused", ["case.event"], scope=CITY, active=False)

    case = log_case(worker_api)  # in 枫桥镇
    accepted = mediator_api.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": "accept", "version": 1}
    )
    assert accepted.status_code == 200
    mediator_api.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": "note", "version": 2, "text": "已联系"}
    )
    escalated = mediator_api.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": "escalate", "version": 3, "reason": "需镇协调"}
    )
    assert escalated.status_code == 200
    deliver_due(now=clock)

    def actions(path):
        return [r.json()["event"]["action"] for r in hook.at(path)]

    assert actions("/fengqiao-created") == ["create"]
    assert actions("/fengqiao-status") == ["accept"]  # the note and the escalation kept the status
    assert actions("/jiyang-created") == []  # another township's subscriber
    assert actions("/city-escalated") == ["escalate"]
    assert actions("/paused") == []
    assert "case.level_changed" in hook.at("/city-escalated")[0].json()["types"]

    # The sweep queues like a person does: its automatic escalation reaches the city subscriber,
    # with the case as the escalation left it even when the sweep's session held it before.
    held = db.session.get(Case, case["id"])
    assert held.level == "township"
    report = sweep(clock + timedelta(days=60))
    assert case["public_number"] in [number for number, _, _ in report.escalated]
    assert hook.at("/city-escalated")[1:] == []  # queued by the sweep, sent only by the job
    deliver_due(now=clock + timedelta(days=60))
    assert actions("/city-escalated") == ["escalate", "auto_escalate"]
    swept = hook.at("/city-escalated")[1].json()  # the case as the escalation left it
    assert swept["case"]["level"] == swept["event"]["to_level"] == "city"
    assert swept["case"]["version"] == 5 and held.level == "city"
    checked, broken = verify_chain(case["id"])
    assert (checked, broken) == (1, [])  # the outbox leaves the hash chain as it was


def test_web_requests_only_queue_and_the_job_sends(app, admin_api, worker_api, mediator_api, receiver, clock):
    hook = receiver()
    webhook = subscribe(admin_api, f"{hook.url}/all", ["case.event"])
    case = log_case(worker_api)
    response = mediator_api.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": "accept", "version": 1}
    )
    assert response.status_code == 200
    assert hook.received == []
    queued = deliveries(admin_api, webhook["id"])
    assert [(d["action"], d["status"], d["attempts"]) for d in queued] == [
        ("accept", "pending", 0),
        ("create", "pending", 0),
    ]
    assert deliver_due(now=clock).delivered == 2
    assert sorted(r.json()["event"]["action"] for r in hook.received) == ["accept", "create"]


def test_the_scheduler_process_runs_the_delivery_job(app, admin_api, worker_api, receiver):
    from gridcase.jobs import WEBHOOKS, build_scheduler, run_job
    from gridcase.webhooks.delivery import deliver_due

    job = build_scheduler(app, 60).get_job("webhooks")
    assert (job.func, job.args[1], WEBHOOKS.work) == (run_job, WEBHOOKS, deliver_due)
    assert job.trigger.interval == timedelta(seconds=app.config["GRIDCASE_WEBHOOK_SECONDS"])
    hook = receiver()
    subscribe(admin_api, f"{hook.url}/job", ["case.created"])
    log_case(worker_api)
    run_job(app, WEBHOOKS)  # what the scheduler calls, with the real clock
    assert [r.json()["event"]["action"] for r in hook.received] == ["create"]


def test_a_given_up_delivery_can_be_retried_but_an_acknowledged_one_never_again(
    app, admin_api, worker_api, receiver, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "GRIDCASE_WEBHOOK_MAX_ATTEMPTS", 2)
    hook = receiver(script={"/flaky": [500, 500, 200]})
    webhook = subscribe(admin_api, f"{hook.url}/flaky", ["case.created"])
    log_case(worker_api)
    deliver_due(now=clock)
    assert deliver_due(now=clock + timedelta(seconds=10)).gave_up == 1
    assert deliver_due(now=clock + timedelta(days=1)).attempts == 0
    (given_up,) = deliveries(admin_api, webhook["id"])
    assert (given_up["status"], given_up["last_status_code"]) == ("failed", 500)

    retry = f"/api/v1/webhooks/{webhook['id']}/deliveries/{given_up['id']}/retry"
    assert admin_api.post(retry).json["status"] == "pending"
    assert deliver_due(now=utcnow() + timedelta(seconds=1)).delivered == 1
    again = admin_api.post(retry)
    assert again.status_code == 422 and "never sent again" in again.json["message"]
    assert [r.answered for r in hook.received] == [500, 500, 200]


def test_only_an_admin_of_the_city_manages_webhooks(admin_api, worker_api, api_as, make_user):
    township = api_as(make_user("township_coordinator", FENGQIAO))
    for api in (worker_api, township):
        assert api.get("/api/v1/webhooks").status_code == 403
        refused = api.post(
            "/api/v1/webhooks", json={"name": "x", "url": "http://x", "event_types": ["case.event"]}
        )
        assert refused.status_code == 403
    good = {"name": "x", "url": "http://127.0.0.1:9/x", "event_types": ["case.created"]}
    for change, field in [
        ({"scope": "999999999999"}, "scope"),
        ({"event_types": ["case.deleted"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"secret": "short"}, "secret"),
    ]:
        response = admin_api.post("/api/v1/webhooks", json={**good, **change})
        assert response.status_code == 422 and field in response.json["errors"], response.json
    created = admin_api.post("/api/v1/webhooks", json=good).json
    assert created["scope"] == CITY  # the admin's city by default
    bearer = {"Authorization": f"Bearer {admin_api.token}"}
    changed = admin_api.client.patch(
        f"/api/v1/webhooks/{created['id']}", json={"event_types": ["case.overdue"]}, headers=bearer
    )
    assert changed.json["event_types"] == ["case.overdue"]
    assert admin_api.post(f"/api/v1/webhooks/{created['id']}/pause").json["status"] == "paused"
    assert [w["id"] for w in admin_api.get("/api/v1/webhooks").json] == [created["id"]]
    assert admin_api.client.delete(f"/api/v1/webhooks/{created['id']}", headers=bearer).status_code == 204
    assert admin_api.get(f"/api/v1/webhooks/{created['id']}").status_code == 404


# --- two delivery workers at once ---------------------------------------------------------------


@pytest.fixture
def queued_deliveries(app):
    """Eight committed case events queued for one subscriber of a slow receiver."""
    hook = Receiver(delay=0.15)
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "demo-admin"))
        worker = db.session.scalar(sa.select(User).where(User.username == "demo-worker"))
        subscription, _ = create_subscription(
            admin, {"name": "并发测试", "url": f"{hook.url}/race", "event_types": ["case.created"]}
        )
        case_ids = [
            create_case(worker, case_payload(worker.scope_code, title=f"并发{i}")).case.id for i in range(8)
        ]
        db.session.commit()
        subscription_id = subscription.id
    yield hook, subscription_id, case_ids
    hook.stop()
    delete_committed_cases(app, case_ids)
    with app.app_context():
        db.session.execute(sa.delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id))
        db.session.commit()


@pytest.mark.committing
def test_two_delivery_workers_never_send_the_same_delivery(app, queued_deliveries):
    hook, subscription_id, case_ids = queued_deliveries
    now = utcnow() + timedelta(seconds=1)
    reports = []

    def worker():
        with app.app_context():
            reports.append(deliver_due(now=now))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    sent = [r.headers["X-Gridcase-Delivery"] for r in hook.received]
    assert len(sent) == 8 and len(set(sent)) == 8  # every delivery once, none twice
    assert all(report.delivered > 0 for report in reports)  # both workers shared the work
    with app.app_context():
        rows = db.session.execute(
            sa.select(WebhookDelivery.uid, WebhookDelivery.status, WebhookDelivery.attempts).where(
                WebhookDelivery.subscription_id == subscription_id
            )
        ).all()
        attempts = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(WebhookAttempt)
            .join(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription_id)
        )
    assert sorted(str(uid) for uid, _, _ in rows) == sorted(sent)
    assert {(status, tries) for _, status, tries in rows} == {("delivered", 1)}
    assert attempts == 8
    assert {json.loads(r.body)["case"]["id"] for r in hook.received} == set(case_ids)


def test_housekeeping_prunes_finished_deliveries_past_their_retention_and_keeps_pending_ones(
    app, admin_api, worker_api, receiver, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "GRIDCASE_WEBHOOK_MAX_ATTEMPTS", 1)
    monkeypatch.setitem(app.config, "GRIDCASE_WEBHOOK_RETENTION_DAYS", 90)
    hook = receiver(script={"/down": [500]})
    healthy = subscribe(admin_api, f"{hook.url}/up", ["case.created"])
    broken = subscribe(admin_api, f"{hook.url}/down", ["case.created"])
    log_case(worker_api)
    report = deliver_due(now=clock)
    assert (report.delivered, report.gave_up) == (1, 1)
    log_case(worker_api)  # queued after the run: pending for both subscribers

    def statuses() -> list[str]:
        both = deliveries(admin_api, healthy["id"]) + deliveries(admin_api, broken["id"])
        return sorted(d["status"] for d in both)

    assert prune_deliveries(now=clock + timedelta(days=89)) == 0
    assert statuses() == ["delivered", "failed", "pending", "pending"]
    before = [d["id"] for d in deliveries(admin_api, healthy["id"]) + deliveries(admin_api, broken["id"])]
    assert prune_deliveries(now=clock + timedelta(days=91)) == 2
    assert statuses() == ["pending", "pending"]
    attempts_left = sa.select(sa.func.count()).where(WebhookAttempt.delivery_id.in_(before))
    assert db.session.scalar(attempts_left) == 0  # the attempt logs went with their deliveries
