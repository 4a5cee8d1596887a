"""keras_specmix.ops.warp: the time warp against a NumPy reference and its laws."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from keras_specmix.ops import warp


def reference_warp(x, anchor, shift, length):
    """NumPy reference of the same map, in float64, one example at a time.

    The source position of output frame ``t < length`` is the piecewise-linear
    interpolation through ``(0, 0)``, ``(a + s, a)``, ``(length-1, length-1)``;
    the output is the linear interpolation of ``x`` along time at that
    position. Frames at or after ``length`` are copied.
    """
    x = np.asarray(x, np.float64)
    out = x.copy()
    last = length - 1
    t = np.arange(length, dtype=np.float64)
    src = np.interp(t, [0, anchor + shift, last], [0, anchor, last])
    frames = np.arange(x.shape[0], dtype=np.float64)
    flat = x.reshape(x.shape[0], -1)
    for column in range(flat.shape[1]):
        out.reshape(x.shape[0], -1)[:length, column] = np.interp(src, frames, flat[:, column])
    return out


def _params(anchors, shifts):
    return {
        "warp_anchors": tf.constant(anchors, tf.int32),
        "warp_shifts": tf.constant(shifts, tf.int32),
    }


def test_matches_numpy_reference_on_injected_params():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 30, 5, 2)).astype("float32")
    anchors, shifts, lengths = [10, 5, 20, 14], [4, -3, 7, 0], [30, 30, 25, 20]
    params = _params(anchors, shifts)
    out = warp.apply_time_warp(tf.constant(x), params, lengths).numpy()
    for b in range(4):
        expected = reference_warp(x[b], anchors[b], shifts[b], lengths[b])
        # float32 arithmetic against a float64 reference: a few ulps of |x| <= 5.
        np.testing.assert_allclose(out[b], expected, atol=1e-5, rtol=0)


def test_exact_values_on_a_ramp():
    # x[t] = t: the output is the source position itself, a known list.
    x = tf.reshape(tf.range(9, dtype=tf.float32), [1, 9, 1])
    out = warp.apply_time_warp(x, _params([4], [-2])).numpy().ravel()
    # Segment [0, 2] -> [0, 4] (slope 2); segment [2, 8] -> [4, 8] (slope 2/3).
    expected = [0, 2, 4, 4 + 2 / 3, 4 + 4 / 3, 6, 6 + 2 / 3, 6 + 4 / 3, 8]
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_zero_shift_is_identity_bit_for_bit():
    x = tf.random.stateless_normal([3, 40, 7, 2], seed=[1, 1])
    out = warp.apply_time_warp(x, _params([5, 0, 39], [0, 0, 0]), [40, 40, 17])
    np.testing.assert_array_equal(out.numpy(), x.numpy())


def test_zero_time_warp_param_samples_no_warp():
    params = warp.sample_time_warp_params([0, 5], 64, tf.fill([64], 100), 0)
    assert np.all(params["warp_shifts"].numpy() == 0)


def test_sampled_warps_are_monotonic_with_fixed_end_points():
    lengths = tf.constant(np.random.default_rng(1).integers(10, 200, 2000), tf.int32)
    params = warp.sample_time_warp_params([3, 3], 2000, lengths, 4)
    src = warp.warp_source_positions(params, lengths, 200).numpy()
    for b, length in enumerate(lengths.numpy()):
        valid = src[b, :length]
        assert valid[0] == 0.0 and valid[-1] == length - 1
        assert np.all(np.diff(valid) > 0), b
        # Padded frames map to themselves.
        np.testing.assert_array_equal(src[b, length:], np.arange(length, 200))


def test_padding_is_untouched_and_ignored():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 50, 6)).astype("float32")
    other = x.copy()
    other[:, 30:] = 1e3  # different padding
    params, lengths = _params([12, 10], [5, -6]), [30, 30]
    out = warp.apply_time_warp(tf.constant(x), params, lengths).numpy()
    out_other = warp.apply_time_warp(tf.constant(other), params, lengths).numpy()
    np.testing.assert_array_equal(out[:, 30:], x[:, 30:])
    np.testing.assert_array_equal(out[:, :30], out_other[:, :30])


def test_short_clips_are_left_unwarped():
    w = 5
    lengths = tf.constant([0, 1, 2 * w, 2 * w + 2, 2 * w + 3, 100])
    params = warp.sample_time_warp_params([0, 9], 6, lengths, w)
    shifts = params["warp_shifts"].numpy()
    assert np.all(shifts[:4] == 0)
    # At 2W + 3 frames the only anchor is W + 1.
    many = warp.sample_time_warp_params([0, 9], 500, tf.fill([500], 2 * w + 3), w)
    assert set(many["warp_anchors"].numpy().tolist()) == {w + 1}
    assert len(set(many["warp_shifts"].numpy().tolist())) == 2 * w + 1


def test_anchor_and_shift_statistics():
    n, w, length = 20000, 6, 40
    params = warp.sample_time_warp_params([7, 7], n, tf.fill([n], length), w)
    anchors = params["warp_anchors"].numpy()
    shifts = params["warp_shifts"].numpy()
    lo, hi = w + 1, length - w - 2
    assert anchors.min() == lo and anchors.max() == hi
    assert shifts.min() == -w and shifts.max() == w
    # Chi-square goodness of fit against the discrete uniforms; with a fixed
    # seed the test is deterministic, p > 1e-3 is the tolerance.
    for values, low, high in ((anchors, lo, hi), (shifts, -w, w)):
        counts = np.bincount(values - low, minlength=high - low + 1)
        assert stats.chisquare(counts).pvalue > 1e-3
    # Mean shift 0 and variance W(W+1)/3 of U{-W..W}, within 4 standard errors.
    assert abs(shifts.mean()) < 4 * np.sqrt(w * (w + 1) / 3 / n)
    assert abs(shifts.var() / (w * (w + 1) / 3) - 1) < 0.05


@pytest.mark.parametrize("rank", [3, 4])
def test_compiles_under_xla_with_unknown_time(rank):
    spec = tf.TensorSpec([None, None, 8] + [2] * (rank - 3), tf.float32)

    lengths_spec = tf.TensorSpec([None], tf.int32)

    @tf.function(jit_compile=True, input_signature=[spec, lengths_spec])
    def run(x, lengths):
        params = warp.sample_time_warp_params([1, 2], tf.shape(x)[0], lengths, 3)
        return warp.apply_time_warp(x, params, lengths), params

    for time in (9, 33):
        x = tf.random.stateless_normal([3, time, 8] + [2] * (rank - 3), seed=[0, time])
        lengths = tf.constant([time, time - 2, 4])
        out, params = run(x, lengths)
        for b in range(3):
            expected = reference_warp(
                x[b].numpy(),
                int(params["warp_anchors"][b]),
                int(params["warp_shifts"][b]),
                int(lengths[b]),
            )
            np.testing.assert_allclose(out[b].numpy(), expected, atol=1e-5)


def test_bad_lengths_rank():
    with pytest.raises(ValueError, match="lengths"):
        warp.valid_lengths(tf.zeros([2, 5, 3]), [[1, 2]])
