"""Vocabulary of 人民调解 (pure): how an agreement was performed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gridcase.vocabulary import LabelledEnum


class Performance(LabelledEnum):
    """履行情况 of a 人民调解协议书, recorded after its deadline."""

    PERFORMED = "performed", _l("Performed")  # 已履行
    PARTLY = "partly", _l("Partly performed")  # 部分履行
    NOT_PERFORMED = "not_performed", _l("Not performed")  # 未履行
