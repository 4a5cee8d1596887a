"""FilterAugment: exact values against the authors' filt_aug, band and gain statistics."""

import math

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import keras_specmix as ks
from keras_specmix.ops import filter_augment as ops


def reference_filter_db(edges, gains, freq, mode):
    """The filter (dB) of the authors' ``filt_aug`` for one example, given its
    band edges ``[0, e_1, ..., e_{n-1}, F]`` and gains (their loops, in NumPy)."""
    n = len(edges) - 1
    filt = np.zeros(freq)
    for i in range(n):
        if mode == "step":
            filt[edges[i] : edges[i + 1]] = gains[i]
        else:  # torch.linspace(g_i, g_{i+1}, width)
            filt[edges[i] : edges[i + 1]] = np.linspace(
                gains[i], gains[i + 1], edges[i + 1] - edges[i]
            )
    return filt


def _edges(params, b, freq):
    inner = [int(e) for e in params["boundaries"].numpy()[b] if e < freq]
    return [0] + inner + [freq]


@pytest.mark.parametrize("mode", ["linear", "step"])
def test_exact_filter_matches_the_authors_loops(mode):
    freq = 64
    params = ops.sample_filter_augment_params(tf.constant([3, 1]), 16, freq, (-6, 6), (2, 7), 4)
    filt = ops.filter_gains_db(params, freq, mode).numpy()
    gains = params["gains"].numpy()
    for b in range(16):
        expected = reference_filter_db(_edges(params, b, freq), gains[b], freq, mode)
        np.testing.assert_allclose(filt[b], expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "domain, fn",
    [
        ("amplitude", lambda x, g: x * 10 ** (g / 20)),  # the authors' multiplication
        ("power", lambda x, g: x * 10 ** (g / 10)),
        ("db", lambda x, g: x + g),
        ("log", lambda x, g: x + g * math.log(10) / 10),
    ],
)
def test_each_domain_applies_the_same_filter(domain, fn):
    x = np.random.default_rng(1).uniform(0.1, 2.0, size=(4, 10, 32, 2))
    params = ops.sample_filter_augment_params(tf.constant([0, 9]), 4, 32)
    out = ops.apply_filter_augment(tf.constant(x), params, "linear", domain).numpy()
    filt = ops.filter_gains_db(params, 32, "linear").numpy().astype(np.float64)
    # atol: XLA may fuse the interpolation (one float32 rounding apart)
    np.testing.assert_allclose(out, fn(x, filt[:, None, :, None]), rtol=1e-5, atol=1e-6)
    # The log domain is the log of the power domain's filter.
    if domain == "log":
        power = ops.apply_filter_augment(tf.constant(x), params, "linear", "power").numpy()
        np.testing.assert_allclose(out, np.log(power / x) + x, rtol=1e-5, atol=1e-6)


def test_band_counts_widths_and_gains_follow_the_spec():
    """Counts uniform on {3, 4, 5} for num_bands=(3, 6) (chi-square p > 1e-3,
    3000 examples); every band at least min_bandwidth=6 bins of 64; gains in
    [-6, 6) with mean 0 ± 0.1 (4 standard errors of 18000 draws)."""
    freq, batch = 64, 3000
    params = ops.sample_filter_augment_params(tf.constant([7, 7]), batch, freq, (-6, 6), (3, 6), 6)
    boundaries = params["boundaries"].numpy()
    counts = (boundaries < freq).sum(1) + 1
    observed = np.bincount(counts, minlength=6)[3:6]
    assert observed.sum() == batch
    assert stats.chisquare(observed).pvalue > 1e-3, observed
    widths = np.concatenate([np.diff(_edges(params, b, freq)) for b in range(batch)])
    assert widths.min() >= 6
    gains = params["gains"].numpy()
    assert gains.min() >= -6 and gains.max() < 6
    assert abs(gains.mean()) < 0.1
    # The boundary positions are spread: each bin from 6 to 58 starts a band sometimes.
    starts = np.unique(boundaries[boundaries < freq])
    assert starts.min() <= 8 and starts.max() >= 56


def test_narrow_spectrograms_lower_the_bandwidth_and_stay_valid():
    params = ops.sample_filter_augment_params(tf.constant([1, 1]), 200, 10, num_bands=(3, 6))
    for b in range(200):
        widths = np.diff(_edges(params, b, 10))
        count = len(widths)
        assert widths.sum() == 10 and widths.min() >= min(6, 10 // count)


def test_layer_output_stays_within_the_gain_range_and_keeps_padding_and_channels():
    x = tf.zeros([8, 20, 40, 3])
    lengths = tf.constant([20, 5, 0, 20, 11, 1, 20, 20])
    layer = ks.FilterAugment(db_range=(-3, 9), domain="db", channels=[0], seed=3)
    out = layer({"spectrograms": x, "lengths": lengths})["spectrograms"].numpy()
    assert out[..., 0].min() >= -3 and out[..., 0].max() <= 9
    assert (out[..., 1:] == 0).all()  # Δ channels untouched
    for b, n in enumerate(lengths.numpy()):
        assert (out[b, n:] == 0).all()
        if n:  # one filter for every frame
            np.testing.assert_array_equal(out[b, :n], np.broadcast_to(out[b, :1], out[b, :n].shape))


def test_channels_beyond_the_input_raise_naming_the_argument():
    with pytest.raises(ValueError, match="channels"):
        ks.FilterAugment(channels=[5])(tf.zeros([2, 10, 16, 3]))
    with pytest.raises(ValueError, match="channels"):
        ks.FilterAugment(channels=[1])(tf.zeros([2, 10, 16]))


def test_a_fixed_count_and_one_band():
    params = ops.sample_filter_augment_params(tf.constant([2, 2]), 50, 32, num_bands=1)
    assert params["boundaries"].shape == (50, 0)
    step = ops.filter_gains_db(params, 32, "step").numpy()
    np.testing.assert_array_equal(step, np.broadcast_to(step[:, :1], step.shape))
    assert ks.FilterAugment(num_bands=4).get_config()["num_bands"] == [4, 5]
