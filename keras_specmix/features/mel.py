"""Mel filterbank identical to librosa's (HTK or Slaney scale, no normalisation).

`tf.signal.linear_to_mel_weight_matrix` is not used: it interpolates the
triangles on the mel axis and zeroes the DC bin, so it differs from the
librosa filters the paper's features were computed with. The matrix is a
constant of the configuration and is built once in NumPy.
"""

import numpy as np
from numpy.typing import ArrayLike


def hz_to_mel(frequencies: ArrayLike, htk: bool = True) -> np.ndarray:
    """Hz -> mel on the HTK scale, or on Slaney's (librosa's default) scale."""
    f = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        f >= min_log_hz,
        min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep,
        f / f_sp,
    )


def mel_to_hz(mels: ArrayLike, htk: bool = True) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    m = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float, htk: bool = True
) -> np.ndarray:
    """Triangular mel filters, the weights of ``librosa.filters.mel(norm=None)``.

    Args:
        sample_rate: sampling rate in Hz.
        n_fft: FFT size; the filters cover its ``n_fft // 2 + 1`` bins.
        n_mels: number of filters.
        fmin: lowest edge in Hz.
        fmax: highest edge in Hz.
        htk: HTK mel scale (True) or Slaney's (False).

    Returns:
        float32 array of shape ``(n_fft // 2 + 1, n_mels)`` (ready to right-
        multiply a ``(..., time, bins)`` power spectrogram).

    Examples:
        >>> filters = mel_filterbank(16000, 512, 40, 0.0, 8000.0)
        >>> filters.shape, filters.dtype, bool((filters.sum(axis=0) > 0).all())
        ((257, 40), dtype('float32'), True)
    """
    fft_freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    mel_points = np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2)
    edges = mel_to_hz(mel_points, htk)
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return weights.T.astype(np.float32)
