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
reads as it is, without a Python number per entry (`dense_from_wire`).
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


def value_at_rank(bucket: int, in_bucket: int, before: int, rank: int) -> float:
    """The estimated value of the case of 0-based `rank` (of all cases, in order), which falls
    in `bucket` after `before` cases of lower buckets: evenly spread inside the bucket."""
    lower, upper = bucket_bounds(bucket)
    return lower + (upper - lower) * (rank - before + 0.5) / in_bucket


def middle_ranks(total: int) -> tuple[int, int]:
    """0-based ranks of the two middle cases of `total` (the same one when `total` is odd)."""
    return (total - 1) // 2, total // 2


def dense(buckets: Sequence[int], counts: Sequence[int]) -> np.ndarray:
    """A histogram as an array of SIZE counts, index = bucket; a bucket named twice (rows whose
    histograms were put end to end) counts both times."""
    return np.bincount(np.asarray(buckets, dtype=np.intp), weights=counts, minlength=SIZE)


# The elements of a one-dimensional array without NULLs in PostgreSQL's binary form of it
# (`array_send`), past its 20-byte header (WIRE_HEADER_BYTES; an empty array is a shorter
# header alone): each element as its int4 byte length and its big-endian value.
WIRE_HEADER_BYTES = 20
_WIRE_ELEMENTS = {
    2: np.dtype([("length", ">i4"), ("value", ">i2")]),
    4: np.dtype([("length", ">i4"), ("value", ">i4")]),
}


def dense_from_wire(buckets: bytes, counts: bytes) -> np.ndarray:
    """`dense` of the elements of smallint[] bucket arrays and int[] count arrays, each as
    `array_send` writes them past the header, end to end (in the same order in both)."""
    return np.bincount(
        np.frombuffer(buckets, dtype=_WIRE_ELEMENTS[2])["value"].astype(np.intp),
        weights=np.frombuffer(counts, dtype=_WIRE_ELEMENTS[4])["value"],
        minlength=SIZE,
    )


def dense_median(histogram: np.ndarray) -> float | None:
    """The median of a dense histogram (see `dense`); None when it is empty."""
    cumulative = np.cumsum(histogram)
    total = int(cumulative[-1])
    if total == 0:
        return None
    values = []
    for rank in middle_ranks(total):
        bucket = int(np.searchsorted(cumulative, rank, side="right"))  # first with more cases
        in_bucket = int(histogram[bucket])
        values.append(value_at_rank(bucket, in_bucket, int(cumulative[bucket]) - in_bucket, rank))
    return sum(values) / 2


def histogram_median(counts: Mapping[int, int]) -> float | None:
    """The median of a histogram {bucket: count}; None when it is empty."""
    return dense_median(dense(list(counts), list(counts.values())))
