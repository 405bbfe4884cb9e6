"""A ranking as a workbook: the ranking sheet (名次, 得分, 上期, 变化) and one row per subject and
item with its figures and its part in the score, so the score can be checked by hand in Excel."""

from __future__ import annotations

from typing import IO

from gridcase.stats.spreadsheets import xlsx_workbook


def _percent(value):
    return None if value is None else round(value * 100, 2)


def ranking_workbook(table: dict) -> IO[bytes]:
    period = table["period_label"] + ("（截至" + str(table["to"]) + "）" if table["to_date"] else "")
    ranking_rows = [
        [
            row["rank"],
            row["name"],
            row["parent"] or "",
            row["score"] if row["score"] is not None else "不参评",
            row["base"],
            row["deducted"],
            row["previous_score"],
            row["change"],
            row["rank_change"],
            "红榜"
            if row["key"] in table["red_board"]
            else "黑榜"
            if row["key"] in table["black_board"]
            else "",
        ]
        for row in table["rows"]
    ]
    item_rows = [
        [
            row["name"],
            item["label"],
            "扣分项"
            if item["kind"] == "penalty"
            else ("越低越好" if item["better"] == "lower" else "越高越好"),
            _percent(item["value"]) if item["kind"] == "rate" else item["value"],
            item["numerator"],
            item["denominator"],
            _percent(item["target"]) if item["kind"] == "rate" else item["target"],
            item["points"],
            item["scaled_points"],
            item["earned"],
            item["lost"],
            item["deducted"],
            "适用" if item["applicable"] else f"不适用：{item['reason']}",
        ]
        for row in table["rows"]
        for item in row["items"]
    ]
    scheme = table["scheme"]
    return xlsx_workbook(
        [
            (
                f"{table['subject_label']}考核排名",
                [
                    "名次",
                    table["subject_label"],
                    "所属",
                    f"得分（{period}）",
                    "指标得分",
                    "扣分",
                    f"上期得分（{table['previous_period']}）",
                    "得分变化",
                    "名次变化",
                    "红黑榜",
                ],
                ranking_rows,
            ),
            (
                "得分明细",
                [
                    table["subject_label"],
                    "指标",
                    "方向",
                    "实际值（率为%）",
                    "分子",
                    "分母",
                    "目标值（率为%）",
                    "分值",
                    "折算分值",
                    "得分",
                    "失分",
                    "扣分",
                    "是否适用",
                ],
                item_rows,
            ),
            (
                "考核方案",
                ["方案", "版本", "生效月份"],
                [[scheme["name"], scheme["version"], str(scheme["effective_from"] or "")]],
            ),
        ]
    )
