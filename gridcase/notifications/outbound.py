"""Messages that reach people outside the app (DESIGN §2, "Messages"): each notification also
goes through its recipient's channels (their e-mail, their phone by SMS) and through the group
robot (企业微信 / 钉钉) of the centre whose handlers are told, by one outbox that the scheduler
sends with retries and back-off. A web request only writes notifications; nothing here runs in
one, so a channel that is down never slows a person at work.

- `fan_out`: new notifications become outbox rows, set-based, once (`notifications.fanned_out`);
  a group robot gets each message once however many of its centre's handlers are told.
- `deliver_outbound`: due rows one at a time, FOR UPDATE SKIP LOCKED, each committed; a channel
  in its quiet hours is postponed to their end; a failure waits with exponential back-off, and
  after GRIDCASE_OUTBOUND_MAX_ATTEMPTS the row is given up.

A message out of the app says only which case and what happened to it, in fixed words (the
case's public number and the notification's kind): never a title, a reason or a note that a
person typed, which could name a party; the rest is read in the app, signed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from urllib.parse import quote_plus

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from flask_babel import lazy_gettext as _l

from gridcase.audit.log import AuditAction, record
from gridcase.cases.models import Case
from gridcase.errors import NotFound, Unprocessable
from gridcase.extensions import db
from gridcase.messages import Message
from gridcase.notifications.inbox import Kind
from gridcase.notifications.models import Notification, NotificationChannel, OutboundMessage
from gridcase.people.models import User
from gridcase.people.privacy import mask_phone
from gridcase.people.roles import HANDLER_ROLES
from gridcase.settings import cipher, local_tz, setting, utcnow
from gridcase.territory.models import Region
from gridcase.vocabulary import LabelledEnum
from gridcase.webhooks.delivery import Outcome, post
from gridcase.webhooks.destinations import DestinationRefused, check_url
from gridcase.webhooks.rules import backoff


class ChannelKind(LabelledEnum):
    EMAIL = "email", _l("E-mail")
    SMS = "sms", _l("SMS")  # 短信
    WECOM = "wecom", _l("WeCom group robot")  # 企业微信群机器人
    DINGTALK = "dingtalk", _l("DingTalk group robot")  # 钉钉群机器人


KINDS = tuple(kind.value for kind in ChannelKind)
ROBOTS = ("wecom", "dingtalk")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,24}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
ADDRESS_FIELD = "channel_address"  # the cipher's field name for channel addresses
SECRET_FIELD = "channel_secret"  # and for a 钉钉 robot's signing secret
PERSONAL = ("email", "sms")  # what a person chooses for themselves


# --- channels ---------------------------------------------------------------------------------


def add_channel(
    kind: str,
    address: str,
    user: User | None = None,
    region_code: str | None = None,
    quiet: tuple[time, time] | None = None,
    secret: str | None = None,
) -> NotificationChannel:
    """A person's channel (e-mail, SMS) or a centre's group robot (企业微信, 钉钉) for a
    territory node, with optional quiet hours (local time) and, for a 钉钉 robot whose security
    setting is 加签, its signing secret.

    Raises:
        Unprocessable: an unknown kind, an address not of its kind, a robot for a person or a
            personal channel for a node, an unknown node, a secret for anything but 钉钉.
    """
    address = address.strip()
    problem = _address_problem(kind, address)
    if problem is None and (kind in ROBOTS) != (user is None):
        problem = Message("Group robots belong to a centre's node; e-mail and SMS to a person.")
    if problem is None and region_code is not None and db.session.get(Region, region_code) is None:
        problem = Message("No territory node has the code %(code)s.", code=region_code)
    if problem is None and secret and kind != "dingtalk":
        problem = Message("Only a DingTalk robot takes a signing secret.")
    if problem:
        raise Unprocessable(problem, {"address": [problem]})
    channel = NotificationChannel(
        kind=kind,
        user_id=user.id if user else None,
        region_code=None if user else region_code,
        address_encrypted=cipher().encrypt(address, ADDRESS_FIELD),
        address_masked=_masked(kind, address),
        secret_encrypted=cipher().encrypt(secret.strip(), SECRET_FIELD) if secret else None,
        quiet_from=quiet[0] if quiet else None,
        quiet_until=quiet[1] if quiet else None,
        created_at=utcnow(),
    )
    db.session.add(channel)
    db.session.flush()
    return channel


def choose_channel(user: User, data: dict) -> NotificationChannel:
    """The user adds their own e-mail or SMS channel (validated by ChannelInSchema). Audited.

    Raises:
        Unprocessable: see add_channel.
    """
    quiet = (data["quiet_from"], data["quiet_until"]) if data.get("quiet_from") else None
    channel = add_channel(data["kind"], data["address"], user=user, quiet=quiet)
    record(
        AuditAction.CHANNEL_ADDED,
        actor=user,
        target=f"channel {channel.id}",
        details={"kind": channel.kind, "owner": user.username, "address": channel.address_masked},
    )
    return channel


def drop_channel(user: User, channel_id: int) -> None:
    """The user removes one of their own channels. Audited.

    Raises:
        NotFound: see remove_own_channel.
    """
    channel = remove_own_channel(user, channel_id)
    record(
        AuditAction.CHANNEL_REMOVED,
        actor=user,
        target=f"channel {channel.id}",
        details={"kind": channel.kind, "address": channel.address_masked},
    )


def own_channels(user: User) -> list[NotificationChannel]:
    """A person's active channels (their e-mail, their phone by SMS), oldest first."""
    return list(
        db.session.scalars(
            sa.select(NotificationChannel)
            .where(NotificationChannel.user_id == user.id, NotificationChannel.active)
            .order_by(NotificationChannel.id)
        )
    )


