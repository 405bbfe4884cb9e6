"""Text from outside, made safe to compare and count.

Python's `str.isdigit()` is true for '²', '①' and Arabic-Indic digits, which `int()` then
refuses or reads as another number; look-alike letters (full-width, Cyrillic, zero-width) make
two different strings show the same. These helpers are the one place such text is judged.
"""

from __future__ import annotations

import re
import unicodedata

# A username: ASCII letters, digits and . _ - (no look-alikes, no spaces, no invisible marks).
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def ascii_digits(text: str) -> bool:
    """Only the digits 0-9 (what `int()` reads as the number it shows), at least one."""
    return text.isascii() and text.isdigit()


def normalised(text: str) -> str:
    """NFKC: full-width forms and compatibility characters folded to their plain forms
    (ｗ２ → w2, ０１２ → 012), surrounding space stripped."""
    return unicodedata.normalize("NFKC", text).strip()


def username_problem(username: str) -> str | None:
    """Why a new username is not acceptable, or None."""
    if not USERNAME.match(username):
        return (
            "A username has 1 to 64 characters: ASCII letters, digits, '.', '_' or '-', "
            "starting with a letter or a digit."
        )
    return None


def full_name(first: str, last: str) -> str:
    """A name sent in two parts, as it is written: family name first for Chinese names (张 + 三 →
    张三), given name first otherwise."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()
