"""Statistical and exact tests of the stateless random primitives."""

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from keras_specmix.ops import random as random_ops

N = 20_000  # draws per statistical test


def _beta_moments(a, b):
    mean = a / (a + b)
    var = a * b / ((a + b) ** 2 * (a + b + 1))
    return mean, var


@pytest.mark.parametrize("alpha,beta", [(0.2, 0.2), (0.4, 0.4), (1.0, 1.0), (2.0, 5.0)])
@pytest.mark.parametrize("jit", [False, True])
def test_stateless_beta_matches_scipy(alpha, beta, jit):
    fn = tf.function(
        lambda s: random_ops.stateless_beta(s, [N], alpha, beta, dtype=tf.float64),
        jit_compile=jit,
    )
    # float64 output: in float32 about 2 % of Beta(0.2, 0.2) rounds to 1.0.
    draws = fn(tf.constant([12, 34])).numpy()
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    mean, var = _beta_moments(alpha, beta)
    # Standard error of the mean is sqrt(var / N) <= 0.0031: 0.015 is ~5 s.e.
    assert abs(draws.mean() - mean) < 0.015
    # Variance: relative error under 5 % (s.e. of the variance is about 1 %).
    assert abs(draws.var() - var) < 0.05 * var
    # KS test against scipy's Beta: a correct sampler fails at p < 1e-3 once
    # in a thousand runs; a wrong one (e.g. Beta(a+1, b)) gives p ~ 0.
    statistic, p_value = scipy.stats.kstest(draws, scipy.stats.beta(alpha, beta).cdf)
    assert p_value > 1e-3, (statistic, p_value)


def test_stateless_beta_float32_is_the_rounded_float64():
    wide = random_ops.stateless_beta([5, 6], [1000], 0.2, dtype=tf.float64)
    narrow = random_ops.stateless_beta([5, 6], [1000], 0.2)
    assert narrow.dtype == tf.float32
    np.testing.assert_allclose(narrow, wide, rtol=0, atol=1e-6)


def test_stateless_beta_is_deterministic_per_seed():
    a = random_ops.stateless_beta([1, 2], [64], 0.4)
    b = random_ops.stateless_beta([1, 2], [64], 0.4)
    c = random_ops.stateless_beta([1, 3], [64], 0.4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_uniform_int_is_inclusive_and_uniform_with_per_element_bounds():
    high = tf.constant([[0], [1], [4]])
    draws = random_ops.uniform_int([5, 6], [3, N], 0, high).numpy()
    assert (draws[0] == 0).all()
    for row, top in ((1, 1), (2, 4)):
        counts = np.bincount(draws[row], minlength=top + 1)
        assert len(counts) == top + 1  # never above `high`
        # Chi-square goodness of fit to uniform; p > 1e-3 as above.
        assert scipy.stats.chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize("batch_size", [2, 3, 8, 33])
def test_pair_indices_is_a_derangement_single_cycle(batch_size):
    for seed in range(20):
        partner = random_ops.pair_indices([seed, 1], batch_size).numpy()
        assert sorted(partner) == list(range(batch_size))  # everyone donates once
        assert (partner != np.arange(batch_size)).all()  # nobody pairs with itself
        node, steps = 0, 0
        while True:  # following partners visits the whole batch: one cycle
            node, steps = partner[node], steps + 1
            if node == 0:
                break
        assert steps == batch_size


def test_pair_indices_batch_of_one_pairs_with_itself():
    assert random_ops.pair_indices([0, 0], 1).numpy().tolist() == [0]


def test_pair_indices_partners_are_uniform():
    # For a batch of 5, example 0's partner is uniform over the 4 others.
    partners = [random_ops.pair_indices([s, 7], 5).numpy()[0] for s in range(2000)]
    counts = np.bincount(partners, minlength=5)
    assert counts[0] == 0
    assert scipy.stats.chisquare(counts[1:]).pvalue > 1e-3
