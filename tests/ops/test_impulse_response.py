"""DIR: the waveform path against SciPy, the spectrogram path against the waveform path,
the draws, eligibility, and the banks."""

import numpy as np
import pytest
import soundfile
import tensorflow as tf
from scipy import signal
from scipy import stats

from keras_specmix.datasets import _synth_dsp as dsp
from keras_specmix.datasets import impulse_responses as banks
from keras_specmix.features import FrontEndConfig
from keras_specmix.features import log_mel_spectrogram
from keras_specmix.ops import impulse_response as ops

FAST = FrontEndConfig(sample_rate=16000, n_fft=1024, hop_length=512, n_mels=64)


def _all_applied(indices):
    n = len(indices)
    return {"response": tf.constant(indices, tf.int32), "applied": tf.ones([n], tf.bool)}


def _scipy_reference(x, bank, indices):
    """The DIR code: ``scipy.signal.convolve(x, h, "full")[:len(x)]``, in float64."""
    return np.stack(
        [
            signal.fftconvolve(x[i].astype(np.float64), bank[j].astype(np.float64))[: x.shape[1]]
            for i, j in enumerate(indices)
        ]
    )


def test_waveform_path_equals_scipy_fftconvolve_cropped():
    """float32, 1-s clips at 16 kHz, the 12 synthetic responses (480 samples) and a
    4096-sample decaying response: max |error| 1.7e-6 measured against SciPy's
    float64 result, for outputs up to 7.0 in magnitude (bound: 1e-5); float64
    input: 5.3e-15 (bound 1e-11)."""
    rng = np.random.default_rng(0)
    long_response = rng.standard_normal(4096) * np.exp(-np.arange(4096) / 500.0)
    bank = banks.stack_impulse_responses(
        list(banks.synthetic_impulse_responses(16000)) + [long_response / 10]
    )
    indices = list(range(13)) + [12, 0, 5]
    x = rng.normal(size=(len(indices), 16000)).astype("float32")
    expected = _scipy_reference(x, bank, indices)
    out = ops.convolve_responses(
        tf.constant(x)[:, :, None], tf.constant(bank), _all_applied(indices)
    )
    error = np.abs(out.numpy()[..., 0] - expected).max()
    assert error < 1e-5, error
    # float64 input is convolved in float64.
    out64 = ops.convolve_responses(
        tf.constant(x, tf.float64)[:, :, None], tf.constant(bank), _all_applied(indices)
    )
    assert out64.dtype == tf.float64
    assert np.abs(out64.numpy()[..., 0] - expected).max() < 1e-11


def test_waveform_path_is_the_same_under_xla_with_an_unknown_length_and_on_channels():
    """Under XLA with an unknown number of samples, on (batch, samples, 2) channels."""
    bank = banks.synthetic_impulse_responses(8000)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 3000, 2)).astype("float32")
    params = _all_applied([4, 0, 11])
    fn = tf.function(
        lambda a: ops.convolve_responses.uncompiled(a, tf.constant(bank), params),
        input_signature=[tf.TensorSpec([3, None, 2])],
        jit_compile=True,
    )
    out = fn(tf.constant(x)).numpy()
    for c in range(2):
        expected = _scipy_reference(x[..., c], bank, [4, 0, 11])
        assert np.abs(out[..., c] - expected).max() < 1e-5


def test_ineligible_unapplied_and_padded_samples_come_back_bit_for_bit():
    bank = banks.synthetic_impulse_responses(8000)
    x = np.random.default_rng(2).normal(size=(4, 800, 1)).astype("float32")
    params = {
        "response": tf.constant([1, 2, 3, 4]),
        "applied": tf.constant([True, True, False, True]),
    }
    eligible = tf.constant([True, False, True, True])
    lengths = tf.constant([800, 800, 800, 500])
    out = ops.convolve_responses(tf.constant(x), tf.constant(bank), params, eligible, lengths)
    out = out.numpy()
    np.testing.assert_array_equal(out[1], x[1])  # not eligible
    np.testing.assert_array_equal(out[2], x[2])  # not drawn
    np.testing.assert_array_equal(out[3, 500:], x[3, 500:])  # padding
    expected = _scipy_reference(x[[0, 3], :, 0], bank, [1, 4])
    assert np.abs(out[0, :, 0] - expected[0]).max() < 1e-5
    # The valid part never sees the padding (causal): it is the clip's own convolution.
    clip = _scipy_reference(x[3:4, :500, 0], bank, [4])[0]
    assert np.abs(out[3, :500, 0] - clip).max() < 1e-5
    # Integer eligibility: non-zero is eligible.
    as_int = ops.convolve_responses(
        tf.constant(x), tf.constant(bank), params, tf.constant([1, 0, 1, 1])
    )
    np.testing.assert_array_equal(as_int.numpy()[1], x[1])


