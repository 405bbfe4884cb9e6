"""Exports (数据导出): the case list with exactly the filters of GET /api/v1/cases, and the
indicator table of a node and its children, as rows for gridcase.stats.spreadsheets.

A case's cells are its fields as the one case schema dumps them (gridcase.cases.schemas), named
by the vocabulary's labels, plus three that place it for a reader of the sheet: the names of its
township and community and the number of the case it duplicates. The rows are read from the
database in batches, shaped as the schema reads a case, so an export of 100,000 cases never
holds them all. Exports are written in Chinese, as offices file them.

Personal data leaves only masked: the export reads the parties' masked columns and never their
encrypted ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import force_locale
from sqlalchemy.dialects.postgresql import aggregate_order_by

from gridcase.cases.domain import CaseKind, Outcome, PartyRole, Satisfaction, Severity, Source, Status
from gridcase.cases.models import Case, CaseParty, Category
from gridcase.cases.queries import case_conditions, case_order
from gridcase.cases.schemas import CaseSchema
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.settings import local_tz, setting
from gridcase.stats.indicators import INDICATORS, RATES, UNIT_INDICATORS, UNIT_RATES
from gridcase.territory.levels import RegionLevel
from gridcase.territory.models import Region
from gridcase.units.domain import UnitKind
from gridcase.vocabulary import STORED_TEXT_LOCALE, LabelledEnum

# The fields of the case schema an export writes.
EXPORTED_CASE_FIELDS = (
    "public_number",
    "kind",
    "category",
    "title",
    "description",
    "severity",
    "status",
    "level",
    "initial_level",
    "grid",
    "address",
    "people_involved",
    "may_intensify",
    "source",
    "created_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "due_at",
    "overdue",
    "escalation_count",
    "reopen_count",
    "resolution",
    "satisfaction",
    "parties",
)


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _label(vocabulary: type[LabelledEnum], value: str | None) -> str:
    return vocabulary.label_of(value)


def masked_parties(parties: list[dict] | None, name: Callable = _label) -> str:
    """Parties (as the case schema dumps them: masked) in one cell:
    张*（申请人，110105********0123，138****8000）；李*（被申请人）."""
    texts = []
    for party in parties or []:
        role = name(PartyRole, party["role"])
        details = "，".join(part for part in (role, party["id_number"], party["phone"]) if part)
        texts.append(f"{party['name']}（{details}）")
    return "；".join(texts)


def _local(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(local_tz()) if text else None


def _resolution(key: str) -> Callable[[dict], object]:
    return lambda case: (case["resolution"] or {}).get(key)


# (header, the cell from the dumped case, the row and `name(vocabulary, value)`) in the sheet's order.
CASE_COLUMNS: list[tuple[str, Callable[[dict, object, Callable], object]]] = [
    ("编号", lambda case, row, name: case["public_number"]),
    ("类型", lambda case, row, name: name(CaseKind, case["kind"])),
    ("类别", lambda case, row, name: case["category"]["name"]),
    ("标题", lambda case, row, name: case["title"]),
    ("描述", lambda case, row, name: case["description"]),
    ("严重程度", lambda case, row, name: name(Severity, case["severity"])),
    ("状态", lambda case, row, name: name(Status, case["status"])),
    ("当前层级", lambda case, row, name: name(RegionLevel, case["level"])),
    ("初始层级", lambda case, row, name: name(RegionLevel, case["initial_level"])),
    ("乡镇/街道", lambda case, row, name: row.township),
    ("村/社区", lambda case, row, name: row.community),
    ("网格", lambda case, row, name: case["grid"]["name"]),
    ("地址", lambda case, row, name: case["address"]),
    ("涉及人数", lambda case, row, name: case["people_involved"]),
    ("可能激化", lambda case, row, name: yes_no(case["may_intensify"])),
    ("来源", lambda case, row, name: name(Source, case["source"])),
    ("登记时间", lambda case, row, name: _local(case["created_at"])),
    ("受理时间", lambda case, row, name: _local(case["accepted_at"])),
    ("化解时间", lambda case, row, name: _local(case["resolved_at"])),
    ("办结时间", lambda case, row, name: _local(case["closed_at"])),
    ("办理期限", lambda case, row, name: _local(case["due_at"])),
    ("超期未办结", lambda case, row, name: yes_no(case["overdue"])),
    ("上交次数", lambda case, row, name: case["escalation_count"]),
    ("返工次数", lambda case, row, name: case["reopen_count"]),
    ("化解方式", lambda case, row, name: name(Outcome, _resolution("outcome")(case))),
    ("按期化解", lambda case, row, name: yes_no(_resolution("on_time")(case))),
    ("回访满意度", lambda case, row, name: name(Satisfaction, case["satisfaction"])),
    ("重复件原件编号", lambda case, row, name: row.original),
    ("当事人（已脱敏）", lambda case, row, name: masked_parties(case["parties"], name)),
]
CASE_HEADER = [header for header, _ in CASE_COLUMNS]


def count_for_export(viewer: User, filters: dict) -> int:
    """How many cases an export with these filters would hold.

    Raises:
        Unprocessable: more than GRIDCASE_EXPORT_MAX_ROWS, or an unknown region or category.
    """
    conditions = case_conditions(viewer, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(*conditions))
    limit = int(setting("GRIDCASE_EXPORT_MAX_ROWS"))
    if total > limit:
        raise Unprocessable(
            f"The export would hold {total} cases; at most {limit} can be exported at once. "
            "Narrow the filters, for example with from and to.",
            {"filters": [f"{total} cases match; the limit is {limit}."]},
        )
    return total


def case_rows(viewer: User, filters: dict) -> Iterator[list]:
    """The exported cases, row by row in the list's order, fetched in batches from the database
    and each dumped by the case schema."""
    grid, community, township = so.aliased(Region), so.aliased(Region), so.aliased(Region)
    original = so.aliased(Case)
    parties = (
        sa.select(
            sa.func.jsonb_agg(
                aggregate_order_by(
                    sa.func.jsonb_build_object(
                        "id",
                        CaseParty.id,
                        "party_role",
                        CaseParty.party_role,
                        "name_masked",
                        CaseParty.name_masked,
                        "id_number_masked",
                        CaseParty.id_number_masked,
                        "phone_masked",
                        CaseParty.phone_masked,
                    ),
                    CaseParty.id,
                )
            )
        )
        .where(CaseParty.case_id == Case.id)
        .scalar_subquery()
    )
    # Each row has the attributes the case schema reads: every column of the case, its nested
    # parts as JSON objects.
    query = (
        sa.select(
            *Case.__table__.columns,
            sa.func.jsonb_build_object("code", Category.code, "name", Category.name).label("category"),
            sa.func.jsonb_build_object("code", grid.code, "name", grid.name).label("grid"),
            sa.func.coalesce(parties, sa.text("'[]'::jsonb")).label("parties"),
            township.name.label("township"),
            community.name.label("community"),
            original.public_number.label("original"),
        )
        .join(Category, Category.code == Case.category_code)
        .join(grid, grid.code == Case.grid_code)
        .outerjoin(community, community.code == Case.community_code)
        .outerjoin(township, township.code == Case.township_code)
        .outerjoin(original, original.id == Case.duplicate_of_id)
        .where(*case_conditions(viewer, filters))
        .order_by(*case_order(filters))
        .execution_options(yield_per=2000)
    )
    schema = CaseSchema(only=EXPORTED_CASE_FIELDS)
    with force_locale(STORED_TEXT_LOCALE):
        name = _names_of(CaseKind, Severity, Status, RegionLevel, Source, Outcome, Satisfaction, PartyRole)
        for row in db.session.execute(query):
            case = schema.dump(row)
            yield [cell(case, row, name) for _, cell in CASE_COLUMNS]


def _names_of(*vocabularies: type[LabelledEnum]) -> Callable[[type[LabelledEnum], str | None], str]:
    """`name(vocabulary, value)`: the value's label, looked up once per export rather than once
    per cell (a catalogue look-up costs more than the rest of a row)."""
    labels = {vocabulary: {m.value: m.label for m in vocabulary} for vocabulary in vocabularies}

    def name(vocabulary: type[LabelledEnum], value: str | None) -> str:
        return "" if value is None else labels[vocabulary].get(value, value)

    return name


def stats_header() -> list[str]:
    """Headers of the indicator table: the node, then each indicator with its unit."""
    return [
        "区域代码",
        "区域名称",
        "层级",
        *(f"{name}（{unit}）" for _, name, unit in INDICATORS),
        "起始日期",
        "截止日期",
    ]


def stats_rows(table: dict) -> list[list]:
    """The node and its children as rows; rates in percent."""

    def row(node: dict, figures: dict) -> list:
        values = []
        for key, _, _ in INDICATORS:
            value = figures[key]
            values.append(round(value * 100, 2) if key in RATES and value is not None else value)
        return [
            node["code"],
            node["name"],
            RegionLevel(node["level"]).zh,
            *values,
            table["from"],
            table["to"],
        ]

    return [row(table["region"], table["indicators"])] + [
        row(child, child["indicators"]) for child in table["children"]
    ]


def unit_stats_header() -> list[str]:
    """Headers of the by-unit sheet: the unit, then each indicator with its unit of measure."""
    return [
        "单位代码",
        "单位名称",
        "单位类型",
        "层级",
        *(f"{name}（{unit}）" for _, name, unit in UNIT_INDICATORS),
        "起始日期",
        "截止日期",
    ]


def unit_stats_rows(table: dict) -> list[list]:
    """Each unit of gridcase.stats.unit_indicators' table as a row; rates in percent."""
    rows = []
    for unit in table["units"]:
        figures = unit["indicators"]
        values = []
        for key, _, _ in UNIT_INDICATORS:
            value = figures[key]
            values.append(round(value * 100, 2) if key in UNIT_RATES and value is not None else value)
        rows.append(
            [
                unit["code"],
                unit["name"],
                UnitKind(unit["kind"]).zh,
                RegionLevel(unit["level"]).zh,
                *values,
                table["from"],
                table["to"],
            ]
        )
    return rows
