"""TimeRoll, RandomGain and AddNoise ops: exact values, padding, and their draws."""

import math

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from scipy import stats

from keras_specmix.ops import gain_noise
from keras_specmix.ops import roll


# ------------------------------------------------------------------ roll
@pytest.mark.parametrize("shape", [(3, 11), (3, 11, 2), (3, 11, 4, 2)])
def test_roll_equals_numpy_roll_per_example(shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    shifts = [3, -5, 24]
    out = roll.apply_roll(tf.constant(x), {"shift": tf.constant(shifts)}).numpy()
    for b, s in enumerate(shifts):
        np.testing.assert_array_equal(out[b], np.roll(x[b], s, axis=0))


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 12), min_size=1, max_size=5),
    shift=st.integers(-30, 30),
)
def test_roll_stays_inside_each_clip_and_leaves_padding(lengths, shift):
    """With lengths, each clip's valid part is np.roll-ed and padding is untouched."""
    x = np.random.default_rng(len(lengths)).normal(size=(len(lengths), 12, 3)).astype("float32")
    params = {"shift": tf.fill([len(lengths)], shift)}
    out = roll.apply_roll(tf.constant(x), params, tf.constant(lengths)).numpy()
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(out[b, :n], np.roll(x[b, :n], shift, axis=0))
        np.testing.assert_array_equal(out[b, n:], x[b, n:])
    back = roll.apply_roll(tf.constant(out), {"shift": -params["shift"]}, tf.constant(lengths))
    np.testing.assert_array_equal(back.numpy(), x)


def test_roll_shifts_are_uniform_on_both_ends_included():
    """7000 draws of max_shift=3: uniform on {-3, ..., 3} (chi-square p > 1e-3)."""
    params = roll.sample_roll_params(tf.constant([1, 2]), 7000, tf.fill([7000], 50), max_shift=3)
    counts = np.bincount(params["shift"].numpy() + 3)
    assert counts.shape == (7,)
    assert stats.chisquare(counts).pvalue > 1e-3, counts


def test_roll_ratio_bounds_each_clip_by_its_own_length():
    lengths = tf.constant([100, 10, 0, 37] * 500)
    params = roll.sample_roll_params(tf.constant([5, 6]), 2000, lengths, max_shift_ratio=0.2)
    shifts = params["shift"].numpy().reshape(500, 4)
    for column, bound in enumerate([20, 2, 0, 7]):
        assert set(np.unique(shifts[:, column])) == set(range(-bound, bound + 1))


def test_roll_needs_exactly_one_range():
    for kwargs in ({}, {"max_shift": 2, "max_shift_ratio": 0.1}):
        with pytest.raises(ValueError, match="exactly one"):
            roll.sample_roll_params(tf.constant([0, 0]), 2, tf.constant([5, 5]), **kwargs)


# ------------------------------------------------------------------ gain
@pytest.mark.parametrize(
    "domain, fn",
    [
        ("log", lambda x, g: x + g * math.log(10) / 10),
        ("db", lambda x, g: x + g),
        ("power", lambda x, g: x * 10 ** (g / 10)),
        ("amplitude", lambda x, g: x * 10 ** (g / 20)),
        ("waveform", lambda x, g: x * 10 ** (g / 20)),
    ],
)
def test_gain_in_each_domain(domain, fn):
    x = np.random.default_rng(1).uniform(0.1, 2.0, size=(3, 7, 5, 2))
    gains = np.array([-12.0, 0.0, 7.5])
    out = gain_noise.apply_gain(tf.constant(x), {"gain_db": tf.constant(gains)}, domain).numpy()
    np.testing.assert_allclose(out, fn(x, gains[:, None, None, None]), rtol=1e-12)


