"""The domain's vocabulary: enums whose members carry their names for people.

Each value list of the domain (statuses, levels, kinds, sources, roles …) is one enum in one
module, and each member names itself through the translation catalogue: its English label is
the catalogue's key, so a page says it in the reader's language. Nothing else keeps a table of
names (Indico's titled enums are the model).

    class Status(LabelledEnum):
        PENDING = "pending", _l("Pending")

    Status.PENDING == "pending"     # a str: stored, compared and sent as its value
    Status.PENDING.label            # "待受理" on a Chinese page, "Pending" on an English one
    Status.PENDING.zh               # "待受理" always: for texts stored once for everyone
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import force_locale

# The language of texts the system stores once for every reader (notification messages, alert
# titles): the offices' own.
STORED_TEXT_LOCALE = "zh"


_CHINESE_NAMES: dict = {}  # member: its Chinese name (LabelledEnum.zh)


class LabelledEnum(StrEnum):
    """A StrEnum whose members are declared as `NAME = value, _l("English label")`."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self) -> str:
        """The member's name for people, in the current page language."""
        return str(self._label)

    @property
    def zh(self) -> str:
        """The member's Chinese name, whatever the page language (needs an app context the
        first time; then kept: the catalogue is compiled in, and switching the locale cost more
        than a notification's other work)."""
        name = _CHINESE_NAMES.get(self)
        if name is None:
            with force_locale(STORED_TEXT_LOCALE):
                name = _CHINESE_NAMES[self] = str(self._label)
        return name

    @classmethod
    def label_of(cls, value: str | None) -> str:
        """The label of a raw value; an unknown value is shown as it is, None as ""."""
        if value is None:
            return ""
        try:
            return cls(value).label
        except ValueError:
            return str(value)

    @classmethod
    def sql_values(cls, members=None) -> str:
        """`('a', 'b')`: the members (default: all) as an SQL list, for CHECK constraints and
        partial-index predicates, which must repeat their values inline."""
        return "(" + ", ".join(f"'{member.value}'" for member in (members or cls)) + ")"
