"""Gains in dB and additive noise, in every domain a signal or spectrogram can hold.

A gain of ``g`` dB is one operation whose form depends on what the tensor
holds (its *domain*):

==============  ==========================================  =====================
domain          the tensor holds                            a gain of g dB
==============  ==========================================  =====================
``"log"``       natural log of power, ``log(p + eps)``       adds ``g·ln(10)/10``
``"db"``        decibels of power, ``10·log10(p)``           adds ``g``
``"power"``     power ``p``                                  multiplies by ``10^(g/10)``
``"amplitude"`` magnitude ``√p``                             multiplies by ``10^(g/20)``
``"waveform"``  samples (an amplitude)                       multiplies by ``10^(g/20)``
==============  ==========================================  =====================

``apply_db_gain`` is that table, shared by ``FilterAugment`` (a gain per
frequency bin), ``RandomGain`` (one gain per example) and
``DeviceImpulseResponse``'s spectrogram path (a device's gain per mel bin).

``add_noise`` adds noise at a signal-to-noise ratio ``snr`` dB relative to
each example's own mean power ``P_s`` (over its valid frames and the chosen
channels): the noise has mean power ``P_n = P_s·10^(−snr/10)``.

* ``"waveform"``: ``x + √P_n·n`` with ``n`` standard normal per sample
  (white Gaussian noise).
* ``"power"``: ``x + P_n·e`` with ``e`` standard exponential per cell: the
  law of one STFT bin's power of white Gaussian noise, with the same mean
  ``P_n`` on every bin ("white" over the input's bins; on a mel
  spectrogram, flat per mel band).
* ``"amplitude"``: ``√(x² + P_n·e)``: the same noise power added to the
  power ``x²`` (noise and signal add in power on average).
* ``"log"`` and ``"db"``: the power-domain noise, added to the power the
  features hold: ``log(exp(x) + P_n·e)`` (computed as ``logaddexp``) and its
  dB form. For ``x = log(p + eps)`` this is ``log((p + P_n·e) + eps)``: the
  log feature of the noisy power, exactly, with the front end's floor kept.

Params layouts::

    gain:  {"gain_db": float32 (batch,)}
    noise: {"snr_db":  float32 (batch,),
            "noise":   float32, the input's shape}  # N(0, 1) or Exp(1) draws
"""

import math
from collections.abc import Sequence
from typing import Any
from typing import Final

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Domain
from keras_specmix._typing import Granularity
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Shape
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.ops import _common
from keras_specmix.ops import fusion
from keras_specmix.ops import random as random_ops

SPECTROGRAM_DOMAINS = ("log", "db", "power", "amplitude")
WAVEFORM: Final = "waveform"
DOMAINS = SPECTROGRAM_DOMAINS + (WAVEFORM,)
_LN10_OVER_10 = math.log(10.0) / 10.0


def check_db_range(name: str, value: Any, minimum: float | None = None) -> tuple[float, float]:
    """A ``(low, high)`` pair of finite numbers with ``low <= high`` (and ``low >= minimum``).

    Raises:
        TypeError: if ``value`` is not a pair of numbers.
        ValueError: if ``low > high``, a bound is not finite, or ``low < minimum``.

    Examples:
        >>> check_db_range("snr_db_range", [6, 30])
        (6.0, 30.0)
    """
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        _validation._fail(name, "a (low, high) pair of numbers in dB", value, TypeError)
    try:
        low = _validation.check_float(name, value[0], minimum)
        high = _validation.check_float(name, value[1], minimum)
    except (TypeError, ValueError) as error:
        _validation._fail(name, "a (low, high) pair of finite numbers", value, type(error))
    if low > high:
        _validation._fail(name, "a (low, high) pair with low <= high", value)
    return (low, high)


