"""keras_specmix.ops.spec_augment: exact masks from injected params, statistics."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from keras_specmix.ops import spec_augment as sa


def reference_masks(x, params, value):
    """NumPy reference for rank-3 input and shared masks: a loop over masks."""
    out = np.array(x, copy=True)
    for b in range(x.shape[0]):
        for s, w in zip(params["time_starts"][b], params["time_widths"][b]):
            out[b, int(s) : int(s) + int(w)] = value
        for s, w in zip(params["freq_starts"][b], params["freq_widths"][b]):
            out[b, :, int(s) : int(s) + int(w)] = value
    return out


def _params(ts, tw, fs, fw):
    return {
        "time_starts": tf.constant(ts),
        "time_widths": tf.constant(tw),
        "freq_starts": tf.constant(fs),
        "freq_widths": tf.constant(fw),
    }


def test_mask_edges_exact():
    x = np.ones((2, 6, 5), np.float32)
    # Example 0: frames [1, 3), bins [4, 5) (touches the last bin).
    # Example 1: an empty time mask, bins [0, 2) and an overlapping [1, 3).
    params = _params([[1, 0], [5, 0]], [[2, 0], [0, 0]], [[4, 0], [0, 1]], [[1, 0], [2, 2]])
    out = sa.apply_masks(tf.constant(x), params).numpy()
    expected = np.ones_like(x)
    expected[0, 1:3] = 0
    expected[0, :, 4] = 0
    expected[1, :, 0:3] = 0
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out, reference_masks(x, params, 0.0))


def test_channels_share_masks_or_not():
    x = np.ones((1, 6, 4, 2), np.float32)
    shared = _params([[2]], [[1]], [[0]], [[1]])
    out = sa.apply_masks(tf.constant(x), shared).numpy()
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    per_channel = _params([[[2], [4]]], [[[1], [2]]], [[[0], [3]]], [[[1], [1]]])
    out = sa.apply_masks(tf.constant(x), per_channel, mask_value=-1.0).numpy()
    expected = np.ones_like(x)
    expected[0, 2, :, 0] = expected[0, :, 0, 0] = -1
    expected[0, 4:6, :, 1] = expected[0, :, 3, 1] = -1
    np.testing.assert_array_equal(out, expected)


def test_mean_value_is_each_examples_own_over_valid_frames():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=[[[[1.0, -3.0]]], [[[5.0, 0.0]]]], size=(2, 8, 4, 2))
    x = x.astype("float32")
    lengths = [8, 5]
    params = _params([[0], [1]], [[2], [2]], [[1], [3]], [[1], [1]])
    out = sa.apply_masks(tf.constant(x), params, "mean", lengths).numpy()
    means = np.stack([x[b, :n].mean(axis=(0, 1)) for b, n in enumerate(lengths)])
    close = np.testing.assert_allclose
    close(out[0, 0:2], np.broadcast_to(means[0], (2, 4, 2)), rtol=1e-6)
    close(out[1, 1:3], np.broadcast_to(means[1], (2, 4, 2)), rtol=1e-6)
    close(out[1, :5, 3], np.broadcast_to(means[1], (5, 2)), rtol=1e-6)
    # Padded frames of example 1 are left alone even under the frequency mask.
    np.testing.assert_array_equal(out[1, 5:], x[1, 5:])


def test_fill_value_rejects_other_strings():
    with pytest.raises(ValueError, match="mask_value"):
        sa.fill_value(tf.zeros([1, 2, 3]), "median")
    with pytest.raises(TypeError, match="mask_value"):
        sa.check_mask_value(None)
    assert sa.check_mask_value(0) == 0.0 and sa.check_mask_value("mean") == "mean"


def test_padding_untouched_under_sampled_spec_augment():
    x = tf.random.stateless_normal([16, 60, 20, 2], seed=[3, 3])
    lengths = tf.range(16) * 4
    params = sa.sample_spec_augment_params(
        [5, 5],
        tf.shape(x),
        lengths,
        time_warp_param=5,
        freq_mask_param=10,
        time_mask_param=20,
        per_channel=True,
    )
    out = sa.apply_spec_augment(x, params, "mean", lengths).numpy()
    for b, n in enumerate(lengths.numpy()):
        np.testing.assert_array_equal(out[b, n:], x.numpy()[b, n:])
        ends = params["time_starts"][b] + params["time_widths"][b]
        assert np.all(ends.numpy() <= n)


def _width_moments(widths, high):
    """Mean and variance of U{0..high}."""
    return high / 2, ((high + 1) ** 2 - 1) / 12


def test_freq_mask_statistics():
    n, f_param, bins = 20000, 27, 80
    params = sa.sample_freq_mask_params([1, 1], n, bins, f_param, 2)
    widths = params["freq_widths"].numpy().reshape(-1)
    starts = params["freq_starts"].numpy().reshape(-1)
    assert widths.min() == 0 and widths.max() == f_param  # inclusive [0, F]
    assert np.all(starts + widths <= bins)
    mean, var = _width_moments(widths, f_param)
    # 4e4 draws: the standard error of the mean is ~0.04, so 0.2 is ~5 sigma;
    # the variance within 3 %.
    assert abs(widths.mean() - mean) < 0.2
    assert abs(widths.var() / var - 1) < 0.03
    # Chi-square tests (deterministic given the seed; tolerance p > 1e-3):
    # widths uniform on {0..F}; starts uniform on {0..bins-w} for given w.
    assert stats.chisquare(np.bincount(widths, minlength=f_param + 1)).pvalue > 1e-3
    for w in (0, 13, 27):
        counts = np.bincount(starts[widths == w], minlength=bins - w + 1)
        assert len(counts) == bins - w + 1
        assert stats.chisquare(counts).pvalue > 1e-3
    # Over all widths, (start + 0.5) / (bins - w + 1) is ~U(0, 1): mean 1/2
    # and variance 1/12 (standard errors 0.0015 and 0.0004; tolerances ~5x).
    position = (starts + 0.5) / (bins - widths + 1)
    assert abs(position.mean() - 0.5) < 0.008
    assert abs(position.var() - 1 / 12) < 0.002


def test_freq_mask_width_capped_by_the_number_of_bins():
    params = sa.sample_freq_mask_params([1, 2], 2000, 10, 27, 1)
    widths = params["freq_widths"].numpy()
    assert widths.max() == 10 and np.all(params["freq_starts"].numpy() + widths <= 10)


def test_time_mask_statistics_and_p_cap():
    n = 20000
    lengths = tf.constant([400] * (n // 2) + [150] * (n // 2))
    params = sa.sample_time_mask_params([2, 2], n, lengths, 100, 1, time_mask_max_ratio=0.2)
    widths = params["time_widths"].numpy()[:, 0, 0]
    starts = params["time_starts"].numpy()[:, 0, 0]
    long, short = widths[: n // 2], widths[n // 2 :]
    # min(T, floor(p * len)): 80 for 400 frames, 30 for 150 frames.
    assert long.max() == 80 and short.max() == 30 and widths.min() == 0
    for sample, high in ((long, 80), (short, 30)):
        mean, var = _width_moments(sample, high)
        # 1e4 draws: mean within ~5 standard errors, variance within 5 %.
        assert abs(sample.mean() - mean) < 5 * np.sqrt(var / len(sample))
        assert abs(sample.var() / var - 1) < 0.05
        assert stats.chisquare(np.bincount(sample, minlength=high + 1)).pvalue > 1e-3
    short_starts = starts[n // 2 :][short == 10]
    counts = np.bincount(short_starts, minlength=141)
    assert len(counts) == 141 and stats.chisquare(counts).pvalue > 1e-3


def test_adaptive_time_masks():
    lengths = tf.constant([100, 250, 1000, 10] * 500)
    params = sa.sample_time_mask_params(
        [4, 4], 2000, lengths, 0, 20, count_ratio=0.04, size_ratio=0.04
    )
    widths = params["time_widths"].numpy()[:, 0, :]
    for length, count in ((100, 4), (250, 10), (1000, 20), (10, 0)):
        rows = widths[lengths.numpy() == length]
        assert np.all(rows[:, count:] == 0)  # at most min(floor(p_M L), m_T)
        assert rows.max(initial=0) == int(0.04 * length)  # size floor(p_S L)
        if count:
            assert np.all(rows[:, :count].max(axis=0) > 0)


def test_masks_are_independent_across_examples_and_channels():
    params = sa.sample_spec_augment_params([6, 6], [4000, 100, 64, 3], per_channel=True)
    fw = params["freq_widths"].numpy()  # (batch, channels, masks)
    assert fw.shape == (4000, 3, 2)
    # Pearson correlation between neighbours and between channels ~ 0
    # (standard error 1/sqrt(4000) = 0.016; tolerance 0.06).
    assert abs(np.corrcoef(fw[:-1, 0, 0], fw[1:, 0, 0])[0, 1]) < 0.06
    assert abs(np.corrcoef(fw[:, 0, 0], fw[:, 1, 0])[0, 1]) < 0.06
    shared = sa.sample_spec_augment_params([6, 6], [10, 100, 64, 3])
    assert shared["freq_widths"].shape == (10, 1, 2)


def test_masked_fraction_matches_expectation():
    # One frequency mask on 40 bins with F = 20: E[width] / 40 = 0.25.
    n = 10000
    x = tf.ones([n, 2, 40])
    params = sa.sample_freq_mask_params([9, 9], n, 40, 20, 1)
    fraction = 1 - sa.apply_masks(x, params).numpy().mean()
    # Standard error sqrt(var(w)) / 40 / sqrt(n) ~ 0.0015; tolerance 0.008.
    assert abs(fraction - 0.25) < 0.008


def test_policies_table():
    assert sa.POLICIES["LB"] == dict(
        time_warp_param=80,
        freq_mask_param=27,
        num_freq_masks=1,
        time_mask_param=100,
        time_mask_max_ratio=1.0,
        num_time_masks=1,
    )
    assert sa.POLICIES["SS"]["freq_mask_param"] == 27
    assert sa.POLICIES["SM"]["freq_mask_param"] == 15
    assert sa.POLICIES["SM"]["time_mask_max_ratio"] == 0.2


def test_spec_augment_compiles_under_xla_with_unknown_time():
    spec = tf.TensorSpec([None, None, 16, 3], tf.float32)

    lengths_spec = tf.TensorSpec([None], tf.int32)

    @tf.function(jit_compile=True, input_signature=[spec, lengths_spec])
    def run(x, lengths):
        params = sa.sample_spec_augment_params(
            [1, 2],
            tf.shape(x),
            lengths,
            time_warp_param=3,
            freq_mask_param=4,
            time_mask_param=5,
            time_mask_count_ratio=0.1,
            num_time_masks=4,
            per_channel=True,
        )
        return sa.apply_spec_augment(x, params, "mean", lengths)

    for time in (5, 40):
        x = tf.random.stateless_normal([2, time, 16, 3], seed=[0, time])
        out = run(x, tf.constant([time, 3])).numpy()
        assert out.shape == (2, time, 16, 3)
        np.testing.assert_array_equal(out[1, 3:], x.numpy()[1, 3:])
