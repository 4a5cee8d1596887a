"""FilterAugment: random band-wise gains on the frequency axis (Nam et al., 2022).

FilterAugment (Nam, Kim, Ko and Park, "FilterAugment: An Acoustic
Environmental Data Augmentation Method", ICASSP 2022; the authors' code is
``filt_aug`` in ``frednam93/FilterAugSED``, ``utils/data_aug.py``) imitates
an unknown recording device or room by a random filter: the frequency axis is
cut into ``n`` bands and each gets a gain in dB, either constant over the
band (``"step"``) or interpolated linearly between gains drawn at the band
edges (``"linear"``, the ICASSP version). Per example ``b`` here, with
``F`` bins:

* ``n_b`` uniform in ``{low, ..., high − 1}`` (``torch.randint(low, high)``
  in the authors' code; defaults ``(3, 6)`` for linear, ``(2, 5)`` for step);
* a minimum band width ``m_b = min(min_bandwidth, F // n_b)`` (the authors
  lower it until the bands fit);
* ``n_b − 1`` inner boundaries ``sort(u_1..u_{n−1}) + (1..n−1)·m_b`` with
  ``u_k`` uniform in ``{0, ..., F − n_b·m_b}``, so every band is at least
  ``m_b`` bins wide; band ``i`` covers bins ``[e_i, e_{i+1})`` with
  ``e_0 = 0``, ``e_n = F``;
* gains ``g`` uniform in ``[db_low, db_high)`` dB: ``n_b`` of them (step),
  or ``n_b + 1`` (linear, one per boundary): bin ``f`` of band ``i`` gets
  ``g_i + (g_{i+1} − g_i)·(f − e_i)/(w_i − 1)`` with ``w_i = e_{i+1} − e_i``
  (``torch.linspace(g_i, g_{i+1}, w_i)``).

The authors multiply a linear (magnitude) mel spectrogram by ``10^(g/20)``.
On log features the same filter is an addition; ``domain`` says which: for
``"log"`` (natural log of power, ``log(x + eps)``, this library's front end)
it adds ``g·ln(10)/10``, for ``"db"`` it adds ``g``, for ``"power"`` it
multiplies by ``10^(g/10)`` and for ``"amplitude"`` by ``10^(g/20)``.

Differences from the authors' code, all documented in
``docs/new_augmentations.md``: the band count and boundaries are drawn per
example (theirs: once per batch, gains per example), and one band is a
filter too (theirs returns the input unchanged for ``n = 1``).

Params layout (``n_max = high − 1``)::

    {"boundaries": int32 (batch, n_max − 1),   # e_1..e_{n−1}, then F (unused)
     "gains":      float32 (batch, n_max + 1)}  # dB; the first n (step) or n + 1 used
"""

from collections.abc import Sequence
from typing import Literal

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Granularity
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.ops import fusion
from keras_specmix.ops import gain_noise
from keras_specmix.ops import random as random_ops

MODES = ("linear", "step")
DOMAINS = gain_noise.SPECTROGRAM_DOMAINS


def check_num_bands(num_bands: int | Sequence[int]) -> tuple[int, int]:
    """``num_bands`` as a half-open ``(low, high)`` pair: an int ``n`` is ``(n, n + 1)``."""
    if isinstance(num_bands, bool):
        _validation._fail("num_bands", "an int >= 1 or a (low, high) pair", num_bands, TypeError)
    if isinstance(num_bands, int):
        _validation.check_int("num_bands", num_bands, minimum=1)
        return (num_bands, num_bands + 1)
    if not isinstance(num_bands, (list, tuple)) or len(num_bands) != 2:
        _validation._fail("num_bands", "an int >= 1 or a (low, high) pair", num_bands, TypeError)
    low, high = num_bands
    if isinstance(low, bool) or isinstance(high, bool):
        _validation._fail("num_bands", "a pair of ints", num_bands, TypeError)
    if not (isinstance(low, int) and isinstance(high, int)) or not 1 <= low < high:
        _validation._fail(
            "num_bands",
            "a (low, high) pair of ints with 1 <= low < high (high excluded)",
            num_bands,
        )
    return (int(low), int(high))


