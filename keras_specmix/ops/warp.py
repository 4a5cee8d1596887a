"""SpecAugment time warp: a per-example piecewise-linear resampling of time.

Park et al. (2019) warp the time axis with ``sparse_image_warp``; their
large-scale follow-up (Park et al., 2020) and Lingvo define the warp as a
piecewise-linear map instead, which is what this module implements. Per
example, with ``L`` valid frames indexed ``0 .. L - 1``:

* an anchor frame ``a`` and a shift ``s``; the anchor moves to ``d = a + s``;
* output frame ``t`` reads the source position ``src(t)`` given by the
  piecewise-linear map through ``(0, 0)``, ``(d, a)`` and ``(L-1, L-1)``, so
  the first and last valid frames stay where they are;
* the output is the linear interpolation of the two source frames around
  ``src(t)``: two gathers and a blend, O(time · freq) per example
  (no ``sparse_image_warp``, no time × time matrix).

Frames at or after ``L`` (padding) are copied unchanged. A shift of 0 is the
identity, bit for bit on finite input.

Params layout::

    {"warp_anchors": int32 (batch,),   # a, the frame that moves
     "warp_shifts":  int32 (batch,)}   # s, where it moves: d = a + s

Reference: Park et al., "SpecAugment on Large Scale Datasets", ICASSP
2020 (https://arxiv.org/abs/1912.05533), and Lingvo's
``spectrum_augmenter.py``.
"""

import tensorflow as tf

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Granularity
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.ops import fusion
from keras_specmix.ops import masks
from keras_specmix.ops import random as random_ops


def valid_lengths(x: Array, lengths: TensorLike | None = None) -> Tensor:
    """Per-example number of valid frames, int32 ``(batch,)``, in ``[0, time]``.

    Args:
        x: tensor ``(batch, time, ...)``.
        lengths: int tensor ``(batch,)`` or None (every frame is valid).

    Returns:
        int32 tensor ``(batch,)``.

    Examples:
        >>> import numpy as np
        >>> np.asarray(valid_lengths(np.zeros([2, 5, 3]), [3, 9])).tolist()
        [3, 5]
    """
    xp = _backend.namespace(x, lengths)
    shape = xp.shape(x)
    if lengths is None:
        return xp.full((shape[0],), shape[1], dtype="int32")
    given = xp.convert_to_tensor(lengths)
    if len(given.shape) != 1:
        raise ValueError(
            f"`lengths` must have shape (batch,). Received: lengths.shape={tuple(given.shape)}"
        )
    return xp.clip(xp.cast(given, "int32"), 0, shape[1])