def remove_own_channel(user: User, channel_id: int) -> NotificationChannel:
    """Stop sending through one of the user's own channels (kept, inactive, for the record);
    what was waiting in the outbox for it is not sent.

    Raises:
        NotFound: no such active channel of the user's.
    """
    channel = db.session.get(NotificationChannel, channel_id)
    if channel is None or channel.user_id != user.id or not channel.active:
        raise NotFound(Message("You have no such channel."))
    channel.active = False
    db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.channel_id == channel.id, OutboundMessage.status == "pending")
        .values(status="failed", last_error="The channel was removed by its owner.")
    )
    return channel


def _address_problem(kind: str, address: str) -> Message | None:
    if kind not in KINDS:
        return Message("A channel is one of: %(kinds)s.", kinds=", ".join(KINDS))
    if kind == "email" and not EMAIL.match(address):
        return Message("Not an e-mail address.")
    if kind == "sms" and not MOBILE.match(address):
        return Message("Not a mobile phone number (11 digits, starting with 1).")
    if kind in ROBOTS:
        try:
            check_url(address)
        except DestinationRefused as exc:
            return Message("The robot's address is refused: %(reason)s", reason=str(exc))
    return None


def _masked(kind: str, address: str) -> str:
    if kind == "email":
        name, domain = address.split("@", 1)
        return f"{name[0]}***@{domain}"
    if kind == "sms":
        return mask_phone(address)
    return address.split("?", 1)[0][:100] + "?…"  # a robot's key is in its query: never shown


# --- fan-out ----------------------------------------------------------------------------------

FAN_OUT_BATCH = 5000

# New notifications → outbox rows for their recipients' channels, and for the group robot of the
# node a handler is scoped to (once per node, case and message). Marked fanned out in the same
# statement, rows another sweeper holds skipped.
_FAN_OUT = """
WITH batch AS (
    SELECT id FROM notifications WHERE NOT fanned_out ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE notifications n SET fanned_out = true FROM batch WHERE n.id = batch.id
    RETURNING n.id, n.user_id, n.case_id, n.kind, n.message
), personal AS (
    SELECT c.id AS channel_id, m.id AS notification_id
    FROM marked m JOIN notification_channels c ON c.user_id = m.user_id AND c.active
), robots AS (
    SELECT DISTINCT ON (c.id, m.case_id, m.kind, m.message) c.id AS channel_id, m.id AS notification_id
    FROM marked m
    JOIN users u ON u.id = m.user_id AND u.role IN :handler_roles
    JOIN notification_channels c ON c.region_code = u.scope_code AND c.user_id IS NULL AND c.active
    ORDER BY c.id, m.case_id, m.kind, m.message, m.id
)
INSERT INTO outbound_messages
    (channel_id, notification_id, body, status, attempts, next_attempt_at, created_at)
SELECT channel_id, notification_id, '', 'pending', 0, :now, :now FROM (
    SELECT * FROM personal UNION ALL SELECT * FROM robots
) AS outgoing
"""


