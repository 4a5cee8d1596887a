"""Masks built by broadcast index comparisons, in integer index space.

All augmentations here describe their regions the same way: per example, a
few intervals ``[start, start + width)`` on the time axis and a few on the
frequency axis. This module turns such intervals into 1-D boolean masks and
combines a time mask and a frequency mask into a 2-D ``(time, freq)`` region,
either as a *union* of full-span bands (SpecMix, SpecAugment) or as an
*intersection*, a box (CutMix). No Python loop over the batch or over the
masks: everything is one comparison against an index range broadcast over
``(batch, num_intervals, length)``.

It also holds the two ways a mask combines values, ``select`` (exact, for
masks and pasted regions) and ``blend`` (fractional weights, for MixUp and
interpolation), both safe for non-finite input: they never make a NaN from
values that hold none.
"""

from typing import Final
from typing import Literal
from typing import TypeAlias

from keras_specmix._typing import Array
from keras_specmix._typing import Granularity
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.ops import random as random_ops

UNION: Final = "union"
INTERSECTION: Final = "intersection"
#: How a time and a frequency mask combine into a region.
Combine: TypeAlias = Literal["union", "intersection"]


def select(region: TensorLike, inside: TensorLike, outside: TensorLike) -> Tensor:
    """``inside`` where ``region`` is True, ``outside`` elsewhere, exactly.

    A true select on every path (eager, graph, XLA, static or unknown
    shapes), so ±inf and NaN pass through untouched: the arithmetic form
    ``m·a + (1 − m)·b`` would turn ``0·inf`` into NaN.

    Args:
        region: bool tensor that broadcasts against the values (for example
            ``(batch, time, freq, 1)`` over channels).
        inside: values taken inside the region (broadcastable).
        outside: values taken elsewhere; sets the output shape and dtype.

    Returns:
        A tensor shaped and typed like ``outside``.

    Examples:
        >>> select([[True, False]], [[9.0, 9.0]], [[1.0, -float("inf")]]).numpy().tolist()
        [[9.0, -inf]]
    """
    xp = _backend.namespace(outside, inside, region)
    outside = xp.convert_to_tensor(outside)
    shape = xp.shape(outside)
    inside = xp.broadcast_to(xp.cast(inside, outside.dtype), shape)
    return xp.where(xp.broadcast_to(region, shape), inside, outside)


def blend(x: Array, x_partner: TensorLike, keep: TensorLike) -> Tensor:
    """``keep·x + (1 − keep)·x_partner``, exact at the ends, never a new NaN.

    ``keep == 1`` returns ``x`` and ``keep == 0`` returns ``x_partner`` bit
    for bit (also for ±inf and −0.0). Where the weighted sum is NaN although
    neither value is NaN (``inf − inf``), the value with the larger weight is
    returned (``x`` on a tie).

    Args:
        x: float tensor.
        x_partner: float tensor, broadcastable against ``x``.
        keep: weights in ``[0, 1]`` of ``x``'s dtype, broadcastable.

    Returns:
        A tensor shaped and typed like ``x``.

    Examples:
        >>> import numpy as np
        >>> out = blend(np.array([-np.inf, 4.0], "float32"), np.array([2.0, 0.0], "float32"),
        ...             np.array([1.0, 0.25], "float32"))
        >>> np.asarray(out).tolist()
        [-inf, 1.0]
    """
    xp = _backend.namespace(x, x_partner, keep)
    x = xp.convert_to_tensor(x)
    keep = xp.cast(keep, x.dtype)
    mixed = keep * x + (1 - keep) * x_partner
    dominant = xp.where(keep >= 0.5, x, x_partner)
    made_nan = xp.isnan(mixed) & ~xp.isnan(x) & ~xp.isnan(x_partner)
    mixed = xp.where(made_nan, dominant, mixed)
    mixed = xp.where(xp.equal(keep, 0), x_partner, mixed)
    return xp.where(xp.equal(keep, 1), x, mixed)


def interval_mask(starts: TensorLike, widths: TensorLike, length: TensorLike) -> Tensor:
    """Boolean mask of the union of intervals ``[start, start + width)``.

    Args:
        starts: int tensor ``(batch, num_intervals)``.
        widths: int tensor ``(batch, num_intervals)``; 0 means "no interval".
        length: int or scalar int32 tensor, the axis length ``L``.

    Returns:
        bool tensor ``(batch, L)``: True where any interval covers the index.

    Examples:
        >>> import numpy as np
        >>> m = interval_mask([[1, 5]], [[2, 0]], 6)
        >>> np.asarray(m).astype(int).tolist()
        [[0, 1, 1, 0, 0, 0]]
    """
    xp = _backend.namespace(starts, widths, length)
    starts = xp.cast(starts, "int32")[..., None]
    ends = starts + xp.cast(widths, "int32")[..., None]
    index = xp.arange(length, dtype="int32")
    inside = (index >= starts) & (index < ends)
    return xp.any(inside, axis=-2)


