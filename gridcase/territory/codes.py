"""Territory codes (DESIGN §1): format per level and the parent a code implies. Pure.

- city / district: the 6-digit GB/T 2260 code padded to 12 digits (330681000000)
- township: 9-digit 统计用区划代码 + "000" (330681105000)
- community: 12-digit 统计用区划代码 (330681105201)
- grid: community code + 3-digit sequence (330681105201001)
"""

from __future__ import annotations

from gridcase.territory.levels import RegionLevel
from gridcase.text import ascii_digits

PARENT_LEVELS = {
    RegionLevel.CITY: (),
    RegionLevel.DISTRICT: (RegionLevel.CITY,),
    RegionLevel.TOWNSHIP: (RegionLevel.DISTRICT, RegionLevel.CITY),
    RegionLevel.COMMUNITY: (RegionLevel.TOWNSHIP,),
    RegionLevel.GRID: (RegionLevel.COMMUNITY,),
}


def normalise_code(raw: object, level: RegionLevel | str) -> str:
    """The code as a string of digits; a bare 6-digit city or district code is padded to 12."""
    code = str(raw).strip()
    if RegionLevel(level) in (RegionLevel.CITY, RegionLevel.DISTRICT) and len(code) == 6:
        code += "000000"
    return code


def code_problem(code: str, level: RegionLevel | str) -> str | None:
    """Why `code` is not a valid code for a node at `level`, or None when it is."""
    level = RegionLevel(level)
    expected = 15 if level is RegionLevel.GRID else 12
    if not ascii_digits(code) or len(code) != expected:
        return f"a {level.value} code has {expected} digits, not {code!r}"
    if level in (RegionLevel.CITY, RegionLevel.DISTRICT):
        if code[6:] != "000000" or code[2:6] == "0000":
            return f"a {level.value} code is a 6-digit GB/T 2260 code padded with six zeros"
        if level is RegionLevel.DISTRICT and code[4:6] == "00":
            return "a district code ends its 6-digit part with a non-zero county number"
        return None
    if code[6:9] == "000":
        return f"digits 7-9 of a {level.value} code number the township and cannot be 000"
    if level is RegionLevel.TOWNSHIP and code[9:] != "000":
        return "a township code ends with 000"
    if level is RegionLevel.COMMUNITY and code[9:12] == "000":
        return "digits 10-12 of a community code number the community and cannot be 000"
    if level is RegionLevel.GRID:
        if code[9:12] == "000":
            return "a grid code starts with its community's 12-digit code"
        if code[12:] == "000":
            return "the grid sequence (last 3 digits) starts at 001"
    return None


def implied_parent_code(code: str, level: RegionLevel | str) -> str | None:
    """The code of the parent node a code names by its digits (None for a city)."""
    level = RegionLevel(level)
    if level is RegionLevel.GRID:
        return code[:12]
    if level is RegionLevel.COMMUNITY:
        return code[:9] + "000"
    if level is RegionLevel.TOWNSHIP:
        return code[:6] + "000000"  # a district, or a county-level city acting as the city
    if level is RegionLevel.DISTRICT:
        return code[:4] + "00000000"
    return None
