"""Webhook rules without a database: event types, back-off, the signed body."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from gridcase.webhooks.rules import backoff, body_bytes, event_types, headers, signature, verify_signature


@pytest.mark.parametrize(
    ("event", "types"),
    [
        (("create", None, "pending", None, "community"), ["case.event", "case.created"]),
        (
            ("accept", "pending", "in_progress", "community", "community"),
            ["case.event", "case.status_changed"],
        ),
        (("note", "in_progress", "in_progress", "community", "community"), ["case.event"]),
        (
            ("escalate", "in_progress", "in_progress", "community", "township"),
            ["case.event", "case.level_changed", "case.escalated"],
        ),
        (
            ("auto_escalate", "pending", "pending", "township", "city"),
            ["case.event", "case.level_changed", "case.escalated"],
        ),
        (
            ("take_over", "pending", "pending", "community", "city"),
            ["case.event", "case.level_changed", "case.escalated"],
        ),
        (("hand_down", "pending", "pending", "city", "township"), ["case.event", "case.level_changed"]),
        (("mark_overdue", "pending", "pending", "city", "city"), ["case.event", "case.overdue"]),
    ],
)
def test_each_case_event_has_the_types_a_subscriber_would_expect(event, types):
    assert event_types(*event) == types


def test_back_off_doubles_from_the_base_up_to_the_cap():
    waits = [backoff(n, 30, 3600) for n in range(1, 10)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(seconds=3600)
    assert backoff(500, 30, 3600) == timedelta(seconds=3600)  # no overflow after many failures


def test_the_body_is_stable_and_its_signature_is_hmac_sha256_of_the_raw_bytes():
    payload = {"case": {"title": "暴露垃圾", "id": 7}, "types": ["case.created"]}
    body = body_bytes("d-1", payload)
    assert body == body_bytes("d-1", json.loads(json.dumps(payload)))  # what JSONB gives back
    assert json.loads(body)["delivery_id"] == "d-1" and "暴露垃圾" in body.decode()
    expected = "sha256=" + hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert signature("s3cret-s3cret-s3cret", body) == expected
    assert verify_signature("s3cret-s3cret-s3cret", body, expected)
    assert not verify_signature("s3cret-s3cret-s3cret", body + b" ", expected)
    assert not verify_signature("another-secret", body, expected)
    sent = headers("d-1", ["case.event", "case.created"], "s3cret-s3cret-s3cret", body, 1_800_000_000)
    assert sent["X-Gridcase-Signature"] == expected
    assert (sent["X-Gridcase-Delivery"], sent["X-Gridcase-Timestamp"]) == ("d-1", "1800000000")