def _noise_through_front_end(beta, seconds, config, bank):
    rng = np.random.default_rng(3)
    sr = config.sample_rate
    x = np.stack([dsp.shaped_noise(rng, seconds * sr, sr, beta) for _ in bank]) * 0.1
    x = tf.constant(x.astype("float32"))
    convolved = ops.convolve_responses(
        x[:, :, None], tf.constant(bank), _all_applied(range(len(bank)))
    )
    # Leave out the edge frames (the convolution's onset, the STFT's zero padding).
    edge = int(np.ceil((bank.shape[1] + config.n_fft / 2) / config.hop_length)) + 1
    log_x = log_mel_spectrogram(x, config).numpy().astype(np.float64)[:, edge:-edge]
    log_y = log_mel_spectrogram(convolved[..., 0], config).numpy().astype(np.float64)[:, edge:-edge]
    return log_x, log_y


@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_spectrogram_path_matches_the_waveform_path_on_long_stationary_noise(beta):
    """log-mel of the convolved noise against log-mel + the response's gain, per
    bin, on 20 s of white (beta=0) or pink (beta=1) noise at 16 kHz (FFT 1024,
    hop 512, 64 HTK mels), the 12 synthetic responses, 4 edge frames left out at
    each end (620 frames). Per cell ``d = log_mel(h * x) − log_mel(x) − G·ln(10)/10``.

    Measured (dB), as "bin's mean-power ratio error / mean of d":

    * white, bins 5-63: 0.04 / 0.10; bins 0-4 (0-230 Hz, 1-3 FFT bins each, where
      the responses' high-pass is steep): 0.33 / 0.46, sampling noise of 620
      frames (0.05 with 240 s);
    * pink, bins 5-63: 0.07 / 0.13; bins 0-4: up to 1.8 / 1.9, because the gain is
      weighted for white input and the 1/f slope and the high-pass both change
      steeply inside those bands;
    * per cell, either noise: median (over bins) RMS of d 0.15, 99th percentile
      of |d| 2.4 (white) and 2.7 (pink): a frame's mel power fluctuates around
      the expected gain.
    """
    bank = banks.synthetic_impulse_responses(16000)
    gains = ops.response_mel_gains_db(bank, FAST)
    log_x, log_y = _noise_through_front_end(beta, 20, FAST, bank)
    db = 10.0 / np.log(10.0)
    ratio_error = db * np.log(np.exp(log_y).mean(1) / np.exp(log_x).mean(1)) - gains
    d = log_y - (log_x + gains[:, None, :] / db)
    mean_error = db * d.mean(1)
    cell_rms = db * np.sqrt((d**2).mean(1))
    assert np.abs(ratio_error[:, 5:]).max() < 0.2, np.abs(ratio_error[:, 5:]).max()
    assert np.abs(mean_error[:, 5:]).max() < 0.3, np.abs(mean_error[:, 5:]).max()
    low_bound = 0.8 if beta == 0.0 else 3.0
    assert np.abs(ratio_error).max() < low_bound, np.abs(ratio_error).max()
    assert np.abs(mean_error).max() < low_bound, np.abs(mean_error).max()
    assert np.median(cell_rms) < 0.3, np.median(cell_rms)
    # The gains are far from 0: the test would fail with no gain at all.
    assert np.abs(gains).max() > 10.0


def test_mel_gains_are_zero_for_an_impulse_and_a_delay_and_scale_with_the_gain():
    config = FrontEndConfig(sample_rate=16000, n_fft=512, n_mels=40)
    delayed = np.zeros(300)
    delayed[123] = 1.0
    gains = ops.response_mel_gains_db(
        banks.stack_impulse_responses([[1.0], delayed, [2.0]]), config
    )
    np.testing.assert_allclose(gains[0], 0.0, atol=1e-6)
    np.testing.assert_allclose(gains[1], 0.0, atol=1e-6)  # a delay keeps |H|
    np.testing.assert_allclose(gains[2], 20 * np.log10(2.0), atol=1e-5)