def check_channels(channels: Sequence[int] | None) -> tuple[int, ...] | None:
    """``channels`` as a sorted tuple of channel indices, or None (every channel).

    Raises:
        TypeError: if ``channels`` is neither None nor a list of ints.
        ValueError: on an empty list or a negative index.

    Examples:
        >>> check_channels([2, 0, 2])
        (0, 2)
    """
    if channels is None:
        return None
    if not isinstance(channels, (list, tuple)) or not channels:
        _validation._fail("channels", "None or a non-empty list of channel indices", channels)
    for c in channels:
        if isinstance(c, bool) or not isinstance(c, int) or c < 0:
            _validation._fail("channels", "a list of ints >= 0", channels)
    return tuple(sorted(set(int(c) for c in channels)))


def _check_channels_fit(x, channels):
    """Raises when ``channels`` names a channel ``x`` lacks (rank 3 is channel 0)."""
    if channels is None:
        return
    if len(x.shape) == 4 and x.shape[-1] is not None and max(channels) >= x.shape[-1]:
        raise ValueError(
            f"`channels` names channel {max(channels)} but the input has "
            f"{x.shape[-1]}. Received: channels={list(channels)}"
        )
    if len(x.shape) == 3 and 0 not in channels:
        raise ValueError(
            "`channels` must include 0 for an input without a channel axis "
            f"(batch, time, freq): it would be left unchanged. "
            f"Received: channels={list(channels)}"
        )


def changed_cells(
    xp: Any,
    x: Tensor,
    channels: Sequence[int] | None = None,
    lengths: TensorLike | None = None,
    examples: TensorLike | None = None,
) -> Tensor | None:
    """bool mask broadcastable against ``x``: the cells an operation may change.

    Args:
        xp: the backend namespace.
        x: ``(batch, time, ...)``.
        channels: None or a tuple of channel indices (last axis of rank-4 ``x``).
        lengths: None or int ``(batch,)`` valid frames.
        examples: None or bool ``(batch,)``, the examples to change.

    Returns:
        None when every cell may change, else a bool tensor of ``x``'s rank.
    """
    if lengths is None and channels is None and examples is None:
        return None
    rank = len(x.shape)
    keep = _common.valid_frames(xp, x, lengths)
    if examples is not None:
        keep = keep & xp.expand_dims(xp.cast(examples, "bool"), 1)
    keep = _common.trailing(xp, keep, rank)
    if channels is not None:
        num_channels = x.shape[-1] if rank == 4 else 1
        picked = xp.convert_to_tensor([c in channels for c in range(num_channels)])
        keep = keep & (picked if rank == 4 else picked[0])
    return keep


def apply_db_gain(
    x: Array,
    gain_db: TensorLike,
    domain: Domain = "log",
    channels: Sequence[int] | None = None,
    lengths: TensorLike | None = None,
    examples: TensorLike | None = None,
) -> Tensor:
    """Applies a gain in dB in the domain ``x`` holds (see the module docstring).

    Cells outside the valid frames, the chosen channels or the chosen
    examples come back bit for bit.

    Args:
        x: float ``(batch, time, ...)``.
        gain_db: float gains in dB, broadcastable against ``x`` (for example
            ``(batch, 1, freq, 1)`` per bin or ``(batch, 1, 1, 1)`` per example).
        domain: ``"log"``, ``"db"``, ``"power"``, ``"amplitude"`` or ``"waveform"``.
        channels: None (every channel) or a tuple of channel indices.
        lengths: None, or int ``(batch,)`` valid frames.
        examples: None, or bool ``(batch,)``: only these examples change.

    Returns:
        A tensor shaped and typed like ``x``.

    Raises:
        ValueError: on an unknown ``domain`` or ``channels`` that ``x`` lacks.

    Examples:
        >>> x = tf.ones([2, 1, 2])
        >>> apply_db_gain(x, tf.reshape([10.0, 20.0], [2, 1, 1]), "db").numpy().tolist()
        [[[11.0, 11.0]], [[21.0, 21.0]]]
        >>> out = apply_db_gain(x, tf.reshape([20.0, 0.0], [2, 1, 1]), "amplitude")
        >>> out.numpy().tolist()
        [[[10.0, 10.0]], [[1.0, 1.0]]]
    """
    _validation.check_choice("domain", domain, set(DOMAINS))
    _check_channels_fit(x, channels)
    xp = _backend.namespace(x)
    dtype = _common.compute_dtype(x)
    gain_db = xp.cast(gain_db, dtype)
    values = xp.cast(x, dtype)
    if domain == "log":
        out = values + gain_db * _LN10_OVER_10
    elif domain == "db":
        out = values + gain_db
    elif domain == "power":
        out = values * xp.power(10.0, gain_db / 10.0)
    else:
        out = values * xp.power(10.0, gain_db / 20.0)
    keep = changed_cells(xp, x, channels, lengths, examples)
    if keep is None:
        return xp.cast(out, x.dtype)
    return xp.where(keep, xp.cast(out, x.dtype), x)


