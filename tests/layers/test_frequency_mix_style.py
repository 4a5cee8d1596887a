"""FrequencyMixStyle: exact values against the authors' formula, statistics, padding."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import keras_specmix as ks
from keras_specmix.ops import mix_style


def reference_mixstyle(x, partner, lam, eps, per_channel=True):
    """CP-JKU's ``mixstyle`` in NumPy, on channels-last (batch, time, freq, channels).

    Their reduction ``dim=[1, 3]`` of (batch, channels, freq, time) is time
    and channels; per_channel=True keeps the channels apart.
    """
    axes = (1,) if per_channel else (1, 3)
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=1)  # torch.var is unbiased
    sig = np.sqrt(var + eps)
    normed = (x - mu) / sig
    lam = lam.reshape(-1, 1, 1, 1)
    mu_mix = mu * lam + mu[partner] * (1 - lam)
    sig_mix = sig * lam + sig[partner] * (1 - lam)
    return normed * sig_mix + mu_mix


X = np.random.default_rng(0).normal(2.0, 3.0, size=(6, 30, 12, 3)).astype(np.float64)
PARAMS = {
    "partner": tf.constant([3, 0, 5, 1, 2, 4]),
    "lam": tf.constant([0.1, 0.5, 0.9, 0.0, 0.3, 0.7]),
}


@pytest.mark.parametrize("per_channel", [True, False])
def test_exact_values_match_the_authors_formula(per_channel):
    out = mix_style.apply_freq_mixstyle(tf.constant(X), PARAMS, 1e-6, per_channel)
    expected = reference_mixstyle(
        X, PARAMS["partner"].numpy(), PARAMS["lam"].numpy().astype(np.float64), 1e-6, per_channel
    )
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-5)


def test_output_statistics_are_the_mixed_statistics():
    """Per bin, the output's mean over time is λ·μ_b + (1 − λ)·μ_p exactly."""
    lam = np.float64(0.25)
    params = {"partner": tf.constant([1, 0]), "lam": tf.constant([0.25, 1.0])}
    out = mix_style.apply_freq_mixstyle(tf.constant(X[:2]), params, 1e-6).numpy()
    mean = X[:2].mean(axis=1)
    np.testing.assert_allclose(out[0].mean(axis=0), lam * mean[0] + (1 - lam) * mean[1], atol=1e-9)
    np.testing.assert_array_equal(out[1], X[1])  # λ = 1: bit for bit


def test_lambda_follows_beta_and_prob_the_share_mixed():
    """KS test of λ against Beta(0.3, 0.3) (p > 1e-3) on 4000 draws; with
    prob=0.4 the share mixed is 0.4 ± 0.031 (4 standard errors)."""
    params = mix_style.sample_freq_mixstyle_params(tf.constant([1, 2]), 4000, alpha=0.3, prob=1.0)
    lam = params["lam"].numpy().astype(np.float64)
    assert stats.kstest(lam, stats.beta(0.3, 0.3).cdf).pvalue > 1e-3
    partner = params["partner"].numpy()
    assert (partner != np.arange(4000)).all() and sorted(partner) == list(range(4000))
    skipped = mix_style.sample_freq_mixstyle_params(tf.constant([3, 4]), 4000, alpha=0.3, prob=0.4)
    share = np.mean(skipped["lam"].numpy() < 1.0)
    assert abs(share - 0.4 * (1 - 0.004)) < 0.031, share


def test_labels_and_other_keys_pass_through_and_tensor_in_tensor_out():
    x = tf.constant(X, tf.float32)
    y = tf.one_hot([0, 1, 2, 0, 1, 2], 3)
    out = ks.FrequencyMixStyle(prob=1.0, seed=0)({"spectrograms": x, "labels": y, "ids": y})
    np.testing.assert_array_equal(out["labels"], y)
    np.testing.assert_array_equal(out["ids"], y)
    assert not np.array_equal(out["spectrograms"], x)
    bare = ks.FrequencyMixStyle(prob=1.0, seed=0)(x)
    np.testing.assert_array_equal(bare, out["spectrograms"])


@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_padding_is_kept_and_statistics_use_valid_frames_only(mode):
    x = np.array(X, np.float32)
    lengths = np.array([30, 10, 0, 25, 1, 17])
    padded = x.copy()
    for b, n in enumerate(lengths):
        padded[b, n:] = 1e4  # huge padding must not leak into the statistics
    layer = ks.FrequencyMixStyle(prob=1.0, seed=0)
    data = {"spectrograms": tf.constant(padded), "lengths": tf.constant(lengths)}

    def fn(d):  # the params too: XLA draws other numbers than eager
        seed = tf.constant([5, 5])
        return layer.augment(d, seed), layer.sample_params(layer._unpack(d), seed)

    if mode == "xla":
        fn = tf.function(fn, jit_compile=True)
    out, params = fn(data)
    out = out["spectrograms"].numpy()
    partner, lam = params["partner"].numpy(), params["lam"].numpy().astype(np.float64)
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(out[b, n:], padded[b, n:])
        p = partner[b]
        if n == 0 or lengths[p] == 0:
            np.testing.assert_array_equal(out[b], padded[b])  # nothing to mix
            continue
        own, other = x[b, :n].astype(np.float64), x[p, : lengths[p]].astype(np.float64)
        mu, mu_p = own.mean(0), other.mean(0)
        var = own.var(0, ddof=1) if n > 1 else np.zeros_like(mu)
        var_p = other.var(0, ddof=1) if lengths[p] > 1 else np.zeros_like(mu)
        sig, sig_p = np.sqrt(var + 1e-6), np.sqrt(var_p + 1e-6)
        mix_sig = lam[b] * sig + (1 - lam[b]) * sig_p
        expected = (own - mu) / sig * mix_sig + lam[b] * mu + (1 - lam[b]) * mu_p
        np.testing.assert_allclose(out[b, :n], expected, rtol=2e-4, atol=2e-3)


def test_statistics_get_no_gradient():
    """The authors detach the statistics: d out / d x = σ_mix / σ, elementwise."""
    x = tf.constant(X[:2], tf.float32)
    params = {"partner": tf.constant([1, 0]), "lam": tf.constant([0.3, 0.6])}
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = mix_style.apply_freq_mixstyle(x, params, 1e-6)
    grad = tape.gradient(out, x).numpy()
    sig = np.sqrt(X[:2].var(1, ddof=1) + 1e-6)
    lam = np.array([0.3, 0.6])[:, None, None]
    expected = (lam * sig + (1 - lam) * sig[::-1]) / sig
    np.testing.assert_allclose(grad, np.broadcast_to(expected[:, None], grad.shape), rtol=1e-4)
