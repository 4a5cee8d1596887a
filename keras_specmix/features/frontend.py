"""Waveform -> log-mel spectrogram (+ Δ, ΔΔ) on `tf.signal`: pure functions.

All functions take the time-domain signal on the last axis and return the
library's layout, time before frequency: ``(..., time, freq[, channels])``.
They are graph-safe, hold no state and compile under ``jit_compile=True``.
"""

import functools
from typing import Any

import tensorflow as tf

from keras_specmix._typing import TensorLike
from keras_specmix.features.config import FrontEndConfig
from keras_specmix.features.mel import mel_filterbank


def _resolve(config, overrides):
    if config is None:
        config = FrontEndConfig()
    elif not isinstance(config, FrontEndConfig):
        raise TypeError(f"`config` must be a FrontEndConfig or None. Received: config={config!r}")
    if overrides:
        config = FrontEndConfig(**{**config.to_dict(), **overrides})
    return config


@functools.lru_cache(maxsize=16)
def _filterbank(sample_rate, n_fft, n_mels, fmin, fmax, htk):
    return mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax, htk)


def power_spectrogram(
    waveform: TensorLike, n_fft: int = 2048, hop_length: int = 1024, center: bool = True
) -> tf.Tensor:
    """|STFT|² with a periodic Hann window, librosa's ``center`` convention.

    Args:
        waveform: float tensor ``(..., samples)``.
        n_fft: FFT size and window length.
        hop_length: hop in samples.
        center: pad ``n_fft // 2`` zeros on both sides first.

    Returns:
        float tensor ``(..., frames, n_fft // 2 + 1)`` with
        ``frames = 1 + samples // hop_length`` when ``center``.

    Examples:
        >>> power_spectrogram(tf.zeros([2, 16000]), n_fft=512, hop_length=256).shape
        TensorShape([2, 63, 257])
    """
    waveform = tf.convert_to_tensor(waveform)
    if not waveform.dtype.is_floating:
        waveform = tf.cast(waveform, tf.float32)
    if center:
        pad = n_fft // 2
        rank = waveform.shape.rank
        waveform = tf.pad(waveform, [[0, 0]] * (rank - 1) + [[pad, pad]])
    stft = tf.signal.stft(
        waveform,
        frame_length=n_fft,
        frame_step=hop_length,
        fft_length=n_fft,
        window_fn=tf.signal.hann_window,
        pad_end=False,
    )
    return tf.math.real(stft * tf.math.conj(stft))


def log_mel_spectrogram(
    waveform: TensorLike, config: FrontEndConfig | None = None, **overrides: Any
) -> tf.Tensor:
    """Log power mel spectrogram, ``log(mel(|STFT|²) + eps)``.

    Matches ``np.log(librosa.feature.melspectrogram(y, sr, n_fft, hop_length,
    n_mels, fmin, fmax, htk=True, norm=None) + 1e-8).T`` (see
    ``docs/features.md`` for the measured error).

    Args:
        waveform: float tensor ``(..., samples)`` at ``config.sample_rate``.
        config: a :class:`FrontEndConfig`; None for the paper's settings.
        **overrides: fields of :class:`FrontEndConfig` to replace, e.g.
            ``n_mels=64``.

    Returns:
        float tensor ``(..., time, n_mels)``.

    Raises:
        TypeError, ValueError: on an invalid config or override.

    Examples:

    >>> x = tf.zeros([2, 44100])
    >>> log_mel_spectrogram(x).shape
    TensorShape([2, 44, 128])
    """
    cfg = _resolve(config, overrides)
    power = power_spectrogram(waveform, cfg.n_fft, cfg.hop_length, cfg.center)
    weights = tf.constant(
        _filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.fmin, cfg.fmax_hz, cfg.htk),
        dtype=power.dtype,
    )
    mel = tf.tensordot(power, weights, axes=1)
    return tf.math.log(mel + tf.constant(cfg.log_offset, power.dtype))


def deltas(features: TensorLike, axis: int = -2) -> tf.Tensor:
    """Δ by the 5-point regression of the author's code (McDonnell & Gao).

    ``Δx[t] = (x[t+1] - x[t-1]) / 10 + (x[t+2] - x[t-2]) / 5``, computed only
    where all 5 points exist, so the time axis loses 2 frames at each end.
    This equals ``librosa.feature.delta(width=5)`` away from the edges.

    Args:
        features: float tensor with time on ``axis``.
        axis: the time axis. Defaults to -2 (``(..., time, freq)``).

    Returns:
        Tensor like ``features`` with 4 fewer frames on ``axis``.

    Raises:
        ValueError: if the time axis is statically shorter than 5 frames.

    Examples:
        >>> ramp = tf.reshape(tf.range(10, dtype=tf.float32), [10, 1])  # slope 1
        >>> deltas(ramp).numpy().ravel().tolist()
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    features = tf.convert_to_tensor(features)
    length = features.shape[axis]
    if length is not None and length < 5:
        raise ValueError(
            "`features` must have at least 5 frames on the time axis for Δ. "
            f"Received: shape={features.shape}"
        )
    n = tf.shape(features)[axis]

    def window(start, stop_from_end):
        size = n - start - stop_from_end
        return tf.gather(features, tf.range(start, start + size), axis=axis)

    return (window(3, 1) - window(1, 3)) / 10.0 + (window(4, 0) - window(0, 4)) / 5.0


def stack_deltas(log_mel: TensorLike) -> tf.Tensor:
    """Stacks ``[x, Δx, ΔΔx]`` as channels, trimmed to a common length.

    Args:
        log_mel: float tensor ``(..., time, freq)``.

    Returns:
        float tensor ``(..., time - 8, freq, 3)``: the author's
        ``concatenate((X[4:-4], Δ[2:-2], ΔΔ), channels)``.

    Examples:
        >>> stack_deltas(tf.zeros([20, 8])).shape
        TensorShape([12, 8, 3])
    """
    log_mel = tf.convert_to_tensor(log_mel)
    d1 = deltas(log_mel)
    d2 = deltas(d1)
    n = tf.shape(log_mel)[-2]
    x = log_mel[..., 4 : n - 4, :]
    n1 = tf.shape(d1)[-2]
    d1 = d1[..., 2 : n1 - 2, :]
    return tf.stack([x, d1, d2], axis=-1)


def compute_features(
    waveform: TensorLike, config: FrontEndConfig | None = None, **overrides: Any
) -> tf.Tensor:
    """The full front end: log-mel, then Δ/ΔΔ channels (or one channel).

    Args:
        waveform: float tensor ``(..., samples)``.
        config: a :class:`FrontEndConfig`; None for the paper's settings.
        **overrides: fields of :class:`FrontEndConfig` to replace.

    Returns:
        float tensor ``(..., time, n_mels, channels)``; channels is 3 with
        ``config.deltas`` (time is then 8 frames shorter), else 1. For the
        paper, a 10-s clip at 44.1 kHz gives ``(423, 128, 3)``.

    Examples:

    >>> compute_features(tf.zeros([441000])).shape
    TensorShape([423, 128, 3])
    """
    cfg = _resolve(config, overrides)
    log_mel = log_mel_spectrogram(waveform, cfg)
    if cfg.deltas:
        return stack_deltas(log_mel)
    return log_mel[..., None]
