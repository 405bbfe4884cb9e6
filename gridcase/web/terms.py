"""Official terms on the pages in the page's language.

The domain names its indicators, assessment subjects, periods, the parts of a case file and the
report's charts by their official Chinese terms (化解率, 镇街, 2026年第四季度, 卷内目录 …): the
documents, exports and messages to other systems print them as they are. A page says each through
the catalogue (the English name is the msgid, its Chinese translation the same official term), so
an English page reads English. A text that is no known term (a scheme's own name, say) is data and
shown as it is.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gridcase.extensions import db
from gridcase.notifications.inbox import Kind
from gridcase.stats.models import AlertKind
from gridcase.territory.models import Region

TERMS = {
    # Indicators (gridcase.stats.indicators, the monthly report's rows, the assessment catalogue)
    "受理数": _l("Cases accepted"),
    "化解数": _l("Cases resolved"),
    "化解率": _l("Resolution rate"),
    "就地化解率": _l("Resolved where they arose"),
    "大事不出镇率": _l("Kept within the township"),
    "按期办结率": _l("On-time rate"),
    "上交率": _l("Escalation rate"),
    "返工率": _l("Rework rate"),
    "满意率": _l("Satisfaction rate"),
    "回访满意率": _l("Satisfaction at revisit"),
    "回访数": _l("Cases revisited"),
    "协议履行率": _l("Agreements performed"),
    "履行核实协议数": _l("Agreements checked"),
    "响应时长中位数": _l("Median hours to accept"),
    "办结时长中位数": _l("Median hours to resolve"),
    "超期未办结": _l("Overdue and open"),
    "超期未办结（当前）": _l("Overdue and open (now)"),
    "巡查覆盖率": _l("Patrol coverage rate"),
    "排查按时上报率": _l("Screening reports on time"),
    "事件上报数": _l("Cases reported"),
    "走访数": _l("Visits"),
    "签收及时率": _l("Signed for on time"),
    "退回率": _l("Return rate"),
    "被督办": _l("Supervised by the city"),
    "黄牌": _l("Yellow-card warnings"),
    "红牌": _l("Red-card warnings"),
    "群众安全感满意率": _l("Public sense of safety"),
    # Why an item is not applicable
    "由第三方测评，不在本系统中": _l("Surveyed by a third party, not in this system"),
    "本期无可计算的数据": _l("Nothing to measure in this period"),
    # Who is assessed
    "镇街": _l("Township"),
    "村（社区）": _l("Community"),
    "网格": _l("Grid"),
    "网格员": _l("Grid worker"),
    "部门站所": _l("Departments and stations"),
    # The parts of a mediation case file (人民调解卷宗)
    "卷宗封面": _l("File cover"),
    "卷内目录": _l("Contents of the file"),
    "人民调解受理登记表": _l("Mediation acceptance form"),
    "人民调解调查记录": _l("Mediation inquiry records"),
    "证据材料目录": _l("List of evidence"),
    "人民调解记录": _l("Mediation session records"),
    "人民调解协议书": _l("People’s mediation agreement"),
    "人民调解回访记录": _l("Mediation revisit records"),
    # The monthly report's charts
    "近六个月受理、化解情况": _l("Cases accepted and resolved, last six months"),
    "各下级区域受理数": _l("Cases accepted by area"),
    "各大类受理数": _l("Cases accepted by category"),
}

_MONTH = re.compile(r"^(\d{4})年(\d{1,2})月$")
_QUARTER = re.compile(r"^(\d{4})年第([一二三四])季度$")


def term(text) -> str:
    """An official term (or a period like 2026年12月 / 2026年第四季度) in the page's language.
    For values: a heading the template writes itself uses `_()` with the English name."""
    if not isinstance(text, str):
        return text
    known = TERMS.get(text)
    if known is not None:
        return str(known)
    if str(get_locale()) != "en":
        return text
    month = _MONTH.match(text)
    if month:
        return format_date(date(int(month[1]), int(month[2]), 1), "MMMM y")
    quarter = _QUARTER.match(text)
    if quarter:
        return _("Q%(quarter)s %(year)s", quarter="一二三四".index(quarter[2]) + 1, year=quarter[1])
    return text


# --- records written as sentences in Chinese ------------------------------------------------------
# A notification's sentence and an alert's title are written once, in Chinese, when the event
# happens: the channels (SMS, e-mail, the centres' robots) send that sentence, and the record keeps
# it. A Chinese page shows it as written; an English page says the same record from its parts —
# the kind (through the catalogue), the case's number and title or the area (data).


def notification_text(notification) -> str:
    if str(get_locale()) != "en":
        return notification.message
    label = Kind.label_of(notification.kind)
    case = notification.case
    return f"{label}: {case.public_number} {case.title}" if case is not None else label


def alert_title(alert) -> str:
    if str(get_locale()) != "en":
        return alert.title
    area_code = alert.grid_code or alert.community_code or alert.township_code or alert.city_code
    area = db.session.get(Region, area_code)
    label = AlertKind.label_of(alert.kind)
    return f"{label} · {area.name}" if area is not None else label
