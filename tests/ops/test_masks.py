"""Exact and statistical tests of the interval/region mask builders."""

import numpy as np
import scipy.stats
import tensorflow as tf

from keras_specmix.ops import masks


def test_interval_mask_covers_exactly_start_to_start_plus_width():
    starts = tf.constant([[0, 3], [4, 0], [2, 2], [5, 1]])
    widths = tf.constant([[2, 1], [2, 0], [3, 1], [0, 0]])
    got = masks.interval_mask(starts, widths, 6).numpy().astype(int)
    expected = [
        [1, 1, 0, 1, 0, 0],  # [0, 2) and [3, 4)
        [0, 0, 0, 0, 1, 1],  # [4, 6); a zero-width interval adds nothing
        [0, 0, 1, 1, 1, 0],  # overlapping intervals counted once
        [0, 0, 0, 0, 0, 0],
    ]
    assert got.tolist() == expected


def test_interval_mask_with_unknown_length_under_xla():
    fn = tf.function(
        lambda s, w, n: masks.interval_mask(s, w, n),
        input_signature=[tf.TensorSpec([None, None], tf.int32)] * 2 + [tf.TensorSpec([], tf.int32)],
        jit_compile=True,
    )
    got = fn(tf.constant([[1]]), tf.constant([[2]]), tf.constant(4))
    assert got.numpy().astype(int).tolist() == [[0, 1, 1, 0]]


def test_sample_starts_uniform_over_valid_positions():
    widths = tf.fill([20_000, 1], 7)
    starts = masks.sample_starts([3, 4], widths, 10).numpy().ravel()
    counts = np.bincount(starts, minlength=4)
    assert len(counts) == 4  # starts in [0, 10 - 7]
    assert scipy.stats.chisquare(counts).pvalue > 1e-3


def test_region_fraction_equals_mean_of_region_mask():
    rng = np.random.default_rng(0)
    time_mask = tf.constant(rng.random((16, 40)) < 0.3)
    freq_mask = tf.constant(rng.random((16, 24)) < 0.2)
    for combine in (masks.UNION, masks.INTERSECTION):
        region = masks.region_mask(time_mask, freq_mask, combine)
        assert region.shape == (16, 40, 24)
        np.testing.assert_allclose(
            masks.region_fraction(time_mask, freq_mask, combine),
            tf.reduce_mean(tf.cast(region, tf.float32), axis=[1, 2]),
            rtol=1e-6,
        )


def test_region_mask_rejects_unknown_rule():
    try:
        masks.region_mask(tf.zeros([1, 2], bool), tf.zeros([1, 2], bool), "xor")
    except ValueError as error:
        assert "combine" in str(error) and "xor" in str(error)
    else:
        raise AssertionError("no error for combine='xor'")
