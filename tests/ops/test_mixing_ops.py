"""Exact outputs from injected params, and statistics of the samplers."""

import math

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from keras_specmix.ops import masks
from keras_specmix.ops import mixing

T, F = 400, 128


def _numpy_region_mix(x, y, params, union, lengths=None):
    """Loop-per-example NumPy reference of apply_region_mix."""
    x_out, lam = x.copy(), np.ones(len(x))
    lengths = np.full(len(x), x.shape[1]) if lengths is None else np.asarray(lengths)
    for b, p in enumerate(params["partner"]):
        if p == b:
            continue
        t_in = np.zeros(x.shape[1], bool)
        f_in = np.zeros(x.shape[2], bool)
        for s, w in zip(params["time_starts"][b], params["time_widths"][b]):
            t_in[s : s + w] = True
        for s, w in zip(params["freq_starts"][b], params["freq_widths"][b]):
            f_in[s : s + w] = True
        region = (t_in[:, None] | f_in[None, :]) if union else (t_in[:, None] & f_in[None, :])
        region[min(lengths[b], lengths[p]) :] = False  # partner content only where both have frames
        x_out[b][region] = x[p][region]
        lam[b] = 1 - region.sum() / max(lengths[b] * x.shape[2], 1)
    y_out = lam[:, None] * y + (1 - lam[:, None]) * y[params["partner"]]
    return x_out, y_out, lam


def _random_batch(batch=4, time=12, freq=10, channels=2, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, freq, channels)).astype("float32")
    y = np.eye(classes, dtype="float32")[rng.integers(0, classes, batch)]
    return x, y


def test_apply_specmix_exact_from_injected_params():
    x, y = _random_batch()
    params = {
        "partner": np.array([1, 0, 3, 3]),  # example 3 is its own partner
        "time_starts": np.array([[0, 10], [2, 3], [0, 0], [1, 1]]),
        "time_widths": np.array([[2, 2], [4, 4], [0, 0], [5, 5]]),
        "freq_starts": np.array([[5, 0], [0, 0], [8, 0], [0, 0]]),
        "freq_widths": np.array([[3, 0], [0, 0], [2, 0], [4, 0]]),
    }
    got = mixing.apply_specmix(
        tf.constant(x), tf.constant(y), {k: tf.constant(v) for k, v in params.items()}
    )
    expected = _numpy_region_mix(x, y, params, union=True)
    np.testing.assert_array_equal(got[0], expected[0])  # bit for bit
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-6)
    # Band edges: example 0 takes frames [0, 2) and [10, 12) and bins [5, 8).
    assert got[2].numpy()[3] == 1.0
    assert got[2].numpy()[0] == pytest.approx(1 - (4 * 10 + 3 * 12 - 4 * 3) / 120)


def test_apply_cutmix_exact_from_injected_params():
    x, y = _random_batch()
    params = {
        "partner": np.array([2, 3, 1, 0]),
        "time_starts": np.array([[0], [5], [11], [0]]),
        "time_widths": np.array([[3], [7], [1], [12]]),
        "freq_starts": np.array([[2], [0], [9], [0]]),
        "freq_widths": np.array([[4], [10], [1], [0]]),
    }
    got = mixing.apply_cutmix(
        tf.constant(x), tf.constant(y), {k: tf.constant(v) for k, v in params.items()}
    )
    expected = _numpy_region_mix(x, y, params, union=False)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[2], [1 - 12 / 120, 1 - 70 / 120, 1 - 1 / 120, 1.0], rtol=1e-6)


