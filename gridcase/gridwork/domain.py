"""Vocabulary of grid work (pure): what a visit record is and what a visit was about."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gridcase.vocabulary import LabelledEnum


class VisitKind(LabelledEnum):
    """A record of the worker's day among the people of the grid."""

    HOUSEHOLD = "household", _l("Household visit")  # 入户走访
    PLACE = "place", _l("Visit to a place")  # 场所走访: a shop, a school, a rented house
    DIARY = "diary", _l("People's diary entry")  # 民情日志: what the worker heard and saw


class VisitTopic(LabelledEnum):
    """What a visit was for (走访事由), as the 网格员走访记录 of the provinces list them."""

    ROUTINE = "routine", _l("Routine visit")  # 日常走访
    CARE = "care", _l("Care for people in need")  # 关爱帮扶: 独居老人、困难群众、留守儿童
    DISPUTE_SCREENING = "dispute_screening", _l("Dispute screening")  # 矛盾纠纷排查
    SAFETY = "safety", _l("Safety hazard check")  # 安全隐患排查
    POLICY = "policy", _l("Explaining a policy")  # 政策宣传
    OPINION = "opinion", _l("Hearing views")  # 收集社情民意
