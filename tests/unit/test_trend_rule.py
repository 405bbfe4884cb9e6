"""The rising-issue test (issue 17, Done means): it flags a synthetic spike, and on Poisson noise
of the same mean it stays quiet — over many seeded weeks its false alarms stay at or under the
chosen level, at small and large means alike."""

import math
import random

import pytest

from gridcase.stats.trend_rule import binomial_upper_tail, significant_rise

ALPHA, MIN_COUNT, WEEKS = 0.001, 5, 8


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's sampler (means here are small enough)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def test_the_binomial_tail_is_exact_on_small_cases():
    assert binomial_upper_tail(4, 0, 0.5) == 1.0
    assert binomial_upper_tail(4, 5, 0.5) == 0.0
    assert binomial_upper_tail(4, 4, 0.5) == pytest.approx(1 / 16)
    assert binomial_upper_tail(4, 3, 0.5) == pytest.approx(5 / 16)
    assert binomial_upper_tail(10, 2, 0.1) == pytest.approx(1 - 0.9**10 - 10 * 0.1 * 0.9**9)


@pytest.mark.parametrize("mean", [3.0, 8.0, 25.0])
def test_poisson_noise_of_the_same_mean_raises_false_alarms_at_most_at_the_chosen_level(mean):
    rng = random.Random(20261206 + int(mean))
    trials = 20_000
    alarms = sum(
        significant_rise(poisson(rng, mean), [poisson(rng, mean) for _ in range(WEEKS)], ALPHA, MIN_COUNT)
        is not None
        for _ in range(trials)
    )
    # At most alpha of the weeks, with room for sampling error (3 standard errors).
    assert alarms <= trials * ALPHA + 3 * math.sqrt(trials * ALPHA)


@pytest.mark.parametrize("mean", [3.0, 8.0, 25.0])
def test_a_synthetic_spike_is_flagged(mean):
    rng = random.Random(7 + int(mean))
    earlier = [poisson(rng, mean) for _ in range(WEEKS)]
    spike = int(mean * 3 + 4 * math.sqrt(mean)) + MIN_COUNT  # a clear rise over the mean
    rise = significant_rise(spike, earlier, ALPHA, MIN_COUNT)
    assert rise is not None and rise.p_value < ALPHA and rise.ratio > 2


def test_few_cases_never_alarm_however_sudden():
    assert significant_rise(4, [0] * WEEKS, ALPHA, MIN_COUNT) is None  # 0 → 4: below the minimum
    assert significant_rise(5, [0] * WEEKS, ALPHA, MIN_COUNT) is not None  # 0 → 5 is one
    assert significant_rise(9, [], ALPHA, MIN_COUNT) is None  # nothing to compare with
