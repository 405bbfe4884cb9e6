"""Vocabulary of 人民调解 (pure): how an agreement was performed, its 司法确认, the sittings and
evidence of a mediation, and the result of a court's referral (诉前调解)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gridcase.vocabulary import LabelledEnum


class Performance(LabelledEnum):
    """履行情况 of a 人民调解协议书, recorded after its deadline."""

    PERFORMED = "performed", _l("Performed")  # 已履行
    PARTLY = "partly", _l("Partly performed")  # 部分履行
    NOT_PERFORMED = "not_performed", _l("Not performed")  # 未履行


class Confirmation(LabelledEnum):
    """司法确认 of an agreement (人民调解法 第三十三条): applied for at a court, then its ruling."""

    APPLIED = "applied", _l("Applied for at the court")  # 已申请
    CONFIRMED = "confirmed", _l("Confirmed by the court")  # 确认有效
    REJECTED = "rejected", _l("Not confirmed by the court")  # 驳回申请


class SessionKind(LabelledEnum):
    """What a sitting of a mediation was, and so what its record is called."""

    MEDIATION = "mediation", _l("Mediation session record")  # 调解: the parties heard, terms sought
    INVESTIGATION = "investigation", _l("Inquiry record")  # 调查: facts gathered, a witness heard


class EvidenceKind(LabelledEnum):
    """What an evidence file beyond a photo is (证据材料: 书证、视听资料)."""

    DOCUMENT = "document", _l("Document (PDF)")  # 书证: contracts, receipts, IOUs, bills
    AUDIO = "audio", _l("Audio recording")  # 录音
    VIDEO = "video", _l("Video recording")  # 录像


class ReferralResult(LabelledEnum):
    """How a mediation a court referred before registering the suit (委派调解, 诉前调解) ended, as
    reported back to the court (最高人民法院《关于人民法院特邀调解的规定》第二十、二十一条)."""

    MEDIATED = "mediated", _l("Mediated: agreement reached")  # 调解成功
    FAILED = "failed", _l("Not mediated: returned to the court")  # 调解不成，退回法院立案
    WITHDRAWN = "withdrawn", _l("Withdrawn by the party")  # 当事人撤回


# Days from the agreement taking effect within which the parties may apply (第三十三条), and the
# day of that window on which the mediator is reminded.
CONFIRMATION_WINDOW_DAYS = 30
CONFIRMATION_REMINDER_DAY = 20

# Days a court gives a mediation it refers (委派调解的期限为三十日, 特邀调解规定 第二十条;
# longer only with both parties' consent), and the day of it on which the handlers are reminded.
COURT_REFERRAL_DAYS = 30
COURT_REFERRAL_REMINDER_DAY = 20