def check_db_range(db_range: Sequence[float]) -> tuple[float, float]:
    """``db_range`` as a ``(low, high)`` pair of finite floats with ``low <= high``."""
    return gain_noise.check_db_range("db_range", db_range)


def sample_filter_augment_params(
    seed: TensorLike,
    batch_size: TensorLike,
    freq_length: TensorLike,
    db_range: Sequence[float] = (-6.0, 6.0),
    num_bands: int | Sequence[int] = (3, 6),
    min_bandwidth: int = 6,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws FilterAugment bands and gains per example (see the module docstring).

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int tensor.
        freq_length: int or scalar int tensor, F.
        db_range: ``(low, high)`` gains in dB.
        num_bands: ``(low, high)``, the band count is uniform in
            ``{low, ..., high − 1}``; an int for a fixed count.
        min_bandwidth: int >= 1, the narrowest band (lowered per example
            when ``n·min_bandwidth > F``).
        param_granularity: ``"example"`` or ``"batch"`` (one filter, the
            same bands and gains, for the batch).

    Returns:
        ``{"boundaries": int32 (batch, n_max − 1), "gains": float32 (batch, n_max + 1)}``.

    Examples:
        >>> p = sample_filter_augment_params([0, 1], 2, 64, num_bands=(3, 6))
        >>> p["boundaries"].shape, p["gains"].shape
        (TensorShape([2, 4]), TensorShape([2, 6]))
    """
    low_db, high_db = check_db_range(db_range)
    low, high = check_num_bands(num_bands)
    min_bandwidth = _validation.check_int("min_bandwidth", min_bandwidth, minimum=1)
    xp = _backend.namespace(seed, batch_size, freq_length)
    seed_count, seed_edges, seed_gains = xp.split(seed, 3)
    n_max = high - 1
    count = random_ops.uniform_int(
        seed_count, (batch_size, 1), low, n_max, param_granularity
    )  # (batch, 1)
    # A Python int stays one: JAX needs static lengths for arange.
    freq_length = _static_or_int32(xp, freq_length)
    width = xp.minimum(min_bandwidth, freq_length // count)
    inner = xp.arange(1, n_max, dtype="int32")[None, :] if n_max > 1 else None
    if inner is None:
        boundaries = xp.zeros((batch_size, 0), "int32")
    else:
        draws = random_ops.uniform_int(
            seed_edges, (batch_size, n_max - 1), 0, freq_length - count * width, param_granularity
        )
        active = inner < count  # the first n − 1 draws are used
        draws = xp.sort(xp.where(active, draws, freq_length), axis=1)
        boundaries = xp.where(active, draws + inner * width, freq_length)
        boundaries = xp.minimum(boundaries, freq_length)
    gains = random_ops.uniform(
        seed_gains, (batch_size, n_max + 1), "float32", low_db, high_db, param_granularity
    )
    return {"boundaries": xp.cast(boundaries, "int32"), "gains": gains}


def _static_or_int32(xp, length):
    """A Python int as is (static under ``jax.jit``), a tensor as int32."""
    if isinstance(length, int):
        return length
    return xp.cast(length, "int32")


def filter_gains_db(
    params: ParamsLike, freq_length: TensorLike, mode: Literal["linear", "step"] = "linear"
) -> Tensor:
    """The filter in dB per example and bin, float32 ``(batch, freq)``.

    Args:
        params: ``{"boundaries", "gains"}`` as from ``sample_filter_augment_params``.
        freq_length: int or scalar int tensor, F.
        mode: ``"linear"`` or ``"step"``.

    Returns:
        float32 ``(batch, freq)``.

    Examples:
        >>> p = {"boundaries": tf.constant([[2, 5]]), "gains": tf.constant([[0.0, 3.0, -3.0, 6.0]])}
        >>> filter_gains_db(p, 6, "step").numpy().tolist()
        [[0.0, 0.0, 3.0, 3.0, 3.0, -3.0]]
        >>> filter_gains_db(p, 6, "linear").numpy().tolist()
        [[0.0, 3.0, 3.0, 0.0, -3.0, -3.0]]
    """
    _validation.check_choice("mode", mode, set(MODES))
    boundaries = params["boundaries"]
    gains = params["gains"]
    xp = _backend.namespace(boundaries, gains)
    boundaries = xp.cast(boundaries, "int32")
    gains = xp.cast(gains, "float32")
    batch_size = xp.shape(gains)[0]
    freq_length = _static_or_int32(xp, freq_length)
    bins = xp.arange(freq_length, dtype="int32")  # (freq,)
    # Band index of each bin: the number of inner boundaries at or below it.
    below = xp.expand_dims(boundaries, 1) <= bins[None, :, None]  # (batch, freq, k)
    band = xp.sum(xp.cast(below, "int32"), axis=2)  # (batch, freq)
    start_gain = xp.take_along_axis(gains, band, axis=1)
    if mode == "step":
        return start_gain
    edges = xp.concatenate(
        [
            xp.zeros((batch_size, 1), "int32"),
            boundaries,
            xp.full((batch_size, 1), freq_length, "int32"),
        ],
        axis=1,
    )
    start = xp.take_along_axis(edges, band, axis=1)
    end = xp.take_along_axis(edges, band + 1, axis=1)
    end_gain = xp.take_along_axis(gains, band + 1, axis=1)
    step = xp.cast(bins[None, :] - start, "float32") / xp.cast(
        xp.maximum(end - start - 1, 1), "float32"
    )
    return start_gain + (end_gain - start_gain) * step


@fusion.fused
def apply_filter_augment(
    x: Array,
    params: ParamsLike,
    mode: Literal["linear", "step"] = "linear",
    domain: Literal["log", "db", "power", "amplitude"] = "log",
    channels: Sequence[int] | None = None,
    lengths: TensorLike | None = None,
) -> Tensor:
    """Applies FilterAugment params: the same filter on every valid frame.

    Args:
        x: float ``(batch, time, freq)`` or ``(batch, time, freq, channels)``.
        params: ``{"boundaries", "gains"}`` as from ``sample_filter_augment_params``.
        mode: ``"linear"`` or ``"step"``.
        domain: ``"log"``, ``"db"``, ``"power"`` or ``"amplitude"``: what
            ``x`` holds (see the module docstring).
        channels: None (filter every channel) or a tuple of channel indices
            to filter (for example ``(0,)`` for the log-mel of a log-mel +
            Δ + ΔΔ stack: a constant offset has no Δ).
        lengths: None, or int ``(batch,)`` valid frames: padding is returned
            unchanged.

    Returns:
        A tensor shaped and typed like ``x``.

    Examples:
        >>> p = {"boundaries": tf.constant([[1]]), "gains": tf.constant([[10.0, 20.0, 0.0]])}
        >>> x = tf.ones([1, 1, 2])
        >>> apply_filter_augment(x, p, "step", "db").numpy().tolist()
        [[[11.0, 21.0]]]
        >>> out = apply_filter_augment(x, p, "step", "amplitude")
        >>> [round(float(v), 4) for v in out.numpy().ravel()]
        [3.1623, 10.0]
    """
    _validation.check_choice("domain", domain, set(DOMAINS))
    xp = _backend.namespace(x)
    gain_db = xp.expand_dims(filter_gains_db(params, xp.shape(x)[2], mode), 1)  # (batch, 1, freq)
    if len(x.shape) == 4:
        gain_db = xp.expand_dims(gain_db, -1)
    return gain_noise.apply_db_gain(x, gain_db, domain, channels, lengths)
