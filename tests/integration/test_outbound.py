"""Messages that reach people outside the app: an escalation goes by e-mail to a real SMTP server
on loopback (aiosmtpd) and to the township's 企业微信 group robot (an HTTP receiver on loopback);
neither names a party. A failing channel retries with back-off; nothing is sent in the web
request; quiet hours postpone."""

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import time as time_module
from datetime import time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from gridcase.audit.models import AuditEntry
from gridcase.cases.intake import create_case
from gridcase.cases.operations import perform_action
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.notifications.models import NotificationChannel, OutboundMessage
from gridcase.notifications.outbound import add_channel, deliver_outbound, fan_out, send_outbound
from tests.helpers import FENGQIAO, case_payload, in_december, rotated_cipher
from tests.integration.test_attachments_and_pages import csrf_from, sign_in
from tests.loopback import Receiver

PARTY = {"name": "张三丰", "phone": "13812348000", "id_number": "110105194912310029"}
ROBOT_OK = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp(app, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "GRIDCASE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "GRIDCASE_SMTP_PORT", port)
    yield mailbox
    controller.stop()


@pytest.fixture
def robot():
    receiver = Receiver(answer=ROBOT_OK, script={"/down": [500, 500, 200]})
    yield receiver
    receiver.stop()


def escalated_dispute(people, now=None):
    """A dispute whose title and escalation reason name the party, as people write them."""
    body = case_payload(
        people["worker"].scope_code,
        kind="dispute",
        category="D02",
        parties=[PARTY],
        title=f"{PARTY['name']}与邻居漏水纠纷",
    )
    case = create_case(people["worker"], body, now=now).case
    reason = f"{PARTY['name']}（{PARTY['phone']}）情绪激动，需镇街协调"
    perform_action(people["mediator"], case.id, "escalate", case.version, {"reason": reason}, now=now)
    return case


def test_an_escalation_reaches_an_inbox_and_the_townships_robot_without_naming_a_party(smtp, robot, people):
    add_channel("email", "chen@fengqiao.example.cn", user=people["township"])
    add_channel("wecom", f"{robot.url}/cgi-bin/webhook/send?key=k1", region_code=FENGQIAO)
    case = escalated_dispute(people)
    report = send_outbound()
    assert report.sent == 2 and report.failed_attempts == 0  # one mail; the robot once, not per handler

    [(recipients, raw)] = smtp.messages
    mail = email.message_from_string(raw, policy=email.policy.default).get_body().get_content()
    assert recipients == ["chen@fengqiao.example.cn"] and case.public_number in mail
    assert "Escalated to you" not in mail  # in the offices' words, whatever the page language
    [posted] = robot.at("/cgi-bin/webhook/send?key=k1")
    document = posted.json()
    assert document["msgtype"] == "text" and case.public_number in document["text"]["content"]
    for value in PARTY.values():
        assert value not in mail and value not in posted.body.decode()


def test_a_failing_channel_retries_with_back_off_then_succeeds(robot, people):
    add_channel("wecom", f"{robot.url}/down", region_code=FENGQIAO)
    now = in_december(7)
    escalated_dispute(people, now=now)
    fan_out(now)
    assert deliver_outbound(now).failed_attempts == 1
    [message] = db.session.scalars(sa.select(OutboundMessage)).all()
    assert message.status == "pending" and message.next_attempt_at > now  # waits
    assert deliver_outbound(now).failed_attempts == 0  # nothing due yet
    first_wait = message.next_attempt_at - now
    deliver_outbound(message.next_attempt_at)
    assert message.attempts == 2 and message.next_attempt_at - now > 2 * first_wait  # longer
    deliver_outbound(message.next_attempt_at)
    assert (message.status, message.attempts, len(robot.at("/down"))) == ("sent", 3, 3)


def test_the_web_request_sends_nothing_itself(api_as, robot, people):
    slow = Receiver(answer=ROBOT_OK, delay=5)
    try:
        add_channel("wecom", f"{slow.url}/slow", region_code=FENGQIAO)
        body = case_payload(people["worker"].scope_code)
        case = create_case(people["worker"], body).case
        answer = api_as(people["mediator"]).post(
            f"/api/v1/cases/{case.id}/actions", json={"action": "escalate", "version": 1, "reason": "需协调"}
        )
        assert answer.status_code == 200 and slow.received == []  # answered without waiting on it
        assert fan_out() == 1  # queued for the scheduler
    finally:
        slow.stop()


def test_quiet_hours_postpone_to_their_end(robot, people):
    add_channel("wecom", f"{robot.url}/night", region_code=FENGQIAO, quiet=(time(22, 0), time(7, 0)))
    night = in_december(7, 23)
    escalated_dispute(people, now=night)
    fan_out(night)
    assert deliver_outbound(night).postponed == 1 and robot.received == []
    [message] = db.session.scalars(sa.select(OutboundMessage)).all()
    assert message.next_attempt_at == in_december(8, 7)
    assert deliver_outbound(in_december(8, 7) + timedelta(minutes=1)).sent == 1


def test_a_channel_must_be_of_its_kind(people):
    for kind, address, owner in [
        ("email", "not-an-address", {"user": people["township"]}),
        ("sms", "12345", {"user": people["township"]}),
        ("wecom", "http://127.0.0.1:9/x", {"user": people["township"]}),  # a robot is a centre's
        ("email", "a@b.cn", {"region_code": FENGQIAO}),  # e-mail is a person's
    ]:
        with pytest.raises(Unprocessable):
            add_channel(kind, address, **owner)


def test_the_command_line_adds_a_channel_or_says_why_not(app, people):
    runner = app.test_cli_runner()
    user = people["township"].username
    sms = ["--kind", "sms", "--address", "13900001111", "--user", user, "--quiet", "22:00-07:00"]
    added = runner.invoke(args=["gridcase", "add-channel", *sms])
    assert added.exit_code == 0 and "139****1111" in added.output, added.output
    # (A refusal rolls the session back: it comes last.)
    refused = runner.invoke(
        args=["gridcase", "add-channel", "--kind", "email", "--address", "nope", "--user", user]
    )
    assert refused.exit_code == 1 and "Not an e-mail address" in refused.output


def test_a_dingtalk_robot_with_a_signing_secret_gets_signed_requests(robot, people):
    """钉钉's 加签: the URL carries the time in milliseconds and the Base64 HMAC-SHA256, keyed
    by the secret, of "{timestamp}\\n{secret}" — checked here as the robot's server checks it."""
    secret = "SEC0123456789abcdef"
    add_channel("dingtalk", f"{robot.url}/robot/send?access_token=t1", region_code=FENGQIAO, secret=secret)
    escalated_dispute(people)
    assert send_outbound().sent == 1
    [posted] = [r for r in robot.received if r.path.startswith("/robot/send")]
    query = parse_qs(urlsplit(posted.path).query)
    timestamp, sign = query["timestamp"][0], query["sign"][0]
    expected = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(sign) == expected and query["access_token"] == ["t1"]
    assert abs(int(timestamp) / 1000 - time_module.time()) < 60
    with pytest.raises(Unprocessable, match="signing secret"):
        add_channel("wecom", f"{robot.url}/w", region_code=FENGQIAO, secret=secret)


def test_people_choose_their_own_channels_through_the_api(api_as, people, smtp):
    township = api_as(people["township"])
    added = township.post(
        "/api/v1/notifications/channels",
        json={
            "kind": "email",
            "address": "chen@fengqiao.example.cn",
            "quiet_from": "22:00",
            "quiet_until": "07:00",
        },
    )
    assert added.status_code == 201 and added.json["address"] == "c***@fengqiao.example.cn"
    assert added.json["quiet_from"] == "22:00:00"
    listed = township.get("/api/v1/notifications/channels").json
    assert [c["kind"] for c in listed] == ["email"]
    for body in [
        {"kind": "wecom", "address": "http://127.0.0.1:9/x"},  # a robot is a centre's, not a person's
        {"kind": "sms", "address": "12345"},
        {"kind": "email", "address": "a@b.cn", "quiet_from": "22:00"},  # one end of the quiet hours
    ]:
        refused = township.post("/api/v1/notifications/channels", json=body)
        assert refused.status_code == 422, body
    other = api_as(people["township_2"])
    assert (
        other.client.delete(
            f"/api/v1/notifications/channels/{added.json['id']}", headers=other._headers(None)
        ).status_code
        == 404
    )  # not theirs
    gone = township.client.delete(
        f"/api/v1/notifications/channels/{added.json['id']}", headers=township._headers(None)
    )
    assert gone.status_code == 204 and township.get("/api/v1/notifications/channels").json == []
    escalated_dispute(people)
    assert send_outbound().sent == 0 and smtp.messages == []  # nothing goes to a removed channel
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.target == f"channel {added.json['id']}")
    ).all()
    assert sorted(actions) == ["channel_added", "channel_removed"]


