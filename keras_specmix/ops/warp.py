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
  ``src(t)``: two ``tf.gather`` calls and a blend, O(time · freq) per example
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
from keras_specmix.ops import fusion
from keras_specmix.ops import masks
from keras_specmix.ops import random as random_ops


def valid_lengths(x, lengths=None):
    """Per-example number of valid frames, int32 ``(batch,)``, in ``[0, time]``.

    Args:
        x: tensor ``(batch, time, ...)``.
        lengths: int tensor ``(batch,)`` or None (every frame is valid).

    Returns:
        int32 tensor ``(batch,)``.

    Examples:
        >>> valid_lengths(tf.zeros([2, 5, 3]), [3, 9]).numpy().tolist()
        [3, 5]
    """
    shape = tf.shape(x)
    if lengths is None:
        return tf.fill([shape[0]], shape[1])
    lengths = tf.convert_to_tensor(lengths)
    if lengths.shape.rank != 1:
        raise ValueError(
            f"`lengths` must have shape (batch,). Received: lengths.shape={lengths.shape}"
        )
    return tf.clip_by_value(tf.cast(lengths, tf.int32), 0, shape[1])


def sample_time_warp_params(seed, batch_size, lengths, time_warp_param):
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

    Returns:
        ``{"warp_anchors": int32 (batch,), "warp_shifts": int32 (batch,)}``.

    Examples:
        >>> p = sample_time_warp_params([0, 1], 3, tf.constant([100, 100, 4]), 5)
        >>> int(p["warp_shifts"][2])
        0
    """
    w = _validation.check_int("time_warp_param", time_warp_param, minimum=0)
    lengths = tf.cast(lengths, tf.int32)
    seed_anchor, seed_shift = random_ops.split_seed(seed, 2)
    can_warp = (lengths >= 2 * w + 3) & (w > 0)
    anchors = random_ops.uniform_int(
        seed_anchor, [batch_size], w + 1, tf.maximum(lengths - w - 2, w + 1)
    )
    shifts = random_ops.uniform_int(seed_shift, [batch_size], -w, w)
    return {
        "warp_anchors": tf.where(can_warp, anchors, 0),
        "warp_shifts": tf.where(can_warp, shifts, 0),
    }


def warp_source_positions(params, lengths, time_length):
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
        >>> p = {"warp_anchors": tf.constant([2]), "warp_shifts": tf.constant([2])}
        >>> warp_source_positions(p, tf.constant([7]), 7).numpy().tolist()
        [[0.0, 0.5, 1.0, 1.5, 2.0, 4.0, 6.0]]
    """
    a = tf.cast(params["warp_anchors"], tf.float32)[:, tf.newaxis]
    d = a + tf.cast(params["warp_shifts"], tf.float32)[:, tf.newaxis]
    length = tf.cast(lengths, tf.float32)[:, tf.newaxis]
    last = length - 1.0
    t = tf.cast(tf.range(time_length), tf.float32)[tf.newaxis, :]
    # Products before divisions: integer-valued operands keep the identity
    # map (d == a) and both end points exact in float32.
    left = t * a / tf.maximum(d, 1.0)
    right = a + (t - d) * (last - a) / tf.maximum(last - d, 1.0)
    src = tf.where(t <= d, left, right)
    return tf.where(t < length, src, t)


@fusion.fused
def apply_time_warp(x, params, lengths=None):
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
        >>> x = tf.reshape(tf.range(7, dtype=tf.float32) * 10.0, [1, 7, 1])
        >>> p = {"warp_anchors": tf.constant([2]), "warp_shifts": tf.constant([2])}
        >>> apply_time_warp(x, p).numpy().ravel().tolist()
        [0.0, 5.0, 10.0, 15.0, 20.0, 40.0, 60.0]
    """
    time_length = tf.shape(x)[1]
    src = warp_source_positions(params, valid_lengths(x, lengths), time_length)
    src = tf.clip_by_value(src, 0.0, tf.cast(time_length - 1, tf.float32))
    low = tf.floor(src)
    index = tf.cast(low, tf.int32)
    upper = tf.minimum(index + 1, time_length - 1)
    frac = tf.cast(src - low, x.dtype)
    frac = tf.reshape(frac, tf.concat([tf.shape(frac), [1] * (x.shape.rank - 2)], 0))
    x_low = tf.gather(x, index, axis=1, batch_dims=1)
    x_high = tf.gather(x, upper, axis=1, batch_dims=1)
    # A blend exact where f = 0 (the identity, also for ±inf) that never
    # makes a NaN out of -inf padding or dB floors.
    return masks.blend(x_high, x_low, frac)