def test_gain_leaves_padding_and_other_channels_bit_for_bit():
    x = np.random.default_rng(2).normal(size=(2, 6, 4, 3)).astype("float32")
    params = {"gain_db": tf.constant([6.0, -6.0])}
    out = gain_noise.apply_gain(tf.constant(x), params, "db", (0, 2), tf.constant([6, 2])).numpy()
    np.testing.assert_array_equal(out[..., 1], x[..., 1])
    np.testing.assert_array_equal(out[1, 2:], x[1, 2:])
    np.testing.assert_allclose(out[1, :2, :, 0], x[1, :2, :, 0] - 6.0, rtol=1e-6)
    with pytest.raises(ValueError, match="channel 3"):
        gain_noise.apply_gain(tf.constant(x), params, "db", (3,))


def test_gain_draws_are_uniform_in_the_range():
    """KS against U(-12, 12) on 4000 draws: fails one time in a thousand."""
    draws = gain_noise.sample_gain_params(tf.constant([2, 3]), 4000, (-12, 12))["gain_db"]
    assert stats.kstest(draws.numpy(), stats.uniform(-12, 24).cdf).pvalue > 1e-3


# ------------------------------------------------------------------ noise
def _params(seed, shape, snr, domain):
    params = gain_noise.sample_noise_params(tf.constant(seed), shape, (snr, snr), domain)
    return params


def test_waveform_noise_has_the_drawn_snr():
    """8 examples of 32000 samples at SNRs in [0, 30): the measured SNR is the
    drawn one within 0.3 dB (the noise power's relative sampling error is
    sqrt(2/32000) = 0.8 %, 0.03 dB)."""
    x = np.random.default_rng(3).normal(size=(8, 32000, 1)).astype("float32")
    x *= np.linspace(0.01, 3.0, 8)[:, None, None]  # each its own level
    params = gain_noise.sample_noise_params(tf.constant([1, 1]), x.shape, (0.0, 30.0), "waveform")
    out = gain_noise.add_noise(tf.constant(x), params, "waveform").numpy()
    noise = (out - x).astype(np.float64)
    measured = 10 * np.log10((x.astype(np.float64) ** 2).mean((1, 2)) / (noise**2).mean((1, 2)))
    np.testing.assert_allclose(measured, params["snr_db"].numpy(), atol=0.3)


def test_power_noise_has_the_drawn_snr_and_is_flat_over_bins():
    """Exponential noise of mean P_n on every bin: over 4 × 400 frames the noise
    power per bin is P_n within 15 % (one bin's mean of 1600 Exp(1): 2.5 % std)."""
    x = np.random.default_rng(4).lognormal(size=(4, 400, 32)).astype("float32")
    params = _params([2, 2], x.shape, 10.0, "power")
    out = gain_noise.add_noise(tf.constant(x), params, "power").numpy().astype(np.float64)
    p_n = x.astype(np.float64).mean((1, 2)) / 10.0
    added = (out - x) / p_n[:, None, None]
    assert np.all(added >= 0)
    np.testing.assert_allclose(added.mean(axis=(0, 1)), 1.0, rtol=0.15)


@pytest.mark.parametrize("domain", ["log", "db", "amplitude"])
def test_log_db_and_amplitude_noise_is_the_power_noise_converted(domain):
    """The same params: log/dB/amplitude noise equals the power-domain noise of
    the power the features hold, converted back (float32 rounding apart).
    With ``x = log(p + eps)``, that is ``log(p + P_n·e + eps)``: the front
    end's floor is kept."""
    eps = 1e-5
    p = np.random.default_rng(5).lognormal(sigma=3.0, size=(3, 50, 16, 2))
    p[0, :, :4] = 0.0  # a silent band sits on the floor
    power = p + eps
    features = {
        "log": np.log(power),
        "db": 10 * np.log10(power),
        "amplitude": np.sqrt(power),
    }[domain]
    params = _params([3, 4], p.shape, 6.0, domain)
    out = gain_noise.add_noise(tf.constant(features, tf.float64), params, domain).numpy()
    noisy = gain_noise.add_noise(tf.constant(power, tf.float64), params, "power").numpy()
    expected = {"log": np.log(noisy), "db": 10 * np.log10(noisy), "amplitude": np.sqrt(noisy)}
    np.testing.assert_allclose(out, expected[domain], rtol=1e-9, atol=1e-9)
    if domain == "log":
        assert np.all(out >= np.log(eps))  # noise only adds power: never below the floor