def test_the_account_page_adds_and_removes_a_channel(app, people):
    client = app.test_client()
    sign_in(client, people["township"].username)
    page = client.get("/account?lang=en")
    token = csrf_from(page.data)
    refused = client.post(
        "/account/channels?lang=en", data={"csrf_token": token, "kind": "sms", "address": "1390000"}
    )
    assert refused.status_code == 422 and "Not a mobile phone number" in refused.get_data(as_text=True)
    form = {
        "csrf_token": token,
        "kind": "sms",
        "address": "13900001111",
        "quiet_from": "22:00",
        "quiet_until": "07:00",
    }
    assert client.post("/account/channels", data=form).status_code == 302
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "139****1111" in page and "quiet 22:00–07:00" in page and "13900001111" not in page
    channel_id = db.session.scalar(
        sa.select(NotificationChannel.id).where(NotificationChannel.user_id == people["township"].id)
    )
    removed = client.post(f"/account/channels/{channel_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302 and "139****1111" not in client.get("/account").get_data(as_text=True)


def test_key_rotation_re_encrypts_channel_addresses_and_secrets(app, robot, people):
    from gridcase.people.retention import rotate_keys

    channel = add_channel(
        "dingtalk", f"{robot.url}/robot/send?access_token=t2", region_code=FENGQIAO, secret="SECx"
    )
    with rotated_cipher(app, keep_old_key=True) as rotated:
        assert rotate_keys()["notification_channels"] >= 1
        db.session.refresh(channel)
        assert (
            rotated.key_id(channel.address_encrypted) == 2 and rotated.key_id(channel.secret_encrypted) == 2
        )
        escalated_dispute(people)
        assert send_outbound().sent == 1  # still readable under the new key
