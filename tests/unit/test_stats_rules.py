"""Pure rules of the indicators: rates, periods cut into weeks, duration histograms and their
medians, and the spreadsheet writers."""

import csv
import io
import random
import statistics
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from gridcase.stats.histogram import (
    FIRST_EDGE_HOURS,
    LAST_BUCKET,
    MEDIAN_RELATIVE_PRECISION,
    bucket_bounds,
    bucket_of,
    histogram_median,
)
from gridcase.stats.indicators import INDICATOR_KEYS, indicators, ladder_groups, split_period, week_range
from gridcase.stats.spreadsheets import BOM, csv_chunks, xlsx_file


def test_rates_are_null_when_nothing_to_divide_by():
    figures = indicators({})
    assert list(figures) == list(INDICATOR_KEYS)
    assert figures["accepted"] == 0 and figures["overdue_open"] == 0
    assert figures["resolution_rate"] is None and figures["satisfaction_rate"] is None
    assert figures["median_hours_to_resolve"] is None


def test_rates_follow_their_formulas():
    figures = indicators(
        {
            "accepted": 9,
            "resolved": 6,
            "started_local": 7,
            "resolved_local": 3,
            "started_contained": 8,
            "resolved_contained": 5,
            "resolved_on_time": 5,
            "escalated": 2,
            "reopened": 1,
            "revisited": 3,
            "satisfied": 2,
            "agreements_checked": 4,
            "agreements_performed": 3,
            "overdue_open": 3,
        },
        0.75,
        37.5,
    )
    assert figures == {
        "accepted": 9,
        "resolved": 6,
        "resolution_rate": 0.6667,
        "local_resolution_rate": 0.4286,
        "township_containment_rate": 0.625,
        "on_time_rate": 0.8333,
        "escalation_rate": 0.2222,
        "reopen_rate": 0.1667,
        "satisfaction_rate": 0.6667,
        "revisited": 3,
        "agreement_performance_rate": 0.75,
        "agreements_checked": 4,
        "median_hours_to_accept": 0.75,
        "median_hours_to_resolve": 37.5,
        "overdue_open": 3,
    }


def test_ladder_groups():
    assert ladder_groups(["community", "township", "city"]) == (["community"], ["community", "township"])
    assert ladder_groups(["community", "township", "district", "city"])[1] == ["community", "township"]


@pytest.mark.parametrize(
    ("first", "last", "weeks", "days"),
    [
        # Tuesday 3 March 2026 to Thursday 19 March: one whole week, ends on either side.
        (
            date(2026, 3, 3),
            date(2026, 3, 19),
            (date(2026, 3, 9), date(2026, 3, 9)),
            [(date(2026, 3, 3), date(2026, 3, 8)), (date(2026, 3, 16), date(2026, 3, 19))],
        ),
        # Monday to Sunday: whole weeks only.
        (date(2026, 3, 2), date(2026, 3, 22), (date(2026, 3, 2), date(2026, 3, 16)), []),
        # Inside one week: days only.
        (date(2026, 3, 3), date(2026, 3, 6), None, [(date(2026, 3, 3), date(2026, 3, 6))]),
        # Unbounded on either side.
        (None, date(2026, 3, 18), (None, date(2026, 3, 9)), [(date(2026, 3, 16), date(2026, 3, 18))]),
        (date(2026, 3, 4), None, (date(2026, 3, 9), None), [(date(2026, 3, 4), date(2026, 3, 8))]),
        (None, None, (None, None), []),
    ],
)
def test_a_period_is_cut_into_whole_weeks_and_end_days(first, last, weeks, days):
    parts = split_period(first, last)
    assert parts.weeks == weeks
    assert parts.days == days


def test_week_range_runs_monday_to_monday():
    assert week_range(date(2026, 3, 4), date(2026, 3, 16)) == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]


def test_buckets_cover_every_duration_in_order():
    assert bucket_of(0) == 0 and bucket_of(-3) == 0
    assert bucket_of(FIRST_EDGE_HOURS) == 1
    assert bucket_of(10**9) == LAST_BUCKET
    assert bucket_bounds(bucket_of(0.01)) == (0.0, FIRST_EDGE_HOURS)  # under a minute
    for hours in (0.02, 0.5, 1, 3, 24, 78, 140, 1000):
        lower, upper = bucket_bounds(bucket_of(hours))
        assert lower <= hours < upper
        assert (upper - lower) / lower <= MEDIAN_RELATIVE_PRECISION + 1e-12


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 8, 50, 1001])
def test_a_histogram_median_is_within_the_documented_precision(size):
    rng = random.Random(size)
    hours = [rng.lognormvariate(2, 1.5) for _ in range(size)]
    counts: dict[int, int] = {}
    for value in hours:
        counts[bucket_of(value)] = counts.get(bucket_of(value), 0) + 1
    exact = statistics.median(hours)
    assert histogram_median(counts) == pytest.approx(exact, rel=MEDIAN_RELATIVE_PRECISION)


def test_an_even_count_takes_the_mean_of_the_two_middle_values():
    # 0.5 h and 2 h in the middle, far apart: the median is their mean, not either of them.
    counts = {bucket_of(h): 1 for h in (0.1, 0.5, 2, 10)}
    assert histogram_median(counts) == pytest.approx(1.25, rel=MEDIAN_RELATIVE_PRECISION)
    assert histogram_median({}) is None


def test_csv_has_a_bom_and_defuses_formulas():
    rows = [['=HYPERLINK("http://x")', 3, datetime(2026, 3, 2, 9, 5), None], ["普通", 0, None, "-1"]]
    text = "".join(csv_chunks(["标题", "人数", "时间", "备注"], rows, chunk_bytes=10))
    assert text.startswith(BOM)
    parsed = list(csv.reader(io.StringIO(text[1:])))
    assert parsed == [
        ["标题", "人数", "时间", "备注"],
        ['\'=HYPERLINK("http://x")', "3", "2026-03-02 09:05", ""],
        ["普通", "0", "", "'-1"],
    ]


def test_xlsx_keeps_text_as_text_and_times_as_times():
    workbook = load_workbook(
        xlsx_file("表", ["标题", "时间"], [["=1+1", datetime(2026, 3, 2, 9, 5)], ["控制\x07字符", None]])
    )
    sheet = workbook.active
    assert sheet.title == "表"
    assert [c.value for c in sheet[1]] == ["标题", "时间"]
    formula_like, moment = sheet[2]
    assert formula_like.value == "=1+1" and formula_like.data_type == "s"
    assert moment.value == datetime(2026, 3, 2, 9, 5)
    assert sheet["A3"].value == "控制字符"
