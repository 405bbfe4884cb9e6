"""Durations as fixed histogram buckets, so medians come from rollups (DESIGN §5). Pure: no database.

Medians such as 办结时长中位数 cannot be added up from daily counts, and an exact median over
millions of cases costs a scan of all of them. The rollups therefore keep, per row, how many
cases fell in each of a fixed set of duration buckets. A median over any set of rows is read from
the summed histogram like an exact one: the mean of the two middle values (one when the count is
odd), each placed inside its bucket by its rank among the bucket's cases.

Buckets, in hours:
- bucket 0: [0, 1 minute) — 就地化解 and instant acceptances land here;
- bucket k ≥ 1: [1 min × 2^((k-1)/8), 1 min × 2^(k/8)): eight buckets per doubling, up to
  bucket 160 (about 728 days); bucket 161 holds everything longer.

Precision: each middle value is placed inside the bucket that holds it, so the median is off by
less than one bucket's width: under 2^(1/8) − 1 ≈ 9.05 % of the value above one minute, under
one minute below it.

Summing. A read sums hundreds of rows' histograms (at millions of cases each holds up to ~160
buckets a measure). They are summed as dense arrays, one cell per bucket, with numpy: adding
them entry by entry in Python was most of a long period's read (issue 20). A read receives its
bucket and count arrays in PostgreSQL's binary form of an array (`array_send`), which numpy
reads as it is, without a Python number per entry, every histogram of the read in one array
(`dense_histograms`), whose medians are read row by row at once (`medians`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

FIRST_EDGE_HOURS = 1 / 60
BUCKETS_PER_DOUBLING = 8
LAST_BUCKET = BUCKETS_PER_DOUBLING * 20 + 1
SIZE = LAST_BUCKET + 1
# The relative error bound of a median above one minute (documented in the module docstring).
MEDIAN_RELATIVE_PRECISION = 2 ** (1 / BUCKETS_PER_DOUBLING) - 1


def bucket_of(hours: float) -> int:
    """The bucket holding a duration of `hours` (negative durations count as zero)."""
    if hours < FIRST_EDGE_HOURS:
        return 0
    k = math.floor(BUCKETS_PER_DOUBLING * math.log2(hours / FIRST_EDGE_HOURS)) + 1
    return min(k, LAST_BUCKET)


def bucket_sql(hours: str) -> str:
    """The same rule as `bucket_of`, as a SQL expression over a double precision `hours`.

    `hours` appears once (PostgreSQL would compute a repeated expression again for every case of
    a full refresh): below one minute the logarithm is negative and the bucket clamps to 0.
    `hours` must not be NULL: greatest() skips NULLs, so the caller tests the column first."""
    return (
        f"least(greatest(floor({BUCKETS_PER_DOUBLING} * ln(greatest({hours}, 1e-9) / {FIRST_EDGE_HOURS!r})"
        f" / ln(2.0))::int + 1, 0), {LAST_BUCKET})"
    )


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """[lower, upper) of a bucket in hours; the open last bucket is given one bucket's width."""
    if bucket <= 0:
        return 0.0, FIRST_EDGE_HOURS
    lower = FIRST_EDGE_HOURS * 2 ** ((bucket - 1) / BUCKETS_PER_DOUBLING)
    return lower, lower * 2 ** (1 / BUCKETS_PER_DOUBLING)


# The elements of a one-dimensional array without NULLs in PostgreSQL's binary form of it
# (`array_send`), past its 20-byte header (WIRE_HEADER_BYTES; an empty array is a shorter
# header alone): each element as its int4 byte length and its big-endian value.
WIRE_HEADER_BYTES = 20
_BUCKET_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i2")])  # smallint[]
_COUNT_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i4")])  # int[]
# Each bucket's lower bound and width, as bucket_bounds gives them.
_LOWER = np.array([bucket_bounds(bucket)[0] for bucket in range(SIZE)])
_WIDTH = np.array([upper - lower for lower, upper in map(bucket_bounds, range(SIZE))])


def dense_histograms(buckets: Sequence[bytes], counts: Sequence[bytes]) -> np.ndarray:
    """One histogram per pair of `buckets` and `counts`, as a row of SIZE counts (index =
    bucket): each pair the elements of smallint[] bucket arrays and int[] count arrays as
    `array_send` writes them past the header, end to end, in the same order in both. A bucket
    named twice (rows whose histograms were put end to end) counts both times."""
    rows = len(buckets)
    per_row = np.fromiter((len(data) // _BUCKET_ELEMENT.itemsize for data in buckets), np.intp, rows)
    bucket = np.frombuffer(b"".join(buckets), dtype=_BUCKET_ELEMENT)["value"].astype(np.intp)
    count = np.frombuffer(b"".join(counts), dtype=_COUNT_ELEMENT)["value"]
    cell = np.repeat(np.arange(rows, dtype=np.intp), per_row) * SIZE + bucket
    return np.bincount(cell, weights=count, minlength=rows * SIZE).reshape(rows, SIZE)


def medians(histograms: np.ndarray) -> list[float | None]:
    """The median of each row of `histograms` (see `dense_histograms`); None for an empty one.

    The mean of the two middle cases (0-based ranks (n - 1) // 2 and n // 2 of n; one case when
    n is odd), each placed in the bucket holding it, evenly spread inside it: the case of rank r
    after `before` cases of lower buckets, in a bucket of k cases, is at
    lower + width × (r − before + ½) / k. Every row at once: a long period's read asks for
    hundreds."""
    rows = np.arange(len(histograms))
    cumulative = np.cumsum(histograms, axis=1)
    totals = cumulative[:, -1].astype(np.int64)
    values = []
    with np.errstate(divide="ignore", invalid="ignore"):  # (an empty row's: NaN, answered None)
        for rank in ((totals - 1) // 2, totals // 2):  # the middle ranks of each row
            bucket = (cumulative <= rank[:, None]).sum(axis=1)  # the first bucket with more cases
            bucket = np.minimum(bucket, SIZE - 1)  # (an empty row has no such bucket)
            in_bucket = histograms[rows, bucket]
            before = cumulative[rows, bucket] - in_bucket
            values.append(_LOWER[bucket] + _WIDTH[bucket] * (rank - before + 0.5) / in_bucket)
        middle = (values[0] + values[1]) / 2
    return [float(value) if total else None for value, total in zip(middle, totals, strict=True)]


def histogram_median(counts: Mapping[int, int]) -> float | None:
    """The median of a histogram {bucket: count}; None when it is empty."""
    histogram = np.bincount(
        np.asarray(list(counts), dtype=np.intp), weights=list(counts.values()), minlength=SIZE
    )
    return medians(histogram.reshape(1, SIZE))[0]