def sample_starts(
    seed: TensorLike,
    widths: TensorLike,
    length: TensorLike,
    granularity: Granularity = random_ops.EXAMPLE,
) -> Tensor:
    """Start positions uniform over the valid positions ``[0, L - width]``.

    Args:
        seed: shape-``[2]`` integer seed.
        widths: int tensor of interval widths (any shape), each in ``[0, L]``.
        length: int or int32 tensor broadcastable against ``widths``, the
            axis length ``L``.
        granularity: ``"example"`` or ``"batch"`` (one draw along the first
            axis of ``widths``, shared; see ``keras_specmix.ops.random``).

    Returns:
        int32 tensor shaped like ``widths``.
    """
    xp = _backend.namespace(seed, widths, length)
    widths = xp.cast(widths, "int32")
    length = xp.cast(length, "int32")
    return random_ops.uniform_int(
        seed, xp.shape(widths), 0, xp.maximum(length - widths, 0), granularity
    )


def region_mask(time_mask: Array, freq_mask: Array, combine: Combine) -> Tensor:
    """Combines 1-D time and frequency masks into a ``(batch, time, freq)`` mask.

    Args:
        time_mask: bool ``(batch, time)``.
        freq_mask: bool ``(batch, freq)``.
        combine: ``"union"`` (full-span bands: a cell is in the region if its
            frame or its bin is masked) or ``"intersection"`` (a box).

    Returns:
        bool tensor ``(batch, time, freq)``.

    Examples:
        >>> t, f = tf.constant([[True, False, False]]), tf.constant([[False, True]])
        >>> region_mask(t, f, "union").numpy().astype(int).tolist()
        [[[1, 1], [0, 1], [0, 1]]]
        >>> region_mask(t, f, "intersection").numpy().astype(int).tolist()
        [[[0, 1], [0, 0], [0, 0]]]
    """
    t = time_mask[:, :, None]
    f = freq_mask[:, None, :]
    if combine == UNION:
        return t | f
    if combine == INTERSECTION:
        return t & f
    raise ValueError(f"`combine` must be 'union' or 'intersection'. Received: combine={combine!r}")


def region_fraction(
    time_mask: TensorLike,
    freq_mask: TensorLike,
    combine: Combine,
    lengths: TensorLike | None = None,
    span: TensorLike | None = None,
) -> Tensor:
    """Exact share of the ``(time, freq)`` plane covered by ``region_mask``.

    Computed from the 1-D masks without building the 2-D mask: with ``a`` the
    masked share of frames and ``b`` that of bins, the union covers
    ``a + b - a * b`` and the intersection ``a * b`` (overlaps counted once).

    With per-example ``lengths`` the share is of each example's own
    ``lengths·freq`` cells, for a region cut to its first ``span`` frames
    (``time_mask`` must be False from ``span`` on): ``a`` counts frames over
    ``lengths`` and a frequency band covers ``span`` frames, so the union
    covers ``a + b·span/lengths − a·b``. Full lengths give the same numbers,
    bit for bit.

    Args:
        time_mask: bool ``(batch, time)``.
        freq_mask: bool ``(batch, freq)``.
        combine: ``"union"`` or ``"intersection"``.
        lengths: None, or int ``(batch,)``: each example's valid frames.
        span: int ``(batch,)``, ``<= lengths``; required with ``lengths``.

    Returns:
        float32 tensor ``(batch,)`` in ``[0, 1]``.
    """
    xp = _backend.namespace(time_mask, freq_mask, lengths, span)
    time_length = xp.cast(xp.shape(time_mask)[1], "float32")
    freq_length = xp.cast(xp.shape(freq_mask)[1], "float32")
    # An empty plane (no frame or no bin) has nothing to cover: share 0, not 0/0.
    a = xp.sum(xp.cast(time_mask, "float32"), axis=1) / xp.maximum(time_length, 1.0)
    b = xp.sum(xp.cast(freq_mask, "float32"), axis=1) / xp.maximum(freq_length, 1.0)
    b = b * xp.cast(time_length > 0, "float32")
    a = a * xp.cast(freq_length > 0, "float32")
    band = b
    if lengths is not None:
        # Rescaled by factors that are exactly 1.0 for full lengths.
        own = xp.maximum(xp.cast(lengths, "float32"), 1.0)
        a = a * (time_length / own)
        band = b * (xp.cast(span, "float32") / own)
    if combine == UNION:
        return a + band - a * b
    return a * b
