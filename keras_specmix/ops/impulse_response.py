"""Device impulse responses (DIR): convolve with a recorded device's response.

Morocutti, Schmid, Koutini and Widmer ("Device-Robust Acoustic Scene
Classification via Impulse Response Augmentation", EUSIPCO 2023,
arXiv 2305.07499; code ``theMoro/DIRAugmentation``, ``datasets/dataset.py``,
and the CP-JKU DCASE 2023 system ``fschmid56/cpjku_dcase23``,
``datasets/dcase23.py``, ``DIRAugmentDataset``) convolve a training
waveform of the reference device (device ``a``) with probability ``p`` with
an impulse response drawn uniformly from a bank of measured microphone
responses: ``scipy.signal.convolve(x, h, "full")[:, :len(x)]``. The
response's sample 0 lands on the waveform's sample 0; the output keeps the
input's length (the response's tail past the clip's end is dropped) and no
gain is normalised away.

Two ways to apply the same response:

* ``convolve_responses``: the waveform path, exactly that convolution, as
  one batched FFT (``rfft`` of the batch and of each example's gathered
  response, zero-padded to a fast FFT size ``>= T + L − 1``, so nothing
  wraps around into the kept samples).
* ``apply_response_gains``: the spectrogram path, the response as a gain
  per frequency bin of the front end (``response_mel_gains_db``), applied
  like FilterAugment's filter: added on log or dB features, multiplied on
  power or amplitude ones. It is what the convolution does, on average, to
  the mel spectrogram of a stationary white signal.

Params layout::

    {"response": int32 (batch,),   # index into the bank
     "applied":  bool  (batch,)}   # drawn with probability p

Eligibility (for example ``device == "a"``) is data, not a draw: an example
is changed only where ``applied & eligible``, and every other example comes
back bit for bit.
"""

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Granularity
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.features import mel as mel_lib
from keras_specmix.features.config import FrontEndConfig
from keras_specmix.ops import _backend
from keras_specmix.ops import _common
from keras_specmix.ops import fusion
from keras_specmix.ops import gain_noise
from keras_specmix.ops import random as random_ops


