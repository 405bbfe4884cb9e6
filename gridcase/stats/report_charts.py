"""The monthly report's charts as PNG images, drawn here with matplotlib (Agg: no display, no
browser, nothing fetched) in the CJK font the PDFs embed, from the report's own series: the same
picture on the page, in the DOCX and in the PDF, and an issued report's charts drawn from its
snapshot.

- trend: 受理数 and 化解数 of the report's month and the five before (by the cases' creation
  month; a month-to-date's bar is marked 截至…).
- areas: 受理数 of each child area of the node (its townships, communities or grids).
- categories: 受理数 of each top-level category (大类).
"""

from __future__ import annotations

import functools
import io

from gridcase.printing import cjk_font

CHARTS = ("trend", "areas", "categories")
CHART_TITLES = {
    "trend": "近六个月受理、化解情况",
    "areas": "各下级区域受理数",
    "categories": "各大类受理数",
}
WIDTH_INCHES, DPI = 7.0, 150
MAX_BARS = 20  # more areas or categories than this: the rest summed as 其他
ACCEPTED_COLOUR, RESOLVED_COLOUR = "#1a73e8", "#188038"


def chart_png(report: dict, name: str) -> bytes:
    """The named chart (one of CHARTS) of the report, as PNG bytes.

    Raises:
        KeyError: no such chart.
    """
    # matplotlib is imported here, not at the top: most processes never draw a chart, and the
    # object-oriented Figure (no pyplot) keeps no global state between requests.
    from matplotlib.figure import Figure

    draw = {"trend": _trend, "areas": _areas, "categories": _categories}[name]
    font = {"fontfamily": _font_family()}
    figure = Figure(figsize=(WIDTH_INCHES, _height(report, name)))
    axes = figure.add_subplot()
    axes.set_title(CHART_TITLES[name], fontsize=12, **font)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    draw(axes, report, font)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _height(report: dict, name: str) -> float:
    """Inches: the trend's six months side by side; a bar chart grows with its bars."""
    if name == "trend":
        return 3.2
    return max(2.4, 0.9 + 0.28 * len(_bars(report, name)))


@functools.cache
def _font_family() -> str:
    """The CJK face the PDFs embed (printing.cjk_font), registered with matplotlib once; its
    family name is what the charts ask for."""
    from matplotlib import font_manager, ft2font

    path, index = cjk_font()
    font_manager.fontManager.addfont(path)
    return ft2font.FT2Font(path, face_index=index).family_name


def _trend(axes, report: dict, font: dict) -> None:
    months = report["trend"]
    labels = [
        m["label"] + (f"\n（截至{int(report['to_date'][8:10])}日）" if m["partial"] else "") for m in months
    ]
    positions = list(range(len(months)))
    width = 0.38
    for offset, key, label, colour in (
        (-width / 2, "accepted", "受理数", ACCEPTED_COLOUR),
        (width / 2, "resolved", "化解数", RESOLVED_COLOUR),
    ):
        bars = axes.bar(
            [p + offset for p in positions], [m[key] for m in months], width, color=colour, label=label
        )
        axes.bar_label(bars, fontsize=8)
    axes.set_xticks(positions, labels, **font)
    axes.legend(prop={"family": font["fontfamily"], "size": 9}, frameon=False)
    axes.set_ylabel("件", rotation=0, labelpad=12, **font)
    _whole_numbers(axes.yaxis)
    axes.margins(y=0.15)


def _whole_numbers(axis) -> None:
    """Ticks at whole numbers only: cases come whole (no 2.5 cases on a small count)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _bars(report: dict, name: str) -> list[tuple[str, int]]:
    items = report["by_area"] if name == "areas" else report["by_category"]
    bars = [(item["name"], item["accepted"]) for item in items]
    if len(bars) > MAX_BARS:
        rest = sum(n for _, n in bars[MAX_BARS - 1 :])
        bars = [*bars[: MAX_BARS - 1], ("其他", rest)]
    return bars


def _horizontal(axes, bars: list[tuple[str, int]], font: dict, empty: str = "本期无受理案件") -> None:
    if not any(n for _, n in bars):
        axes.text(0.5, 0.5, empty, ha="center", va="center", transform=axes.transAxes, **font)
        axes.set_axis_off()
        return
    names = [name for name, _ in reversed(bars)]  # the largest on top
    drawn = axes.barh(range(len(bars)), [n for _, n in reversed(bars)], color=ACCEPTED_COLOUR)
    axes.bar_label(drawn, fontsize=8, padding=2)
    axes.set_yticks(range(len(bars)), names, fontsize=9, **font)
    _whole_numbers(axes.xaxis)
    axes.margins(x=0.12)


def _areas(axes, report: dict, font: dict) -> None:
    # A grid has no areas below it: say so rather than draw it as a quiet month.
    _horizontal(
        axes, _bars(report, "areas"), font, "本级以下无区域" if not report["by_area"] else "本期无受理案件"
    )


def _categories(axes, report: dict, font: dict) -> None:
    _horizontal(axes, _bars(report, "categories"), font)
