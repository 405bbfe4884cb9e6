"""When a count of cases is rising, not just noisy (研判: "智治", warning before a matter grows).
Pure: no database, no app.

Counts of cases are Poisson-like; comparing this week's count with the mean of earlier weeks
by a fixed ratio flags every small category's noise and misses a big one's real rise. The test
here is the conditional test for two Poisson counts: if the rate has not changed, then given
the total n of the current window's count x and the k earlier windows' counts, x follows a
binomial distribution Bin(n, 1/(k+1)); the rise is significant when P(X >= x) < alpha. It needs
no estimate of the rate (so few weeks of history do not inflate false alarms), it is exact for
small counts, and, being discrete, it holds its false-alarm rate at or below alpha.

Source: Przyborowski & Wilenski (1940), the conditional test for comparing Poisson means; the
same comparison is used by syndromic surveillance (e.g. the CDC's EARS methods, which compare
a day's count with a baseline of earlier ones).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rise:
    current: int  # cases in the latest window
    baseline_mean: float  # cases per window before it
    p_value: float  # P(a count this high or higher, were the rate unchanged)

    @property
    def ratio(self) -> float | None:
        return self.current / self.baseline_mean if self.baseline_mean else None


def binomial_upper_tail(n: int, x: int, p: float) -> float:
    """P(X >= x) for X ~ Bin(n, p), summed in log space (n up to many thousands)."""
    if x <= 0:
        return 1.0
    if x > n:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_terms = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        for i in range(x, n + 1)
    ]
    top = max(log_terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in log_terms))


def significant_rise(current: int, earlier: Sequence[int], alpha: float, min_count: int) -> Rise | None:
    """The rise of `current` over the `earlier` windows' counts when significant at `alpha` and
    at least `min_count` cases (a jump from 0 to 2 is no issue to warn of), else None."""
    if not earlier or current < min_count:
        return None
    total = current + sum(earlier)
    p_value = binomial_upper_tail(total, current, 1 / (len(earlier) + 1))
    if p_value >= alpha:
        return None
    return Rise(current=current, baseline_mean=sum(earlier) / len(earlier), p_value=p_value)
