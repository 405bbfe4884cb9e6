"""What a unit is, in words and rules. Pure: no database."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from gridcase.vocabulary import LabelledEnum


class UnitKind(LabelledEnum):
    STATION = "station", _l("Township station")  # 站所: 司法所, 派出所, 市场监管所 …
    DEPARTMENT = "department", _l("City department")  # 职能部门: 人力社保局, 住建局 …
    MEDIATION_COMMITTEE = "mediation_committee", _l("Mediation committee")  # 专业性、行业性调委会


# The installation's own identifiers of units (its 统一社会信用代码, where known, is kept
# beside it): ASCII letters, digits, ".", "_" and "-".
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$")
MAX_LIMIT_DAYS = 366


def code_problem(code: object) -> str | None:
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        return "a unit code is 2–40 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"
    return None


def limits_problem(sign_days: object, finish_days: object) -> str | None:
    """Why these signing and finishing limits (working days) cannot be, or None."""
    for name, value in (("sign_days", sign_days), ("finish_days", finish_days)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_LIMIT_DAYS:
            return f"{name} is a whole number of working days from 1 to {MAX_LIMIT_DAYS}"
    if sign_days > finish_days:
        return "sign_days cannot be longer than finish_days"
    return None


CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid 统一社会信用代码 (GB 32100-2015: 18 characters from its
    alphabet, the last a check character over the first 17), or None."""
    if len(code) != 18 or any(c not in CREDIT_CODE_CHARACTERS for c in code):
        return "a 统一社会信用代码 is 18 characters of 0-9 and A-Y without I, O, S, V, Z"
    total = sum(CREDIT_CODE_CHARACTERS.index(c) * w for c, w in zip(code, CREDIT_CODE_WEIGHTS, strict=False))
    check = CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]
    if code[17] != check:
        return "the 统一社会信用代码's check character does not match"
    return None
