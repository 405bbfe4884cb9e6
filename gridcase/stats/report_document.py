"""The monthly report as a document (DOCX, which the centre edits and prints, or PDF), laid out
after 党政机关公文格式 (GB/T 9704-2012): the issuing body (发文机关标志) above the title, the
period, the indicator table, the charts, the 研判分析, the centre's own text, and at the end the
issuer's name and the date line (成文日期: the day it was issued, 签发). A report not issued
yet says so where the date line would be."""

from __future__ import annotations

from datetime import datetime

from gridcase.printing import Format, Paperwork
from gridcase.settings import local_tz
from gridcase.stats.report import REPORT_TITLE
from gridcase.stats.report_analysis import HEADINGS, chinese_date
from gridcase.stats.report_charts import CHART_TITLES, CHARTS, chart_png

NOTE = "注：按案件登记日期（本地时间）统计；受理数不含不予受理和重复件；超期未办结为统计时的实时数。"


def report_document(report: dict, fmt: Format) -> tuple[bytes, str]:
    """The report's document in `fmt` and its file name."""
    name = f"月报-{report['region']['name']}-{report['month']}.{fmt.suffix}"
    return report_paperwork(report).render(fmt), name


def report_paperwork(report: dict) -> Paperwork:
    paper = Paperwork(report["title"])
    if report["issuer"]:
        paper.add(report["issuer"], "title")  # 发文机关标志
    paper.add(report["region"]["name"] + REPORT_TITLE, "title").add(f"（{report['subtitle']}）", "subtitle")
    paper.add(f"统计期间：{report['period']}")
    paper.add(f"对比期间：{report['comparison']}")
    sections = [
        ("主要指标", _indicators),
        ("趋势与分布", _charts),
        ("研判分析", _analysis),
        ("工作要求", _centre_text),
    ]
    numbered = [(title, write) for title, write in sections if title != "工作要求" or report["centre_text"]]
    for index, (title, write) in enumerate(numbered):
        paper.add(f"{HEADINGS[index]}、{title}", "heading")
        write(paper, report)
    paper.add(NOTE)
    _sign_off(paper, report)
    return paper


def indicator_table_rows(report: dict) -> list[list[str]]:
    """The indicator table as printed: a header, then each indicator's name (with its unit
    where it is not a count or a rate), this period, the period compared with, the change."""
    this, that = ("本月（累计）", "上月同期") if report["to_date"] else ("本月", "上月")
    rows = [["指标", this, that, "变化"]]
    for row in report["rows"]:
        name = row["name"] + ("（小时）" if row["unit"] == "小时" else "")
        rows.append([name, row["text"], row["previous_text"], row["change_text"]])
    return rows


def _indicators(paper: Paperwork, report: dict) -> None:
    paper.table(indicator_table_rows(report))


def _charts(paper: Paperwork, report: dict) -> None:
    for number, name in enumerate(CHARTS, start=1):
        if name == "areas" and not report["by_area"]:
            continue  # a grid has no areas below it
        paper.picture(chart_png(report, name))
        paper.add(f"图{number}　{CHART_TITLES[name]}", "centred")


def _analysis(paper: Paperwork, report: dict) -> None:
    for paragraph in report["analysis"]:
        paper.add(paragraph)


def _centre_text(paper: Paperwork, report: dict) -> None:
    paper.lines(report["centre_text"])


def _sign_off(paper: Paperwork, report: dict) -> None:
    paper.add("")
    if report["issuer"]:
        paper.add(report["issuer"], "right")  # 发文机关署名
    if report["issued"]:
        paper.add(report["date_line"], "right")  # 成文日期
    else:
        made = datetime.fromisoformat(report["generated_at"]).astimezone(local_tz()).date()
        paper.add(f"（未签发，{chinese_date(made)}生成）", "right")