def fan_out(now: datetime | None = None) -> int:
    """Queue the new notifications on their channels; how many outbox rows were made."""
    now = now or utcnow()
    statement = sa.text(_FAN_OUT).bindparams(sa.bindparam("handler_roles", expanding=True))
    result = db.session.execute(
        statement,
        {"batch": FAN_OUT_BATCH, "now": now, "handler_roles": [role.value for role in HANDLER_ROLES]},
    )
    return result.rowcount or 0


# --- delivery ---------------------------------------------------------------------------------


@dataclass
class OutboundReport:
    queued: int = 0
    sent: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    postponed: int = 0

    def lines(self) -> list[str]:
        if not (self.queued or self.sent or self.failed_attempts or self.postponed):
            return []
        return [
            f"Outbound: {self.queued} queued, {self.sent} sent, {self.failed_attempts} failed attempt(s), "
            f"{self.gave_up} given up, {self.postponed} postponed for quiet hours."
        ]


def send_outbound(now: datetime | None = None, limit: int | None = None) -> OutboundReport:
    """The scheduler's job: fan out what is new, then send what is due."""
    report = OutboundReport(queued=fan_out(now))
    db.session.commit()
    deliver_outbound(now, limit, report)
    return report


def deliver_outbound(
    now: datetime | None = None, limit: int | None = None, report: OutboundReport | None = None
) -> OutboundReport:
    """Send due outbox rows, up to `limit` (GRIDCASE_OUTBOUND_BATCH), each committed on its own.
    `now` fixes the job's clock (tests skip the waits)."""
    report = report or OutboundReport()
    for _ in range(limit or int(setting("GRIDCASE_OUTBOUND_BATCH"))):
        moment = now or utcnow()
        row = db.session.execute(
            sa.select(OutboundMessage, NotificationChannel)
            .join(NotificationChannel, NotificationChannel.id == OutboundMessage.channel_id)
            .where(OutboundMessage.status == "pending", OutboundMessage.next_attempt_at <= moment)
            .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
            .limit(1)
            .with_for_update(of=OutboundMessage, skip_locked=True)
        ).first()
        if row is None:
            break
        message, channel = row
        quiet_until = quiet_end(channel, moment)
        if quiet_until is not None:
            message.next_attempt_at = quiet_until
            report.postponed += 1
        else:
            message.body = message.body or _body(message.notification_id)
            _record(message, _send(channel, message.body), moment, report)
        db.session.commit()
    db.session.commit()
    return report


def _body(notification_id: int) -> str:
    """What goes out: the case's number and what happened, in fixed words (see the module)."""
    kind, number = db.session.execute(
        sa.select(Notification.kind, Case.public_number)
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(Notification.id == notification_id)
    ).one()
    return f"【网格化管理】{number or ''} {_kind_zh(kind)}，请登录平台查看详情。"


def _kind_zh(kind: str) -> str:
    try:
        return Kind(kind).zh
    except ValueError:
        return kind


def quiet_end(channel: NotificationChannel, moment: datetime) -> datetime | None:
    """When the channel's quiet hours end, if `moment` falls inside them (they may run past
    midnight: 22:00–07:00); None outside them or without quiet hours."""
    if channel.quiet_from is None:
        return None
    local = moment.astimezone(local_tz())
    start, end, now = channel.quiet_from, channel.quiet_until, local.time()
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return ends if ends > local else ends + timedelta(days=1)


def _record(message: OutboundMessage, outcome: Outcome, moment: datetime, report: OutboundReport) -> None:
    message.attempts += 1
    if outcome.ok:
        message.status, message.sent_at, message.last_error = "sent", moment, None
        report.sent += 1
        return
    message.last_error = (outcome.error or "failed")[:500]
    report.failed_attempts += 1
    retry_at = next_attempt(message.attempts, moment)
    if retry_at is None:
        message.status = "failed"
        report.gave_up += 1
    else:
        message.next_attempt_at = retry_at