def test_apply_mixup_exact_and_self_pair_untouched():
    x, y = _random_batch(batch=3)
    params = {"partner": tf.constant([1, 0, 2]), "lam": tf.constant([0.25, 0.6, 0.3])}
    x_out, y_out, lam = mixing.apply_mixup(tf.constant(x), tf.constant(y), params)
    # Fused under XLA, a*x + b*y may use an FMA: compare with an absolute
    # tolerance too (values near 0 lose relative precision).
    np.testing.assert_allclose(x_out[0], 0.25 * x[0] + 0.75 * x[1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y_out[1], 0.6 * y[1] + 0.4 * y[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(x_out[2], x[2])  # self-paired: bit for bit
    assert lam.numpy().tolist()[2] == 1.0


@pytest.mark.parametrize("union", [True, False])
def test_region_mix_with_lengths_pastes_only_where_both_clips_have_frames(union):
    x, y = _random_batch(batch=5)
    lengths = np.array([12, 7, 3, 0, 10])  # 0: an empty clip
    params = {
        "partner": np.array([1, 2, 0, 4, 3]),
        "time_starts": np.array([[0, 5], [1, 0], [0, 0], [0, 0], [2, 0]]),
        "time_widths": np.array([[3, 4], [2, 0], [3, 0], [2, 0], [5, 0]]),
        "freq_starts": np.array([[6, 0], [0, 0], [8, 0], [0, 0], [1, 0]]),
        "freq_widths": np.array([[2, 0], [10, 0], [2, 0], [3, 0], [4, 0]]),
    }
    apply = mixing.apply_specmix if union else mixing.apply_cutmix
    got = apply(
        tf.constant(x),
        tf.constant(y),
        {k: tf.constant(v) for k, v in params.items()},
        lengths=tf.constant(lengths),
    )
    expected = _numpy_region_mix(x, y, params, union, lengths)
    np.testing.assert_array_equal(got[0], expected[0])  # bit for bit
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-6)
    # Example 0 (12 frames) with partner 1 (7 frames): nothing pasted from frame 7 on.
    np.testing.assert_array_equal(got[0][0, 7:], x[0, 7:])
    assert got[2].numpy()[3] == 1.0  # an empty clip keeps λ = 1


def test_mixup_with_lengths_blends_the_shared_span_only():
    x, y = _random_batch(batch=3)
    params = {"partner": tf.constant([1, 2, 0]), "lam": tf.constant([0.25, 0.6, 0.3])}
    lengths = tf.constant([12, 4, 9])
    x_out, y_out, lam = mixing.apply_mixup(tf.constant(x), tf.constant(y), params, lengths=lengths)
    np.testing.assert_allclose(
        x_out[0, :4], 0.25 * x[0, :4] + 0.75 * x[1, :4], rtol=1e-6, atol=1e-6
    )
    np.testing.assert_array_equal(x_out[0, 4:], x[0, 4:])  # partner 1 has 4 frames
    np.testing.assert_allclose(x_out[1, :4], 0.6 * x[1, :4] + 0.4 * x[2, :4], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(x_out[1, 4:], x[1, 4:])  # its own padding
    # λ: the share of the example's own valid frames it keeps.
    np.testing.assert_allclose(lam, [1 - 0.75 * 4 / 12, 0.6, 1 - 0.7 * 9 / 9], rtol=1e-6)
    np.testing.assert_allclose(
        y_out, lam.numpy()[:, None] * y + (1 - lam.numpy()[:, None]) * y[[1, 2, 0]], rtol=1e-6
    )


@pytest.mark.parametrize(
    "sampler",
    [
        lambda s, b, **k: mixing.sample_specmix_params(s, b, T, F, gamma=(0.0, 1.0), **k),
        lambda s, b, **k: mixing.sample_cutmix_params(s, b, T, F, alpha=1.0, **k),
        lambda s, b, **k: mixing.sample_cutmix_params(s, b, T, F, axes="time", **k),
    ],
)
def test_samplers_with_lengths_draw_time_intervals_in_the_shared_span(sampler):
    lengths = tf.constant(np.random.default_rng(0).integers(0, T + 1, 512), tf.int32)
    params = sampler([4, 2], 512, lengths=lengths)
    span = np.minimum(lengths.numpy(), lengths.numpy()[params["partner"].numpy()])
    ends = (params["time_starts"] + params["time_widths"]).numpy()
    assert (params["time_starts"].numpy() >= 0).all()
    assert (ends <= span[:, None]).all()
    assert (ends == span[:, None]).any()  # intervals reach the end of the span
    # Full lengths draw exactly what the fixed-length rule draws.
    full = sampler([4, 2], 512, lengths=tf.fill([512], T))
    fixed = sampler([4, 2], 512)
    for key in fixed:
        np.testing.assert_array_equal(full[key], fixed[key])


def _marker_batch(batch):
    """x[b] == b + 1 everywhere, so the pasted region is where x_out != x."""
    x = tf.broadcast_to(tf.range(1, batch + 1, dtype=tf.float32)[:, None, None], [batch, T, F])
    return x, tf.eye(batch)


@pytest.mark.parametrize(
    "sampler,apply",
    [
        (
            lambda s, b: mixing.sample_specmix_params(s, b, T, F, gamma=(0.0, 1.0)),
            mixing.apply_specmix,
        ),
        (lambda s, b: mixing.sample_cutmix_params(s, b, T, F, alpha=1.0), mixing.apply_cutmix),
        (lambda s, b: mixing.sample_cutmix_params(s, b, T, F, axes="freq"), mixing.apply_cutmix),
    ],
)
def test_lambda_is_the_share_kept_and_labels_follow(sampler, apply):
    x, y = _marker_batch(64)
    for seed in range(5):
        params = sampler([seed, 9], 64)
        x_out, y_out, lam = apply(x, y, params)
        kept = tf.reduce_mean(tf.cast(x_out == x, tf.float32), axis=[1, 2])
        np.testing.assert_allclose(lam, kept, atol=1e-6)
        np.testing.assert_allclose(tf.reduce_sum(y_out, 1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(tf.linalg.diag_part(y_out), lam, atol=1e-6)


def _lam_only(params):
    """λ from sampled SpecMix params, without building the 2-D mask."""
    tm = masks.interval_mask(params["time_starts"], params["time_widths"], T)
    fm = masks.interval_mask(params["freq_starts"], params["freq_widths"], F)
    return 1.0 - masks.region_fraction(tm, fm, masks.UNION)


def _specmix_lambdas(gamma, draws=20_000, **kwargs):
    params = mixing.sample_specmix_params([1, 2], draws, T, F, gamma=gamma, **kwargs)
    return params, _lam_only(params).numpy()


@pytest.mark.parametrize(
    "gamma,mean,sd",
    [
        # Expected λ mean and sd of the clean algorithm on 128 x 400 with {0, 1, 2} bands of each
        # kind, from an independent NumPy simulation (values rounded to 2 decimals)
        (0.1, 0.82, 0.10),
        (0.2, 0.67, 0.17),
        (0.3, 0.55, 0.23),
        ((0.0, 1.0), 0.43, 0.35),
    ],
)
def test_specmix_lambda_statistics_on_128x400(gamma, mean, sd):
    _, lam = _specmix_lambdas(gamma)
    # 20k draws: s.e. of the mean <= 0.0025; the reference values are rounded
    # to 0.01, so allow 0.015 on the mean and 0.015 on the s.d.
    assert abs(lam.mean() - mean) < 0.015, lam.mean()
    assert abs(lam.std() - sd) < 0.015, lam.std()
    # P(lambda = 1) = P(no band on either axis) = 1/9 (widths > 0 here except
    # gamma ~ U[0, 1] near 0, which adds a little); s.e. 0.0022.
    p_unmixed = (lam == 1.0).mean()
    assert abs(p_unmixed - 1 / 9) < (0.02 if isinstance(gamma, tuple) else 0.01), p_unmixed


@pytest.mark.parametrize("gamma", [0.07, 0.1, 0.3, 0.33, 0.5, 0.7, 1.0])
def test_specmix_band_widths_are_floor_gamma_times_dim(gamma):
    params, _ = _specmix_lambdas(gamma, draws=2_000)
    for key, dim in (("time_widths", T), ("freq_widths", F)):
        widths = params[key].numpy()
        assert set(np.unique(widths)) <= {0, math.floor(gamma * dim)}, (key, np.unique(widths))
    starts = params["time_starts"].numpy()
    assert starts.min() >= 0 and (starts + params["time_widths"].numpy()).max() <= T


def test_specmix_band_counts_uniform_and_starts_uniform():
    params, _ = _specmix_lambdas(0.3)
    counts = (params["freq_widths"].numpy() > 0).sum(1)
    assert scipy.stats.chisquare(np.bincount(counts, minlength=3)).pvalue > 1e-3
    # Starts of active time bands uniform over [0, T - 120]: KS on the 281 values.
    active = params["time_widths"].numpy() > 0
    starts = params["time_starts"].numpy()[active]
    assert starts.max() <= T - 120
    assert scipy.stats.kstest(starts, scipy.stats.randint(0, T - 120 + 1).cdf).statistic < 0.02


def test_specmix_gamma_range_widths_within_range():
    params, _ = _specmix_lambdas((0.2, 0.4), draws=4_000)
    widths = params["time_widths"].numpy()
    active = widths[widths > 0]
    assert active.min() >= math.floor(0.2 * T) and active.max() <= math.floor(0.4 * T)
    # Per example, the freq band width uses the same ratio as the time band.
    both = (params["time_widths"].numpy()[:, 0] > 0) & (params["freq_widths"].numpy()[:, 0] > 0)
    ratio_t = params["time_widths"].numpy()[both, 0] / T
    ratio_f = params["freq_widths"].numpy()[both, 0] / F
    assert np.abs(ratio_t - ratio_f).max() < 1.0 / F + 1.0 / T


def test_prob_leaves_the_expected_share_unmixed():
    # prob = 0.5: half skipped, and 1/9 of the rest draw no band -> 0.5 + 0.5/9.
    params = mixing.sample_specmix_params([4, 4], 20_000, T, F, gamma=0.3, prob=0.5)
    unmixed = (_lam_only(params).numpy() == 1.0).mean()
    assert abs(unmixed - (0.5 + 0.5 / 9)) < 0.015
    mixup = mixing.sample_mixup_params([4, 5], 20_000, alpha=0.4, prob=0.25)
    assert abs((mixup["lam"].numpy() == 1.0).mean() - 0.75) < 0.015


def test_cutmix_box_sides_follow_lambda_before_clipping():
    params = mixing.sample_cutmix_params([8, 8], 5_000, T, F, alpha=1.0)
    widths_t = params["time_widths"].numpy()[:, 0]
    widths_f = params["freq_widths"].numpy()[:, 0]
    # Clipping only shrinks a box: sides never exceed the axis, and the
    # aspect ratio of unclipped boxes is T:F (sides ~ T*r and F*r).
    assert widths_t.max() <= T and widths_f.max() <= F
    unclipped = (
        (params["time_starts"].numpy()[:, 0] > 0)
        & (params["time_starts"].numpy()[:, 0] + widths_t < T)
        & (params["freq_starts"].numpy()[:, 0] > 0)
        & (params["freq_starts"].numpy()[:, 0] + widths_f < F)
    )
    ratio = widths_t[unclipped] / T - widths_f[unclipped] / F
    assert np.abs(ratio).max() < 1.0 / F + 1.0 / T