def sample_impulse_response_params(
    seed: TensorLike,
    batch_size: TensorLike,
    num_responses: int,
    prob: float = 0.4,
    gate_granularity: Granularity = random_ops.EXAMPLE,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws a response index (uniform over the bank) and the gate per example.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int tensor.
        num_responses: int >= 1, the bank's size R.
        prob: float in [0, 1], probability that an example is convolved
            (DIR: 0.4 to 0.6).
        gate_granularity: ``"example"`` or ``"batch"`` (one ``prob`` draw:
            every example of the batch is convolved, or none).
        param_granularity: ``"example"`` or ``"batch"`` (one response for
            the batch).

    Returns:
        ``{"response": int32 (batch,) in [0, R), "applied": bool (batch,)}``.

    Examples:
        >>> p = sample_impulse_response_params([0, 1], 6, 4, prob=1.0)
        >>> p["applied"].numpy().tolist()
        [True, True, True, True, True, True]
        >>> bool(tf.reduce_all(p["response"] < 4))
        True
    """
    num_responses = _validation.check_int("num_responses", num_responses, minimum=1)
    prob = _validation.check_float("prob", prob, 0.0, 1.0)
    xp = _backend.namespace(seed, batch_size)
    seed_pick, seed_gate = xp.split(seed, 2)
    response = random_ops.uniform_int(
        seed_pick, (batch_size,), 0, num_responses - 1, param_granularity
    )
    applied = random_ops.gate(seed_gate, batch_size, prob, gate_granularity)
    return {"response": response, "applied": applied}


def _changed_examples(xp, params, eligible):
    applied = xp.cast(params["applied"], "bool")
    if eligible is None:
        return applied
    eligible = xp.convert_to_tensor(eligible)
    if len(eligible.shape) != 1:
        raise ValueError(
            f"`eligible` must have shape (batch,). Received: shape={tuple(eligible.shape)}"
        )
    if "bool" not in str(eligible.dtype):
        eligible = eligible != 0
    return applied & eligible


def fft_length(length: int | Tensor) -> int | Tensor:
    """An FFT size ``>= length`` that FFT libraries transform quickly.

    For an int: the smallest ``2^a·3^b·5^c >= length`` (pocketfft, which
    TensorFlow, JAX and NumPy use on CPU, is fast on these; an awkward size
    with a large prime factor can be 20 times slower, a power of two up to
    twice as large). For a tensor (a length known only at run time in a
    TensorFlow graph): the smallest power of two ``>= length``.

    Examples:
        >>> fft_length(1000), fft_length(1025), int(fft_length(tf.constant(1025)))
        (1000, 1080, 2048)
    """
    if isinstance(length, (int, np.integer)):
        n = int(length)
        best = 1 << max(0, n - 1).bit_length()
        power5 = 1
        while power5 < best:
            odd = power5
            while odd < best:
                size = odd
                while size < n:
                    size *= 2
                best = min(best, size)
                odd *= 3
            power5 *= 5
        return best
    xp = _backend.namespace(length)
    length = xp.cast(length, "int32")
    exponent = xp.ceil(xp.log(xp.cast(xp.maximum(length, 1), "float32")) / np.log(2.0))
    size = xp.cast(xp.power(2.0, exponent), "int32")
    # float log2 may land one above an exact power of two.
    size = xp.where(size // 2 >= length, size // 2, size)
    return xp.where(size >= length, size, size * 2)


@fusion.fused
def convolve_responses(
    x: Array,
    responses: TensorLike,
    params: ParamsLike,
    eligible: TensorLike | None = None,
    lengths: TensorLike | None = None,
) -> Tensor:
    """The waveform path: ``fftconvolve(x_b, h_b, "full")[:T]`` for the chosen examples.

    Axis 1 of ``x`` is time (samples); every other axis (channels) is
    convolved with the example's response. Examples not applied, not
    eligible, and padding (samples at or after ``lengths``) come back bit
    for bit. The convolution is causal, so the valid samples never depend on
    the padding.

    Args:
        x: float ``(batch, samples[, channels...])``.
        responses: float ``(R, L)``, the bank (zero-padded responses).
        params: ``{"response", "applied"}`` as from
            ``sample_impulse_response_params``.
        eligible: None, or bool (or int, non-zero is True) ``(batch,)``.
        lengths: None, or int ``(batch,)`` valid samples.

    Returns:
        A tensor shaped and typed like ``x``, computed in float32 (float64
        for float64 ``x``).

    Examples:
        >>> x = tf.constant([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]])[:, :, None]
        >>> bank = tf.constant([[1.0, 0.5], [0.0, 1.0]])
        >>> p = {"response": tf.constant([0, 1]), "applied": tf.constant([True, True])}
        >>> out = convolve_responses(x, bank, p)[..., 0].numpy()
        >>> (np.round(out, 5) + 0.0).tolist()  # [1, 2.5, 4, 5.5]; a one-sample delay
        [[1.0, 2.5, 4.0, 5.5], [0.0, 1.0, 2.0, 3.0]]
    """
    xp = _backend.namespace(x)
    x = xp.convert_to_tensor(x)
    rank = len(x.shape)
    dtype = _common.compute_dtype(x)
    responses = xp.cast(responses, dtype)
    samples = xp.shape(x)[1]
    size = fft_length(samples + responses.shape[1] - 1)
    # Time last: (batch, ..., samples).
    to_last = (0,) + tuple(range(2, rank)) + (1,)
    signal = xp.transpose(xp.cast(x, dtype), to_last)
    chosen = xp.take(responses, xp.cast(params["response"], "int32"), axis=0)  # (batch, L)
    for _ in range(rank - 2):
        chosen = xp.expand_dims(chosen, 1)
    x_re, x_im = xp.rfft(signal, size)
    h_re, h_im = xp.rfft(chosen, size)
    product = (x_re * h_re - x_im * h_im, x_re * h_im + x_im * h_re)
    out = xp.irfft(product, size)[..., :samples]
    out = xp.cast(xp.transpose(out, (0, rank - 1) + tuple(range(1, rank - 1))), x.dtype)
    examples = _changed_examples(xp, params, eligible)
    keep = gain_noise.changed_cells(xp, x, None, lengths, examples)
    return xp.where(keep, out, x)


@fusion.fused
def apply_response_gains(
    x: Array,
    gains_db: Array,
    params: ParamsLike,
    domain: Literal["log", "db", "power", "amplitude"] = "log",
    eligible: TensorLike | None = None,
    channels: Sequence[int] | None = None,
    lengths: TensorLike | None = None,
) -> Tensor:
    """The spectrogram path: each chosen example gets its response's gain per bin.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        gains_db: float ``(R, freq)``, the bank's gains in dB per frequency bin
            (``response_mel_gains_db``).
        params: ``{"response", "applied"}``.
        domain: ``"log"``, ``"db"``, ``"power"`` or ``"amplitude"``
            (``keras_specmix.ops.gain_noise.apply_db_gain``).
        eligible: None, or bool ``(batch,)``.
        channels: None, or a tuple of channel indices to change (``(0,)`` for
            the log-mel of a log-mel + Δ + ΔΔ stack: a gain constant in time
            has no Δ).
        lengths: None, or int ``(batch,)`` valid frames.

    Returns:
        A tensor shaped and typed like ``x``.

    Raises:
        ValueError: when ``x``'s frequency axis and the gains' differ.

    Examples:
        >>> gains = tf.constant([[10.0, 0.0], [0.0, 20.0]])
        >>> p = {"response": tf.constant([1]), "applied": tf.constant([True])}
        >>> apply_response_gains(tf.ones([1, 1, 2]), gains, p, "db").numpy().tolist()
        [[[1.0, 21.0]]]
    """
    _validation.check_choice("domain", domain, set(gain_noise.SPECTROGRAM_DOMAINS))
    xp = _backend.namespace(x)
    x = xp.convert_to_tensor(x)
    if x.shape[2] is not None and gains_db.shape[1] != x.shape[2]:
        raise ValueError(
            f"The impulse responses were projected onto {gains_db.shape[1]} frequency "
            f"bins but the input has {x.shape[2]} (axis 2 of (batch, time, freq"
            "[, channels])). Build the layer with the front end that computed the "
            f"features (`frontend`). Received: input shape={tuple(x.shape)}"
        )
    gain = xp.take(xp.convert_to_tensor(gains_db), xp.cast(params["response"], "int32"), axis=0)
    gain = xp.expand_dims(gain, 1)  # (batch, 1, freq)
    if len(x.shape) == 4:
        gain = xp.expand_dims(gain, -1)
    examples = _changed_examples(xp, params, eligible)
    return gain_noise.apply_db_gain(x, gain, domain, channels, lengths, examples)


def response_mel_gains_db(responses: ArrayLike, config: FrontEndConfig) -> np.ndarray:
    """Each response's power gain on the front end's mel bins, in dB (NumPy, float64).

    For a stationary white input of variance σ², an STFT bin ``k`` of the
    convolved signal (window ``w`` of length ``N = n_fft``) has the expected
    power ``σ²·Σ_τ r_h[τ]·r_w[τ]·e^{−2πikτ/N}``, with ``r_h`` and ``r_w`` the
    autocorrelations of the response and of the window; without the
    response it is ``σ²·r_w[0]``. Their ratio ``g_k`` is the response's
    ``|H|²`` smoothed by the window's spectrum, exact for white input. A mel
    band ``m`` with filter weights ``W[k, m]`` gets
    ``G_m = Σ_k W[k, m]·g_k / Σ_k W[k, m]`` (a band without weights gets
    1), returned as ``10·log10(G_m)``. Away from the clip's first frames,
    ``log_mel(h * x) ≈ log_mel(x) + G·ln(10)/10`` on white noise; the
    smaller the power's slope across a band, the closer other signals come.

    Args:
        responses: float ``(R, L)`` at ``config.sample_rate``.
        config: a ``keras_specmix.features.FrontEndConfig`` (its sample rate,
            ``n_fft`` with a periodic Hann window, and mel filterbank).

    Returns:
        float32 ``(R, config.n_mels)``, gains in dB.

    Examples:
        >>> from keras_specmix.features import FrontEndConfig
        >>> cfg = FrontEndConfig(sample_rate=16000, n_fft=512, n_mels=8)
        >>> gains = response_mel_gains_db([[1.0], [0.5]], cfg)  # an impulse; -6 dB
        >>> [round(float(g), 3) for g in gains[1, :2]], float(np.abs(gains[0]).max())
        ([-6.021, -6.021], 0.0)
    """
    responses = np.atleast_2d(np.asarray(responses, np.float64))
    n = config.n_fft
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)  # periodic Hann
    lags = min(responses.shape[1], n)
    r_w = _autocorrelation(window[None], n)[0]
    r_h = _autocorrelation(responses, lags)
    weighted = np.zeros((responses.shape[0], n))
    weighted[:, :lags] = r_h * r_w[None, :lags]
    # Σ over lags −(n−1)..n−1 of an even sequence: 2·Re(rfft) − the lag-0 term.
    spectrum = 2.0 * np.fft.rfft(weighted, n).real - weighted[:, :1]
    bin_gain = np.maximum(spectrum / r_w[0], 0.0)  # (R, n // 2 + 1)
    filters = mel_lib.mel_filterbank(
        config.sample_rate, n, config.n_mels, config.fmin, config.fmax_hz, config.htk
    ).astype(np.float64)  # (bins, n_mels)
    weight = filters.sum(axis=0)
    mel_gain = np.where(weight > 0, bin_gain @ filters / np.where(weight > 0, weight, 1.0), 1.0)
    return (10.0 * np.log10(np.maximum(mel_gain, 1e-30))).astype(np.float32)


def _autocorrelation(signals, lags):
    """``r[τ] = Σ_n s[n]·s[n + τ]`` for ``τ = 0 .. lags − 1``, per row."""
    size = 1 << (2 * signals.shape[1] - 1).bit_length()
    spectrum = np.fft.rfft(signals, size)
    return np.fft.irfft(spectrum * spectrum.conj(), size)[:, :lags]