def next_attempt(attempts: int, moment: datetime) -> datetime | None:
    """When a message that failed `attempts` times tries again (exponential back-off), or None
    when it is given up (GRIDCASE_OUTBOUND_MAX_ATTEMPTS)."""
    if attempts >= int(setting("GRIDCASE_OUTBOUND_MAX_ATTEMPTS")):
        return None
    return moment + backoff(
        attempts,
        float(setting("GRIDCASE_OUTBOUND_BACKOFF_BASE_SECONDS")),
        float(setting("GRIDCASE_OUTBOUND_BACKOFF_CAP_SECONDS")),
    )


def _send(channel: NotificationChannel, body: str) -> Outcome:
    try:
        address = cipher().decrypt(channel.address_encrypted, ADDRESS_FIELD)
    except (ValueError, InvalidTag):  # e.g. GRIDCASE_DATA_KEY changed since it was stored
        return Outcome(None, "The channel's address cannot be decrypted; set it again.", 0)
    timeout = float(setting("GRIDCASE_OUTBOUND_TIMEOUT_SECONDS"))
    if channel.kind == "email":
        return _email(address, body, timeout)
    if channel.kind == "sms":
        return _sms(address, body, timeout)
    # 企业微信 and 钉钉 group robots take the same documented text message, and answer
    # {"errcode": 0, …} when they took it (an error code inside an HTTP 200 otherwise).
    document = {"msgtype": "text", "text": {"content": body}}
    if channel.kind == "dingtalk" and channel.secret_encrypted:
        address = signed_dingtalk_url(address, cipher().decrypt(channel.secret_encrypted, SECRET_FIELD))
    return post(address, _json(document), {"Content-Type": "application/json"}, timeout, _robot_answer)


def signed_dingtalk_url(url: str, secret: str, now: datetime | None = None) -> str:
    """A 钉钉 robot's URL signed as its 加签 security setting asks: the time in milliseconds
    and the Base64 of HMAC-SHA256, keyed by the secret, of "{timestamp}\n{secret}"."""
    timestamp = str(int((now or utcnow()).timestamp() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def _json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def _robot_answer(answer: bytes) -> str | None:
    try:
        code = json.loads(answer or b"{}").get("errcode", 0)
    except (ValueError, AttributeError):
        return "The robot's answer is not JSON."
    return None if code == 0 else f"The robot answered errcode {code}."


def _email(address: str, body: str, timeout: float) -> Outcome:
    host = setting("GRIDCASE_SMTP_HOST")
    if not host:
        return Outcome(None, "No SMTP server is configured (GRIDCASE_SMTP_HOST).", 0)
    mail = EmailMessage()
    mail["From"] = setting("GRIDCASE_MAIL_FROM")
    mail["To"] = address
    mail["Subject"] = "网格化管理平台通知"
    mail.set_content(f"{body}\n\n（系统自动发送，请登录平台查看详情。）")
    try:
        with smtplib.SMTP(host, int(setting("GRIDCASE_SMTP_PORT")), timeout=timeout) as smtp:
            if setting("GRIDCASE_SMTP_STARTTLS"):
                smtp.starttls()
            if setting("GRIDCASE_SMTP_USER"):
                smtp.login(setting("GRIDCASE_SMTP_USER"), setting("GRIDCASE_SMTP_PASSWORD"))
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], 0)
    return Outcome(250, None, 0)


def send_sms(phone: str, body: str) -> Outcome:
    """One SMS through the gateway now (for the scheduler's jobs only: never in a request)."""
    return _sms(phone, body, float(setting("GRIDCASE_OUTBOUND_TIMEOUT_SECONDS")))


def _sms(phone: str, body: str, timeout: float) -> Outcome:
    """An SMS through the operator's gateway (HTTP): a template and its one parameter, the
    notification's text, as most 短信 gateways take them."""
    url = setting("GRIDCASE_SMS_GATEWAY_URL")
    if not url:
        return Outcome(None, "No SMS gateway is configured (GRIDCASE_SMS_GATEWAY_URL).", 0)
    document = {"phone": phone, "template": setting("GRIDCASE_SMS_TEMPLATE"), "params": {"message": body}}
    return post(url, _json(document), {"Content-Type": "application/json"}, timeout)
