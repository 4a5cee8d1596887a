"""Front end vs librosa (the paper's reference implementation) and contracts."""

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf

from keras_specmix import features as F

# float32 STFT + log: measured max error 6e-6 on log-mel (nats); tolerance 1e-4.
ATOL = 1e-4


def _signal(seconds=3.0, sr=44100, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.1 * rng.standard_normal(t.size) + 0.3 * np.sin(2 * np.pi * 440 * t)
    y[: sr // 4] = 0.0  # a silent stretch exercises the log offset
    return y.astype(np.float32)


def _librosa_log_mel(y, sr=44100, n_fft=2048, hop=1024, n_mels=128):
    mel = librosa.feature.melspectrogram(
        y=y,
        sr=sr,
        n_fft=n_fft,
        hop_length=hop,
        n_mels=n_mels,
        fmin=0.0,
        fmax=sr / 2,
        htk=True,
        norm=None,
    )
    return np.log(mel + 1e-8).T


def test_log_mel_matches_librosa_paper_settings():
    y = _signal()
    ours = F.log_mel_spectrogram(y).numpy()
    ref = _librosa_log_mel(y)
    assert ours.shape == ref.shape == (130, 128)
    np.testing.assert_allclose(ours, ref, atol=ATOL, rtol=0)


def test_log_mel_matches_librosa_other_settings():
    y = _signal(1.0, 16000)
    ours = F.log_mel_spectrogram(y, sample_rate=16000, n_fft=512, hop_length=128, n_mels=40).numpy()
    ref = _librosa_log_mel(y, 16000, 512, 128, 40)
    np.testing.assert_allclose(ours, ref, atol=ATOL, rtol=0)


def test_filterbank_equals_librosa():
    ours = F.mel_filterbank(44100, 2048, 128, 0.0, 22050.0)
    ref = librosa.filters.mel(
        sr=44100, n_fft=2048, n_mels=128, fmin=0, fmax=22050, htk=True, norm=None
    )
    np.testing.assert_allclose(ours.T, ref, atol=1e-6)


def test_deltas_match_librosa_interior_and_stack_trims_8_frames():
    ref = _librosa_log_mel(_signal())
    d1 = librosa.feature.delta(ref, width=5, axis=0)
    d2 = librosa.feature.delta(d1[2:-2], width=5, axis=0)
    stacked = F.stack_deltas(tf.constant(ref)).numpy()
    assert stacked.shape == (ref.shape[0] - 8, 128, 3)
    np.testing.assert_allclose(stacked[..., 0], ref[4:-4], atol=1e-6)
    np.testing.assert_allclose(stacked[..., 1], d1[4:-4], atol=1e-5)
    np.testing.assert_allclose(stacked[..., 2], d2[2:-2], atol=1e-5)


def test_deltas_formula_on_a_ramp():
    x = tf.reshape(tf.range(10, dtype=tf.float32) ** 2, [10, 1])
    # d/dt t^2 by the 5-point regression is exactly 2t.
    np.testing.assert_allclose(F.deltas(x).numpy()[:, 0], 2.0 * np.arange(2, 8))


def test_paper_shape_and_batch():
    out = F.compute_features(tf.zeros([2, 441000]))
    assert out.shape == (2, 423, 128, 3)
    assert F.FrontEndConfig().output_shape(441000) == (423, 128, 3)
    assert F.compute_features(tf.zeros([4410]), deltas=False).shape == (5, 128, 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_mels": 0}, "n_mels"),
        ({"fmax": 30000.0}, "fmax"),
        ({"hop_length": 1.5}, "hop_length"),
        ({"deltas": 1}, "deltas"),
        ({"log_offset": 0.0}, "log_offset"),
    ],
)
def test_config_errors_name_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        F.FrontEndConfig(**kwargs)


def test_cache_key_depends_on_settings():
    assert F.FrontEndConfig().cache_key() == F.FrontEndConfig(fmax=None).cache_key()
    assert F.FrontEndConfig().cache_key() != F.FrontEndConfig(n_mels=64).cache_key()


def test_layer_config_round_trip_and_saving(tmp_path):
    layer = F.LogMelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=32)
    clone = F.LogMelSpectrogram.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = np.random.default_rng(0).standard_normal((2, 8000)).astype(np.float32)
    inputs = keras.Input((8000,))
    model = keras.Model(inputs, layer(inputs))
    assert model.output_shape == (None, 24, 32, 3)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_layer_rejects_wrong_rank_and_compiles_with_xla():
    layer = F.LogMelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256, n_mels=32)
    with pytest.raises(ValueError, match="rank 2"):
        layer(tf.zeros([1, 2, 8000]))
    x = tf.random.stateless_normal([2, 8000], seed=[1, 2])
    xla = tf.function(layer, jit_compile=True)(x)
    np.testing.assert_allclose(xla.numpy(), layer(x).numpy(), atol=1e-3)
