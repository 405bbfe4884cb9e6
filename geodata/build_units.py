#!/usr/bin/env python3
"""Build geodata/zhuji/units.json: the demo city's units (站所、职能部门、专业调委会).

Every township of the demo city gets the same set of stations, and the city its departments and
professional mediation committees; which categories each handles, which it is the default
unit for, and the limits, are the tables below (their sources: geodata/units.md).

    .venv/bin/python geodata/build_units.py           # write zhuji/units.json
    .venv/bin/python geodata/build_units.py --check   # fail if the file on disk differs

Unit codes are the demo's convention (the region's code, a dash, a short pinyin name); an
installation uses whatever identifiers its own unit list has. Only the standard library is used.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "zhuji" / "units.json"
TOWNSHIPS = HERE / "zhuji" / "townships.geojson"
CITY = HERE / "zhuji" / "city.geojson"


def handles(*codes: str, default: bool = True, **limits: int) -> list[dict]:
    return [{"category": code, "default": default, **limits} for code in codes]


# Street order (市容, 广告, 施工, 街面): the 综合行政执法 squad of a township and the city's bureau.
# 济源's 数字城管 standard sets some of them apart from the unit's own limit (geodata/units.md):
# 私搭乱建 15 working days, 暴露垃圾 1, 积存垃圾渣土 4, 道路不洁 1 (its 5 working hours, rounded
# up to the day this system counts in).
STREET_LIMITS = (
    handles("E0101", finish_days=15)
    + handles("E0102", finish_days=1)
    + handles("E0103", finish_days=4)
    + handles("E0104", finish_days=1)
)
STREET_ORDER = (
    "E0106", "E0107", "E0108", "E0109", "E0199", "E02", "E03", "E0501", "E0503", "E0504",
    "E0506", "E0507", "E0508", "E0510", "E0511", "E0512", "E0599", "E0601",
)  # fmt: skip

# (short name, name suffix, English name, kind, sign_days, finish_days, handles)
TOWNSHIP_STATIONS = [
    (
        "sfs",
        "司法所",
        "Justice office",
        "station",
        1,
        22,
        handles("D01", "D02", "D04", "D06", "D15"),
    ),
    (
        "pcs",
        "派出所",
        "Police station",
        "station",
        1,
        5,
        handles("E0409", "E0505", "E0509", "D13"),
    ),
    (
        "zfzd",
        "综合行政执法中队",
        "Administrative law enforcement squad",
        "station",
        1,
        5,
        STREET_LIMITS + handles(*STREET_ORDER),
    ),
    (
        "scjgs",
        "市场监管所",
        "Market supervision office",
        "station",
        1,
        15,
        handles("D05", "D11"),
    ),
    (
        "rlsbs",
        "人力社保所",
        "Human resources and social security office",
        "station",
        1,
        15,
        handles("D10"),
    ),
    (
        "zrzys",
        "自然资源所",
        "Natural resources office",
        "station",
        1,
        22,
        handles("D03", "D07", "D08"),
    ),
    ("slz", "水利站", "Water conservancy station", "station", 1, 15, handles("E0105")),
    ("wsy", "卫生院", "Township health centre", "station", 1, 15, handles("D12", default=False)),
    ("gds", "供电所", "Power supply station", "station", 1, 5, handles("E0408")),
]

CITY_UNITS = [
    ("gaj", "公安局", "Public Security Bureau", "department", 1, 5, handles("E0409", "E0505", "E0509")),
    ("sfj", "司法局", "Justice Bureau", "department", 1, 22, handles("D02", "D04", "D06", "D15")),
    (
        "rlsbj",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
        "department",
        1,
        15,
        handles("D1004", "D1099"),
    ),
    (
        "ldbzjc",
        "人力资源和社会保障局劳动保障监察大队",
        "Labour Inspection Brigade",
        "department",
        1,
        60,
        handles("D1001"),
    ),
    (
        "zjj",
        "住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
        "department",
        1,
        5,
        handles("E0401", "E0402", "E0403", "E0404", "E0405", "E0406", "E0407", "E0408")
        + handles("E03", "D14", default=False),
    ),
    (
        "zrzyj",
        "自然资源和规划局",
        "Natural Resources and Planning Bureau",
        "department",
        1,
        22,
        handles("D03", "D07", "D08") + handles("E0101", default=False),
    ),
    ("scjgj", "市场监督管理局", "Market Supervision Bureau", "department", 1, 15, handles("D05", "D11")),
    (
        "zhzfj",
        "综合行政执法局",
        "Comprehensive Administrative Law Enforcement Bureau",
        "department",
        1,
        5,
        STREET_LIMITS + handles(*STREET_ORDER),
    ),
    ("slj", "水利局", "Water Resources Bureau", "department", 1, 15, handles("E0105")),
    ("wjj", "卫生健康局", "Health Commission", "department", 1, 15, handles("D12", default=False)),
    ("xfj", "信访局", "Letters and Visits Bureau", "department", 1, 15, handles("E0409", default=False)),
    (
        "fyssfw",
        "人民法院诉讼服务中心",
        "Court litigation service centre",
        "department",
        1,
        22,
        handles("D04", "D06", default=False),
    ),
    ("xfjydd", "消防救援大队", "Fire and Rescue Brigade", "department", 1, 5, handles("E0410")),
    ("yjglj", "应急管理局", "Emergency Management Bureau", "department", 1, 5, handles("E0499")),
    ("mzj", "民政局", "Civil Affairs Bureau", "department", 1, 5, handles("E0502")),
    (
        "sthj",
        "生态环境分局",
        "Ecology and Environment Branch Bureau",
        "department",
        1,
        15,
        handles("D09"),
    ),
    (
        "hyjttwh",
        "婚姻家庭纠纷人民调解委员会",
        "Marriage and Family Dispute Mediation Committee",
        "mediation_committee",
        1,
        22,
        handles("D01"),
    ),
    (
        "yltwh",
        "医疗纠纷人民调解委员会",
        "Medical Dispute Mediation Committee",
        "mediation_committee",
        1,
        30,
        handles("D12"),
    ),
    (
        "jttwh",
        "道路交通事故纠纷人民调解委员会",
        "Road Traffic Accident Dispute Mediation Committee",
        "mediation_committee",
        1,
        22,
        handles("D13"),
    ),
    (
        "wytwh",
        "物业纠纷人民调解委员会",
        "Property Management Dispute Mediation Committee",
        "mediation_committee",
        1,
        22,
        handles("D14"),
    ),
    (
        "ldzcy",
        "劳动人事争议仲裁院",
        "Labour and Personnel Dispute Arbitration Court",
        "mediation_committee",
        1,
        31,
        handles("D1002", "D1003"),
    ),
]


def _features(path: Path) -> list[dict]:
    return [f["properties"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]


def _unit(region: dict, prefix: str, template: tuple) -> dict:
    short, name, name_en, kind, sign_days, finish_days, handled = template
    return {
        "code": f"{region['code']}-{short}",
        "name": f"{prefix}{name}",
        "name_en": f"{name_en}, {region['name']}" if kind == "station" else name_en,
        "kind": kind,
        "region": region["code"],
        "sign_days": sign_days,
        "finish_days": finish_days,
        "handles": handled,
    }


def build() -> str:
    (city,) = _features(CITY)
    units = [
        _unit(township, township["name"], station)
        for township in sorted(_features(TOWNSHIPS), key=lambda t: t["code"])
        for station in TOWNSHIP_STATIONS
    ]
    units += [_unit(city, city["name"], department) for department in CITY_UNITS]
    lines = ",\n".join("    " + json.dumps(unit, ensure_ascii=False) for unit in units)
    return '{"units": [\n' + lines + "\n]}\n"


def main(argv: list[str]) -> int:
    text = build()
    if "--check" in argv:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run geodata/build_units.py", file=sys.stderr)
            return 1
        print(f"{OUT} is up to date.")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"Wrote {OUT}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