def test_response_draws_are_uniform_over_the_bank_and_prob_holds():
    """6000 draws: the response index is uniform over R = 12 (chi-square p > 1e-3,
    a correct sampler fails one time in a thousand); the share applied is 0.4
    within 4 standard errors (sqrt(0.24 / 6000) = 0.0063)."""
    params = ops.sample_impulse_response_params(tf.constant([3, 4]), 6000, 12, prob=0.4)
    counts = np.bincount(params["response"].numpy(), minlength=12)
    assert counts.shape == (12,)
    assert stats.chisquare(counts).pvalue > 1e-3, counts
    share = params["applied"].numpy().mean()
    assert abs(share - 0.4) < 4 * np.sqrt(0.24 / 6000), share
    edge = ops.sample_impulse_response_params(tf.constant([3, 4]), 100, 1, prob=0.0)
    assert not edge["applied"].numpy().any() and not edge["response"].numpy().any()


def test_fft_length_is_5_smooth_for_ints_and_a_power_of_two_for_tensors():
    for n in (1, 2, 3, 7, 1000, 1024, 1025, 16479, 33322, 442323):
        size = ops.fft_length(n)
        assert size >= n and _smooth_part(size) == 1, (n, size)
        # the smallest: no 2^a 3^b 5^c in [n, size)
        assert not any(_smooth_part(m) == 1 for m in range(n, size)), (n, size)
        assert int(ops.fft_length(tf.constant(n))) == 1 << (n - 1).bit_length()


def _smooth_part(m):
    for p in (2, 3, 5):
        while m % p == 0:
            m //= p
    return m


def test_spectrogram_path_refuses_another_number_of_bins():
    gains = np.zeros((3, 64), np.float32)
    with pytest.raises(ValueError, match="64 frequency bins but the input has 40"):
        ops.apply_response_gains(tf.zeros([2, 10, 40]), gains, _all_applied([0, 1]))


# ------------------------------------------------------------------ banks
def test_synthetic_bank_is_deterministic_unit_energy_and_onset_first():
    bank = banks.synthetic_impulse_responses(16000, num_responses=5, seed=3)
    again = banks.synthetic_impulse_responses(16000, num_responses=8, seed=3)
    np.testing.assert_array_equal(bank, again[:5])  # response i depends on (seed, i) only
    assert not np.array_equal(bank, banks.synthetic_impulse_responses(16000, 5, seed=4))
    np.testing.assert_allclose((bank.astype(np.float64) ** 2).sum(1), 1.0, rtol=1e-5)
    # Minimum phase: most of the energy in the first 2 ms.
    early = (bank[:, :32].astype(np.float64) ** 2).sum(1)
    assert np.all(early > 0.5), early
    # Device-like: the responses differ from each other by several dB somewhere.
    gains = ops.response_mel_gains_db(bank, FAST)
    assert np.ptp(gains, axis=0).max() > 6.0


def test_banks_from_arrays_pad_and_refuse_bad_responses():
    np.testing.assert_array_equal(
        banks.stack_impulse_responses([[1.0, 2.0, 3.0], [4.0]]), [[1, 2, 3], [4, 0, 0]]
    )
    for bad, pattern in (
        ([], "non-empty"),
        ([[1.0], []], "response 1"),
        ([[1.0, np.nan]], "NaN"),
        ([[0.0, 0.0]], "all zeros"),
    ):
        with pytest.raises(ValueError, match=pattern):
            banks.stack_impulse_responses(bad)


def test_banks_from_files_are_mono_resampled_and_sorted(tmp_path):
    (tmp_path / "sub").mkdir()
    soundfile.write(tmp_path / "b.wav", np.array([1.0, 0.5, 0.25, 0.0] * 20), 8000)
    stereo = np.stack([np.linspace(1, 0, 100), np.linspace(0, 1, 100) * 0.5], axis=1)
    soundfile.write(tmp_path / "sub" / "a.flac", stereo, 16000, subtype="PCM_24")
    (tmp_path / ".hidden.wav").write_bytes(b"not audio")
    bank = banks.load_impulse_responses(tmp_path, 16000)
    # Sorted paths: b.wav before sub/a.flac; b.wav resampled 8 -> 16 kHz (160 samples).
    assert bank.shape == (2, 160)
    np.testing.assert_allclose(bank[1, :100], stereo.mean(axis=1), atol=1e-6)
    assert np.all(bank[1, 100:] == 0)
    (tmp_path / "notes.txt").write_text("these are microphone responses")
    with pytest.raises(ValueError, match="notes.txt"):
        banks.load_impulse_responses(tmp_path, 16000)
    assert banks.load_impulse_responses(tmp_path, 16000, on_error="skip").shape == (2, 160)