def test_noise_power_uses_valid_frames_and_chosen_channels_only():
    """Padding and unchosen channels are untouched, and changing them (even to
    huge values) changes nothing else: P_s is the valid, chosen cells' mean."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 40, 8, 3)).astype("float32")
    lengths = tf.constant([40, 25])
    params = _params([5, 5], x.shape, 3.0, "waveform")
    out = gain_noise.add_noise(tf.constant(x), params, "waveform", (0, 1), lengths).numpy()
    np.testing.assert_array_equal(out[..., 2], x[..., 2])
    np.testing.assert_array_equal(out[1, 25:], x[1, 25:])
    wild = x.copy()
    wild[1, 25:] = 1e6
    wild[..., 2] = -1e6
    again = gain_noise.add_noise(tf.constant(wild), params, "waveform", (0, 1), lengths).numpy()
    np.testing.assert_array_equal(again[1, :25, :, :2], out[1, :25, :, :2])
    np.testing.assert_array_equal(again[0, :, :, :2], out[0, :, :, :2])


@pytest.mark.parametrize("domain", ["waveform", "power", "amplitude", "log", "db"])
def test_silent_or_empty_examples_come_back_unchanged(domain):
    x = np.zeros((2, 10, 4), "float32")
    if domain in ("log", "db"):
        x[:] = -np.inf  # log of zero power
    x[1] = 1.0
    params = _params([6, 6], x.shape, 0.0, domain)
    lengths = tf.constant([10, 0])
    out = gain_noise.add_noise(tf.constant(x), params, domain, None, lengths).numpy()
    np.testing.assert_array_equal(out, x)


def test_snr_draws_are_uniform_and_noise_kind_follows_the_domain():
    """KS against U(6, 30) on 4000 draws; normal noise for waveforms (KS against
    N(0, 1)), exponential otherwise (KS against Exp(1))."""
    params = gain_noise.sample_noise_params(tf.constant([7, 8]), (4000, 5), (6, 30), "waveform")
    assert stats.kstest(params["snr_db"].numpy(), stats.uniform(6, 24).cdf).pvalue > 1e-3
    assert stats.kstest(params["noise"].numpy().ravel(), "norm").pvalue > 1e-3
    power = gain_noise.sample_noise_params(tf.constant([7, 8]), (4000, 5), (6, 30), "power")
    assert stats.kstest(power["noise"].numpy().ravel(), "expon").pvalue > 1e-3


def test_params_drawn_once_per_batch_broadcast_over_the_examples():
    """Every draw is shaped (batch,); a (1,) draw (one per batch, as the DCASE
    code draws some) applies to every example alike."""
    from keras_specmix.ops import impulse_response

    x = tf.constant(np.random.default_rng(9).normal(size=(3, 40, 2)).astype("float32"))
    rolled = roll.apply_roll(x, {"shift": tf.constant([4])}).numpy()
    np.testing.assert_array_equal(rolled, np.roll(x.numpy(), 4, axis=1))
    gained = gain_noise.apply_gain(x, {"gain_db": tf.constant([20.0])}, "waveform").numpy()
    np.testing.assert_allclose(gained, 10 * x.numpy(), rtol=1e-6)
    noise = gain_noise.sample_noise_params(tf.constant([1, 1]), x.shape, (0, 0), "waveform")
    one_snr = gain_noise.add_noise(x, dict(noise, snr_db=tf.constant([0.0])), "waveform")
    np.testing.assert_array_equal(one_snr, gain_noise.add_noise(x, noise, "waveform"))
    bank = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    once = {"response": tf.constant([1]), "applied": tf.constant([True])}
    delayed = impulse_response.convolve_responses(x, bank, once, tf.constant([True, False, True]))
    expected = np.concatenate([np.zeros((3, 1, 2)), x.numpy()[:, :-1]], axis=1)
    np.testing.assert_allclose(delayed.numpy()[[0, 2]], expected[[0, 2]], atol=1e-6)
    np.testing.assert_array_equal(delayed.numpy()[1], x.numpy()[1])
