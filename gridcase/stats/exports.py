"""Exports (数据导出): the case list with exactly the filters of GET /api/v1/cases, and the
indicator table of a node and its children, as rows for gridcase.stats.spreadsheets.

Personal data leaves only masked: the export reads the parties' masked columns and never their
encrypted ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import aggregate_order_by

from gridcase.cases.domain import OPEN_STATUSES
from gridcase.cases.models import Case, CaseParty, Category
from gridcase.cases.queries import case_conditions, case_order
from gridcase.errors import Unprocessable
from gridcase.extensions import db
from gridcase.people.models import User
from gridcase.settings import local_tz, setting, utcnow
from gridcase.stats.indicators import INDICATORS, RATES
from gridcase.stats.spreadsheets import (
    KIND,
    LEVEL,
    OUTCOME,
    SATISFACTION,
    SEVERITY,
    SOURCE,
    STATUS,
    label,
    masked_parties,
    yes_no,
)
from gridcase.territory.models import Region

CASE_HEADER = [
    "编号",
    "类型",
    "类别",
    "标题",
    "描述",
    "严重程度",
    "状态",
    "当前层级",
    "初始层级",
    "乡镇/街道",
    "村/社区",
    "网格",
    "地址",
    "涉及人数",
    "可能激化",
    "来源",
    "登记时间",
    "受理时间",
    "化解时间",
    "办结时间",
    "办理期限",
    "超期未办结",
    "上交次数",
    "返工次数",
    "化解方式",
    "按期化解",
    "回访满意度",
    "重复件原件编号",
    "当事人（已脱敏）",
]


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


def case_rows(viewer: User, filters: dict, now: datetime | None = None) -> Iterator[list]:
    """The exported cases, row by row in the list's order, fetched in batches from the database."""
    now = now or utcnow()
    tz = local_tz()
    grid, community, township = so.aliased(Region), so.aliased(Region), so.aliased(Region)
    original = so.aliased(Case)
    parties = (
        sa.select(
            sa.func.jsonb_agg(
                aggregate_order_by(
                    sa.func.jsonb_build_array(
                        CaseParty.party_role,
                        CaseParty.name_masked,
                        CaseParty.id_number_masked,
                        CaseParty.phone_masked,
                    ),
                    CaseParty.id,
                )
            )
        )
        .where(CaseParty.case_id == Case.id)
        .scalar_subquery()
    )
    query = (
        sa.select(
            Case.public_number,
            Case.kind,
            Category.name.label("category"),
            Case.title,
            Case.description,
            Case.severity,
            Case.status,
            Case.level,
            Case.initial_level,
            township.name.label("township"),
            community.name.label("community"),
            grid.name.label("grid"),
            Case.address,
            Case.people_involved,
            Case.may_intensify,
            Case.source,
            Case.created_at,
            Case.accepted_at,
            Case.resolved_at,
            Case.closed_at,
            Case.due_at,
            Case.escalation_count,
            Case.reopen_count,
            Case.resolution_outcome,
            Case.resolved_on_time,
            Case.satisfaction,
            original.public_number.label("original"),
            parties.label("parties"),
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
    open_statuses = {s.value for s in OPEN_STATUSES}

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz) if moment else None

    for row in db.session.execute(query):
        yield [
            row.public_number,
            label(KIND, row.kind),
            row.category,
            row.title,
            row.description,
            label(SEVERITY, row.severity),
            label(STATUS, row.status),
            label(LEVEL, row.level),
            label(LEVEL, row.initial_level),
            row.township,
            row.community,
            row.grid,
            row.address,
            row.people_involved,
            yes_no(row.may_intensify),
            label(SOURCE, row.source),
            local(row.created_at),
            local(row.accepted_at),
            local(row.resolved_at),
            local(row.closed_at),
            local(row.due_at),
            yes_no(row.status in open_statuses and row.due_at <= now),
            row.escalation_count,
            row.reopen_count,
            label(OUTCOME, row.resolution_outcome),
            yes_no(row.resolved_on_time),
            label(SATISFACTION, row.satisfaction),
            row.original,
            masked_parties(row.parties),
        ]


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
            label(LEVEL, node["level"]),
            *values,
            table["from"],
            table["to"],
        ]

    return [row(table["region"], table["indicators"])] + [
        row(child, child["indicators"]) for child in table["children"]
    ]
