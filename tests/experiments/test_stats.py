"""Paired statistics against hand computations and textbook values."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_specmix.experiments import stats


def test_paired_difference_by_hand():
    # Differences 2, 3, 1: mean 2, sd 1, se 1/sqrt(3); df = 2.
    out = stats.paired_difference([52.0, 55.0, 51.0], [50.0, 52.0, 50.0])
    assert out["differences"] == [2.0, 3.0, 1.0]
    assert out["mean"] == 2.0 and out["std"] == pytest.approx(1.0, abs=1e-12)
    # t quantile with 2 dof in closed form: (2p - 1) * sqrt(2 / (4 p (1 - p))), p = 0.975.
    t975 = 0.95 * math.sqrt(2.0 / (4 * 0.975 * 0.025))
    assert t975 == pytest.approx(4.302653, abs=1e-6)  # not 2: n = 3
    half = t975 / math.sqrt(3.0)
    assert out["ci_low"] == pytest.approx(2.0 - half, abs=1e-9)
    assert out["ci_high"] == pytest.approx(2.0 + half, abs=1e-9)
    # Two-sided p with 2 dof: 1 - t / sqrt(2 + t^2), t = 2 sqrt(3).
    t = 2.0 * math.sqrt(3.0)
    assert out["p_value"] == pytest.approx(1.0 - t / math.sqrt(2.0 + t * t), abs=1e-12)


def test_paired_difference_edge_cases():
    one = stats.paired_difference([3.0], [1.0])
    assert one["mean"] == 2.0 and one["p_value"] is None and one["ci_low"] is None
    same = stats.paired_difference([3.0, 4.0], [1.0, 2.0])  # all differences 2
    assert (same["ci_low"], same["ci_high"], same["p_value"]) == (2.0, 2.0, 0.0)
    zero = stats.paired_difference([1.0, 2.0], [1.0, 2.0])
    assert zero["p_value"] == 1.0
    with pytest.raises(ValueError, match=r"len\(a\)=2, len\(b\)=3"):
        stats.paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="confidence=1.5"):
        stats.paired_difference([1.0, 2.0], [1.0, 2.0], confidence=1.5)


def test_holm_by_hand():
    # Sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> monotone 0.03, 0.06, 0.06.
    assert stats.holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]
    assert stats.holm([0.5, None, 0.9]) == [1.0, None, 1.0]  # capped; None not counted
    assert stats.holm([]) == []


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8))
def test_holm_is_between_raw_and_bonferroni(p_values):
    adjusted = stats.holm(p_values)
    m = len(p_values)
    for p, q in zip(p_values, adjusted):
        assert p - 1e-12 <= q <= min(1.0, m * p) + 1e-12


def test_power_and_seeds_needed_match_textbook_values():
    # Paired t-test, two-sided alpha 0.05, power 0.8 (G*Power): d = 1 -> 10 pairs,
    # d = 0.5 -> 34 pairs.
    assert stats.paired_power(10, 1.0, 1.0) == pytest.approx(0.8031, abs=5e-4)
    assert stats.seeds_needed(1.0, effect=1.0) == 10
    assert stats.seeds_needed(2.0, effect=1.0) == 34
    assert stats.seeds_needed(5.0) == 34  # the talk's 2.5 points with a 5-point spread
    assert stats.seeds_needed(None) is None and stats.seeds_needed(0.0) == 2
    # Large n: close to the normal approximation (z_.975 + z_.8)^2 / d^2 + 1.
    assert stats.seeds_needed(10.0, effect=1.0) == pytest.approx(
        (1.959964 + 0.841621) ** 2 * 100 + 1, abs=2
    )


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-20, 20), min_size=2, max_size=10),
    st.lists(st.floats(-20, 20), min_size=10, max_size=10),
)
def test_interval_contains_the_mean_and_p_is_a_probability(a, b):
    b = b[: len(a)]
    out = stats.paired_difference(a, b)
    assert out["ci_low"] <= out["mean"] + 1e-9 and out["mean"] <= out["ci_high"] + 1e-9
    assert 0.0 <= out["p_value"] <= 1.0
    assert np.allclose(out["differences"], np.subtract(a, b))


def test_seeds_needed_says_none_when_the_search_limit_falls_short():
    # std 1000, effect 1: about 7.9 million seeds; a limit is no answer.
    assert stats.seeds_needed(1000.0, effect=1.0) is None
    assert stats.seeds_needed(10.0, effect=1.0, max_seeds=100) is None
    assert stats.seeds_needed(10.0, effect=1.0, max_seeds=10_000) == stats.seeds_needed(10.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.05, 30.0), st.floats(0.001, 0.1))
def test_seeds_needed_is_the_smallest_n_reaching_the_power(std, alpha):
    n = stats.seeds_needed(std, effect=2.5, alpha=alpha)
    assert n is not None and n >= 2
    assert stats.paired_power(n, 2.5, std, alpha) >= 0.8
    if n > 2:
        assert stats.paired_power(n - 1, 2.5, std, alpha) < 0.8


def test_power_is_a_number_far_in_the_tails():
    # scipy's nct.cdf returned NaN for the lower tail here (df 2, noncentrality 8.66).
    assert stats.paired_power(3, 2.5, 0.5, 0.0625) == pytest.approx(0.990004, abs=1e-5)
    assert stats.seeds_needed(0.5, effect=2.5, alpha=0.0625) == 3