# ------------------------------------------------------------------ gain
def sample_gain_params(
    seed: TensorLike,
    batch_size: TensorLike,
    db_range: Sequence[float] = (-12.0, 12.0),
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws one gain per example, uniform in ``[low, high)`` dB.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int tensor.
        db_range: ``(low, high)`` in dB.
        param_granularity: ``"example"`` or ``"batch"`` (one gain for the batch).

    Returns:
        ``{"gain_db": float32 (batch,)}``.

    Examples:
        >>> p = sample_gain_params([0, 1], 1000, (-12, 12))
        >>> bool(tf.reduce_all(tf.abs(p["gain_db"]) <= 12.0))
        True
    """
    low, high = check_db_range("db_range", db_range)
    gain = random_ops.uniform(seed, (batch_size,), "float32", low, high, param_granularity)
    return {"gain_db": gain}


@fusion.fused
def apply_gain(
    x: Array,
    params: ParamsLike,
    domain: Domain = "log",
    channels: Sequence[int] | None = None,
    lengths: TensorLike | None = None,
) -> Tensor:
    """Applies ``RandomGain`` params: one gain per example on every valid cell.

    Args:
        x: float ``(batch, time, ...)``.
        params: ``{"gain_db": (batch,)}``.
        domain: see ``apply_db_gain``.
        channels: None or a tuple of channel indices.
        lengths: None, or int ``(batch,)`` valid frames (padding unchanged).

    Returns:
        A tensor shaped and typed like ``x``.

    Examples:
        >>> apply_gain(tf.ones([1, 2, 1]), {"gain_db": tf.constant([6.0])}, "db").numpy().ravel()
        array([7., 7.], dtype=float32)
    """
    xp = _backend.namespace(x)
    gain = _common.trailing(xp, xp.convert_to_tensor(params["gain_db"]), len(x.shape))
    return apply_db_gain(x, gain, domain, channels, lengths)


# ------------------------------------------------------------------ noise
def sample_noise_params(
    seed: TensorLike,
    shape: Shape,
    snr_db_range: Sequence[float] = (6.0, 30.0),
    domain: Domain = "log",
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws an SNR per example and the unit noise of every cell.

    Args:
        seed: shape-``[2]`` integer seed.
        shape: the input's shape (entries may be scalar tensors).
        snr_db_range: ``(low, high)``: the SNR is uniform in ``[low, high)`` dB.
        domain: the input's domain: ``"waveform"`` draws standard normal
            noise, the others standard exponential noise (power).
        param_granularity: ``"example"`` or ``"batch"`` (one SNR for the
            batch). The noise itself is always drawn independently per cell.

    Returns:
        ``{"snr_db": float32 (batch,), "noise": float32 shape}``.

    Examples:
        >>> p = sample_noise_params([0, 1], (2, 100, 8), (6, 30), "power")
        >>> p["snr_db"].shape, bool(tf.reduce_all(p["noise"] >= 0))
        (TensorShape([2]), True)
    """
    low, high = check_db_range("snr_db_range", snr_db_range)
    _validation.check_choice("domain", domain, set(DOMAINS))
    shape = _backend.shape_tuple(shape)
    xp = _backend.namespace(seed, *shape)
    seed_snr, seed_noise = xp.split(seed, 2)
    snr = random_ops.uniform(seed_snr, (shape[0],), "float32", low, high, param_granularity)
    if domain == WAVEFORM:
        noise = xp.normal(seed_noise, shape, cells=True)
    else:
        # Exp(1) by inversion; u < 1, so the log is finite.
        noise = -xp.log1p(-xp.uniform(seed_noise, shape, cells=True))
    return {"snr_db": snr, "noise": noise}


@fusion.fused
def add_noise(
    x: Array,
    params: ParamsLike,
    domain: Domain = "log",
    channels: Sequence[int] | None = None,
    lengths: TensorLike | None = None,
) -> Tensor:
    """Adds the noise of ``params`` at each example's SNR (see the module docstring).

    ``P_s`` is the mean power over the example's valid frames and chosen
    channels (``x²`` for waveforms and amplitudes, ``x`` for power,
    ``exp(x)`` for log, ``10^(x/10)`` for dB); an example with no valid
    cell or zero power is returned unchanged. Padding and channels not
    chosen come back bit for bit.

    Args:
        x: float ``(batch, time, ...)``.
        params: ``{"snr_db", "noise"}`` as from ``sample_noise_params`` (the
            noise must be of the domain's kind: normal for waveforms,
            exponential otherwise).
        domain: ``"waveform"``, ``"power"``, ``"amplitude"``, ``"log"`` or ``"db"``.
        channels: None or a tuple of channel indices (spectrograms).
        lengths: None, or int ``(batch,)`` valid frames (samples for waveforms).

    Returns:
        A tensor shaped and typed like ``x``.

    Raises:
        ValueError: on an unknown ``domain`` or ``channels`` that ``x`` lacks.

    Examples:
        >>> x = tf.fill([1, 4, 1], 2.0)  # power 4 per sample
        >>> noise = tf.constant([1.0, 0.0, -1.0, 0.5])[None, :, None]
        >>> p = {"snr_db": tf.constant([0.0]), "noise": noise}
        >>> add_noise(x, p, "waveform").numpy().ravel().tolist()  # noise power 4: σ = 2
        [4.0, 2.0, 0.0, 3.0]
    """
    _validation.check_choice("domain", domain, set(DOMAINS))
    _check_channels_fit(x, channels)
    xp = _backend.namespace(x)
    rank = len(x.shape)
    dtype = _common.compute_dtype(x)
    values = xp.cast(x, dtype)
    noise = xp.cast(params["noise"], dtype)
    snr = _common.trailing(xp, xp.cast(params["snr_db"], dtype), rank)
    keep = changed_cells(xp, x, channels, lengths)
    if keep is None:
        keep = xp.ones((1,) * rank, "bool")
    keep = xp.broadcast_to(keep, xp.shape(x))
    axes = tuple(range(1, rank))
    count = xp.sum(xp.cast(keep, dtype), axis=axes, keepdims=True)
    if domain in ("log", "db"):
        # Natural log of power; the mean power in log space (no overflow).
        log_power = values * _LN10_OVER_10 if domain == "db" else values
        masked = xp.where(keep, log_power, -math.inf)
        peak = xp.max(masked, axis=axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0.0)
        total = xp.sum(xp.where(keep, xp.exp(log_power - peak), 0.0), axis=axes, keepdims=True)
        # log(P_s·10^(−snr/10)): one value per example, ending in a log so that XLA
        # computes it once; as "log(P_s) − snr·ln10/10", XLA recomputed the SNR's draw
        # for every cell (the full-size loop took 5-7× longer).
        mean_ratio = total / xp.maximum(count, 1.0) * xp.power(10.0, -snr / 10.0)
        log_noise = xp.log(mean_ratio) + peak + xp.log(noise)
        out = xp.logaddexp(log_power, log_noise)
        if domain == "db":
            out = out / _LN10_OVER_10
    else:
        power = values if domain == "power" else values * values
        mean = xp.sum(xp.where(keep, power, 0.0), axis=axes, keepdims=True) / xp.maximum(count, 1.0)
        noise_power = mean * xp.power(10.0, -snr / 10.0)
        if domain == WAVEFORM:
            out = values + xp.sqrt(noise_power) * noise
        elif domain == "power":
            out = values + noise_power * noise
        else:
            out = xp.sqrt(power + noise_power * noise)
    return xp.where(keep, xp.cast(out, x.dtype), x)