def sample_time_warp_params(
    seed: TensorLike,
    batch_size: TensorLike,
    lengths: TensorLike,
    time_warp_param: int,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws one anchor and one shift per example.

    For an example with ``L`` valid frames and ``W = time_warp_param``: the
    anchor ``a`` is uniform on the integers of ``[W + 1, L - W - 2]`` (the
    paper's open interval ``(W, τ − W)`` with the last frame at ``τ − 1``, so
    the anchor and its destination stay strictly inside the clip) and the
    shift ``s`` is uniform on ``{−W, ..., W}``. Examples too short for that
    (``L < 2W + 3``), and every example when ``W = 0``, get ``s = 0``: no warp.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int32 tensor.
        lengths: int32 ``(batch,)``, valid frames per example (see
            ``valid_lengths``).
        time_warp_param: int >= 0, W, the largest shift in frames.
        param_granularity: ``"example"`` or ``"batch"`` (one anchor draw and
            one shift for the batch: the same warp on examples of the same
            length).

    Returns:
        ``{"warp_anchors": int32 (batch,), "warp_shifts": int32 (batch,)}``.

    Examples:
        >>> import numpy as np
        >>> p = sample_time_warp_params([0, 1], 3, np.array([100, 100, 4]), 5)
        >>> int(p["warp_shifts"][2])
        0
    """
    w = _validation.check_int("time_warp_param", time_warp_param, minimum=0)
    xp = _backend.namespace(seed, batch_size, lengths)
    lengths = xp.cast(lengths, "int32")
    seed_anchor, seed_shift = xp.split(seed, 2)
    can_warp = (lengths >= 2 * w + 3) & (w > 0)
    anchors = random_ops.uniform_int(
        seed_anchor, [batch_size], w + 1, xp.maximum(lengths - w - 2, w + 1), param_granularity
    )
    shifts = random_ops.uniform_int(seed_shift, [batch_size], -w, w, param_granularity)
    return {
        "warp_anchors": xp.where(can_warp, anchors, 0),
        "warp_shifts": xp.where(can_warp, shifts, 0),
    }


def warp_source_positions(
    params: ParamsLike, lengths: TensorLike, time_length: TensorLike
) -> Tensor:
    """The map ``src(t)``: source position read by each output frame.

    Args:
        params: ``{"warp_anchors", "warp_shifts"}``, int ``(batch,)``; the
            anchor and destination must lie in ``[0, L - 1]``.
        lengths: int32 ``(batch,)``, valid frames per example.
        time_length: int or scalar int32 tensor, the padded time length.

    Returns:
        float32 ``(batch, time)``: ``src(t)`` for valid frames, ``t`` for
        padded frames.

    Examples:
        >>> import numpy as np
        >>> p = {"warp_anchors": np.array([2]), "warp_shifts": np.array([2])}
        >>> np.asarray(warp_source_positions(p, np.array([7]), 7)).tolist()
        [[0.0, 0.5, 1.0, 1.5, 2.0, 4.0, 6.0]]
    """
    xp = _backend.namespace(params["warp_anchors"], params["warp_shifts"], lengths, time_length)
    a = xp.cast(params["warp_anchors"], "float32")[:, None]
    d = a + xp.cast(params["warp_shifts"], "float32")[:, None]
    length = xp.cast(lengths, "float32")[:, None]
    last = length - 1.0
    t = xp.cast(xp.arange(time_length), "float32")[None, :]
    # Products before divisions: integer-valued operands keep the identity
    # map (d == a) and both end points exact in float32.
    left = t * a / xp.maximum(d, 1.0)
    right = a + (t - d) * (last - a) / xp.maximum(last - d, 1.0)
    src = xp.where(t <= d, left, right)
    return xp.where(t < length, src, t)


@fusion.fused
def apply_time_warp(x: Array, params: ParamsLike, lengths: TensorLike | None = None) -> Tensor:
    """Resamples each example's time axis under its piecewise-linear warp.

    ``out[b, t] = (1 − f)·x[b, i] + f·x[b, i + 1]`` with ``i = floor(src(t))``
    and ``f = src(t) − i`` (see ``warp_source_positions``), on every
    frequency bin and channel; ``f = 0`` copies ``x[b, i]`` exactly, and
    non-finite values never produce a NaN (``keras_specmix.ops.masks.blend``).
    Padded frames (``t >= lengths[b]``) are returned unchanged.

    Args:
        x: float ``(batch, time, freq[, channels])``; ``time`` may be unknown.
        params: ``{"warp_anchors", "warp_shifts"}`` as from
            ``sample_time_warp_params``.
        lengths: int ``(batch,)`` or None, valid frames per example.

    Returns:
        A tensor shaped and typed like ``x``.

    Examples:
        >>> import numpy as np
        >>> x = np.arange(7, dtype="float32").reshape([1, 7, 1]) * 10.0
        >>> p = {"warp_anchors": np.array([2]), "warp_shifts": np.array([2])}
        >>> np.asarray(apply_time_warp(x, p)).ravel().tolist()
        [0.0, 5.0, 10.0, 15.0, 20.0, 40.0, 60.0]
    """
    xp = _backend.namespace(x)
    x = xp.convert_to_tensor(x)
    rank = len(x.shape)
    time_length = xp.shape(x)[1]
    src = warp_source_positions(params, valid_lengths(x, lengths), time_length)
    src = xp.clip(src, 0.0, xp.cast(time_length - 1, "float32"))
    low = xp.floor(src)
    index = xp.cast(low, "int32")
    upper = xp.minimum(index + 1, time_length - 1)
    over_bins = (...,) + (None,) * (rank - 2)  # broadcast over freq[, channels]
    frac = xp.cast(src - low, x.dtype)[over_bins]
    x_low = _gather_frames(xp, x, index)
    x_high = _gather_frames(xp, x, upper)
    # A blend exact where f = 0 (the identity, also for ±inf) that never
    # makes a NaN out of -inf padding or dB floors.
    return masks.blend(x_high, x_low, frac)


def _gather_frames(xp, x, index):
    """``x[b, index[b, t]]`` for every frame ``t``: int32 ``index`` ``(batch, time)``."""
    if xp.name == _backend.TENSORFLOW:
        # The same values; TensorFlow's batched gather of whole frames is
        # 30-50x faster under XLA than take_along_axis's per-cell gather.
        return tf.gather(x, index, axis=1, batch_dims=1)
    # Whole frames by row index into (batch · time, ...): no per-cell index
    # tensor (take_along_axis would build one the size of x, in int64 on torch).
    shape = xp.shape(x)
    flat = xp.reshape(x, (-1,) + tuple(shape[2:]))
    offsets = xp.arange(shape[0], dtype="int32")[:, None] * shape[1]
    rows = xp.reshape(xp.cast(index, "int32") + offsets, (-1,))
    return xp.reshape(xp.take(flat, rows, axis=0), shape)
