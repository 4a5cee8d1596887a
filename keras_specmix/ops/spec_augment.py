"""SpecAugment masks and the full SpecAugment chain as pure functions.

Randomness is drawn once by ``sample_*_params(seed, ...)``; ``apply_*`` are
deterministic, batched, XLA-safe functions of the input and the params, so
tests can inject exact params. Masks are intervals ``[start, start + width)``
turned into boolean masks by ``keras_specmix.ops.masks`` (broadcast index
comparisons, no loop over the batch or the masks).

Mask params layout (``groups`` is 1 when every channel shares the masks, or
the number of channels for independent masks per channel; a 2-D
``(batch, num_masks)`` array is accepted as ``groups = 1``)::

    {"freq_starts": int32 (batch, groups, num_freq_masks),
     "freq_widths": int32 (batch, groups, num_freq_masks),   # 0 = no mask
     "time_starts": int32 (batch, groups, num_time_masks),
     "time_widths": int32 (batch, groups, num_time_masks)}

SpecAugment params are the union of the mask params and the time-warp params
of ``keras_specmix.ops.warp``. Per-example lengths (valid frames) are data,
not params: they are passed to ``apply_*`` separately, and masks never touch
frames at or after an example's length.

Reference: Park et al., Interspeech 2019 (https://arxiv.org/abs/1904.08779)
and ICASSP 2020 (adaptive masks, https://arxiv.org/abs/1912.05533).
"""

import numbers
from typing import Any
from typing import Final
from typing import Literal
from typing import cast

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Granularity
from keras_specmix._typing import MaskValue
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Shape
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.ops import fusion
from keras_specmix.ops import masks
from keras_specmix.ops import mixing
from keras_specmix.ops import random as random_ops
from keras_specmix.ops import warp
from keras_specmix.ops.warp import valid_lengths

MEAN: Final = "mean"
FLOOR: Final = "floor"

#: Table 1 of Park et al. (2019): W, F, m_F, T, p, m_T.
POLICIES = {
    "LB": dict(
        time_warp_param=80,
        freq_mask_param=27,
        num_freq_masks=1,
        time_mask_param=100,
        time_mask_max_ratio=1.0,
        num_time_masks=1,
    ),
    "LD": dict(
        time_warp_param=80,
        freq_mask_param=27,
        num_freq_masks=2,
        time_mask_param=100,
        time_mask_max_ratio=1.0,
        num_time_masks=2,
    ),
    "SM": dict(
        time_warp_param=40,
        freq_mask_param=15,
        num_freq_masks=2,
        time_mask_param=70,
        time_mask_max_ratio=0.2,
        num_time_masks=2,
    ),
    "SS": dict(
        time_warp_param=40,
        freq_mask_param=27,
        num_freq_masks=2,
        time_mask_param=70,
        time_mask_max_ratio=0.2,
        num_time_masks=2,
    ),
}


def check_mask_value(mask_value: Any) -> MaskValue:
    """Returns a finite float ``mask_value`` as a float, or ``"mean"`` or ``"floor"``.

    Raises:
        TypeError: if ``mask_value`` is neither a real number nor a string.
        ValueError: for a string other than ``"mean"`` and ``"floor"``, or a
            non-finite float.
    """
    if isinstance(mask_value, str):
        return _validation.check_choice("mask_value", mask_value, {MEAN, FLOOR})
    if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
        raise TypeError(
            f"`mask_value` must be a float, 'mean' or 'floor'. Received: mask_value={mask_value!r}"
        )
    return _validation.check_float("mask_value", mask_value)


def check_log_offset(mask_value: MaskValue, log_offset: float | None) -> float | None:
    """Validates ``log_offset`` against ``mask_value``: required with ``"floor"``, else None.

    Args:
        mask_value: a checked mask value (``check_mask_value``).
        log_offset: the ``eps`` of the features' ``log(x + eps)``, or None.

    Returns:
        ``log_offset`` as a float, or None.

    Raises:
        ValueError: when ``mask_value="floor"`` comes without a ``log_offset``
            > 0, or a ``log_offset`` comes with another mask value (it would
            be ignored).

    Examples:
        >>> check_log_offset("floor", 1e-5)
        1e-05
    """
    if mask_value == FLOOR:
        if log_offset is None:
            raise ValueError(
                "`mask_value='floor'` fills masked cells with log(log_offset), the floor of "
                "log features log(x + log_offset): pass `log_offset` (1e-8 for "
                "keras_specmix.features' default front end, 1e-5 for the DCASE 2024/2025 "
                "baseline). Received: log_offset=None"
            )
        return _validation.check_float("log_offset", log_offset, 0.0, open_min=True)
    if log_offset is not None:
        raise ValueError(
            "`log_offset` is used only with mask_value='floor'; with "
            f"mask_value={mask_value!r} it would be ignored. Received: log_offset={log_offset!r}"
        )
    return None


def mask_groups(shape: Shape, per_channel: bool) -> int | Tensor:
    """Independent mask sets per example: the channels, or 1 (shared).

    Args:
        shape: the input shape, a tuple or list (``keras.ops.shape(x)``).
        per_channel: bool, whether each channel gets its own masks.

    Returns:
        An int or scalar int32 tensor.
    """
    shape = _backend.shape_tuple(shape)
    if per_channel and len(shape) == 4:
        return shape[3]
    return 1


def sample_freq_mask_params(
    seed: TensorLike,
    batch_size: TensorLike,
    freq_length: TensorLike,
    freq_mask_param: int,
    num_masks: int,
    groups: TensorLike = 1,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws frequency masks: width uniform in ``{0, ..., F}``, start uniform.

    Each of the ``num_masks`` masks of each example (and group) has a width
    ``f`` uniform on ``{0, ..., min(F, ν)}`` (inclusive, as in the paper) and
    a start uniform on ``{0, ..., ν − f}``, with ``ν = freq_length``. Masks may
    overlap.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int32 tensor.
        freq_length: int or scalar int32 tensor, ν, the number of bins.
        freq_mask_param: int >= 0, F, the largest width.
        num_masks: int >= 0, m_F.
        groups: int or scalar tensor, 1 or the number of channels.
        param_granularity: ``"example"`` or ``"batch"`` (the same masks on
            every example; groups and masks stay independent).

    Returns:
        ``{"freq_starts", "freq_widths"}``, int32 ``(batch, groups, num_masks)``.

    Raises:
        ValueError: on a negative ``freq_mask_param`` or ``num_masks``, or an
            unknown granularity.

    Examples:
        >>> p = sample_freq_mask_params([0, 2], 4, 80, 27, 2)
        >>> tuple(p["freq_widths"].shape)
        (4, 1, 2)
    """
    freq_mask_param = _validation.check_int("freq_mask_param", freq_mask_param, minimum=0)
    num_masks = _validation.check_int("num_masks", num_masks, minimum=0)
    xp = _backend.namespace(seed, batch_size, freq_length, groups)
    seed_width, seed_start = xp.split(seed, 2)
    shape = [batch_size, groups, num_masks]
    high = xp.minimum(freq_mask_param, xp.cast(freq_length, "int32"))
    widths = random_ops.uniform_int(seed_width, shape, 0, high, param_granularity)
    starts = masks.sample_starts(seed_start, widths, freq_length, param_granularity)
    return {"freq_starts": starts, "freq_widths": widths}


def sample_time_mask_params(
    seed: TensorLike,
    batch_size: TensorLike,
    lengths: TensorLike,
    time_mask_param: int,
    num_masks: int,
    time_mask_max_ratio: float = 1.0,
    count_ratio: float | None = None,
    size_ratio: float | None = None,
    groups: TensorLike = 1,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws time masks inside each example's valid frames.

    For an example with ``L`` valid frames, each mask's width is uniform on
    ``{0, ..., min(T, ⌊p·L⌋)}`` and its start uniform on ``{0, ..., L − w}``.
    Adaptive SpecAugment (Park et al., 2020): with ``size_ratio`` (p_S) the
    size bound is ``T = ⌊p_S·L⌋`` instead of ``time_mask_param``; with
    ``count_ratio`` (p_M) the example gets ``min(⌊p_M·L⌋, num_masks)`` masks
    (``num_masks`` is then the cap), the others have width 0.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int32 tensor.
        lengths: int32 ``(batch,)``, valid frames per example.
        time_mask_param: int >= 0, T, the largest width.
        num_masks: int >= 0, m_T (the cap when ``count_ratio`` is given).
        time_mask_max_ratio: float in [0, 1], p. Defaults to 1.0.
        count_ratio: float in [0, 1] or None, p_M. Defaults to None.
        size_ratio: float in [0, 1] or None, p_S. Defaults to None.
        groups: int or scalar tensor, 1 or the number of channels.
        param_granularity: ``"example"`` or ``"batch"`` (one width and one
            start draw per mask for the batch: the same masks on examples of
            the same length).

    Returns:
        ``{"time_starts", "time_widths"}``, int32 ``(batch, groups, num_masks)``.

    Raises:
        ValueError: on an out-of-range argument or an unknown granularity.

    Examples:
        >>> import numpy as np
        >>> p = sample_time_mask_params([0, 3], 2, np.array([400, 50]), 100, 2,
        ...                             time_mask_max_ratio=0.2)
        >>> bool(np.all(np.asarray(p["time_widths"][1]) <= 10))
        True
    """
    time_mask_param = _validation.check_int("time_mask_param", time_mask_param, minimum=0)
    num_masks = _validation.check_int("num_masks", num_masks, minimum=0)
    _validation.check_float("time_mask_max_ratio", time_mask_max_ratio, 0.0, 1.0)
    for name, ratio in (("count_ratio", count_ratio), ("size_ratio", size_ratio)):
        if ratio is not None:
            _validation.check_float(name, ratio, 0.0, 1.0)
    xp = _backend.namespace(seed, batch_size, lengths, groups)
    seed_width, seed_start = xp.split(seed, 2)
    lengths = xp.cast(lengths, "int32")
    if size_ratio is None:
        size = xp.full(xp.shape(lengths), int(time_mask_param), dtype="int32")
    else:
        size = _floor_share(size_ratio, lengths)
    high = xp.minimum(size, _floor_share(time_mask_max_ratio, lengths))
    shape = [batch_size, groups, num_masks]
    widths = random_ops.uniform_int(seed_width, shape, 0, high[:, None, None], param_granularity)
    if count_ratio is not None:
        count = xp.minimum(_floor_share(count_ratio, lengths), num_masks)
        active = xp.arange(num_masks, dtype="int32")[None, None, :] < count[:, None, None]
        widths = xp.where(active, widths, 0)
    starts = masks.sample_starts(seed_start, widths, lengths[:, None, None], param_granularity)
    return {"time_starts": starts, "time_widths": widths}


def _floor_share(ratio, lengths):
    """``floor(ratio · length)`` exactly as Python computes it (float64)."""
    return mixing.band_width(float(ratio), lengths)


def _axis_mask(params, prefix, batch_size, length):
    """bool ``(batch, length, groups)`` from ``{prefix}_starts/widths``, or an
    empty ``(batch, length, 1)`` mask when the params have none."""
    xp = _backend.namespace(batch_size, length)
    if prefix + "_starts" not in params:
        return xp.zeros((batch_size, length, 1), "bool")
    starts = xp.convert_to_tensor(params[prefix + "_starts"])
    widths = xp.convert_to_tensor(params[prefix + "_widths"])
    if len(starts.shape) == 2:
        starts, widths = starts[:, None, :], widths[:, None, :]
    mask = masks.interval_mask(starts, widths, length)  # (batch, groups, L)
    return xp.transpose(mask, (0, 2, 1))


def fill_value(
    x: Array,
    mask_value: MaskValue | Tensor,
    lengths: TensorLike | None = None,
    log_offset: float | None = None,
) -> Tensor:
    """The value masked cells get: a constant, each example's own mean, or the log floor.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        mask_value: a float; ``"mean"``: the mean of each example (of each
            channel for rank-4 input) over the finite cells of its valid
            frames, computed in float32 (0 when no cell is finite); or
            ``"floor"``: ``log_floor(x, log_offset)``, the value ``log(p +
            log_offset)`` takes where the power ``p`` is 0: masking log
            features with it equals masking the power with 0 before the log
            (the DCASE 2024/2025 baseline masks its mel power before
            ``log(x + 1e-5)``); or a scalar tensor (a fill resolved by
            ``resolve_fill``).
        lengths: int ``(batch,)`` or None, valid frames per example.
        log_offset: float > 0, the ``eps`` of ``log(x + eps)``; required with
            ``"floor"``, None otherwise.

    Returns:
        A tensor of ``x.dtype`` that broadcasts against ``x``.

    Examples:
        >>> import numpy as np
        >>> x = np.array([[[1.0], [3.0], [100.0]]], "float32")
        >>> np.asarray(fill_value(x, "mean", lengths=[2])).ravel().tolist()
        [2.0]
        >>> round(float(fill_value(x, "floor", log_offset=1e-5)), 4)  # log(1e-5)
        -11.5129
    """
    xp = _backend.namespace(x, lengths)
    x = xp.convert_to_tensor(x)
    if not isinstance(mask_value, (str, int, float)):
        return xp.cast(mask_value, x.dtype)  # a fill resolved by ``resolve_fill``
    mask_value = check_mask_value(mask_value)
    log_offset = check_log_offset(mask_value, log_offset)
    if mask_value == FLOOR:
        return log_floor(x, cast(float, log_offset))  # check_log_offset: a float with "floor"
    if mask_value != MEAN:
        return xp.convert_to_tensor(mask_value, x.dtype)
    frames = valid_lengths(x, lengths)
    valid = xp.arange(xp.shape(x)[1], dtype="int32")[None, :] < frames[:, None]
    valid = valid[:, :, None] if len(x.shape) == 3 else valid[:, :, None, None]
    values = xp.cast(x, "float32")
    # Only finite cells count: -inf padding or dB floors must not turn the
    # mean (and so every masked cell) into -inf or NaN.
    counted = valid & xp.isfinite(values)
    total = xp.sum(xp.where(counted, values, 0.0), axis=(1, 2), keepdims=True)
    count = xp.sum(xp.cast(counted, "float32"), axis=(1, 2), keepdims=True)
    return xp.cast(total / xp.maximum(count, 1.0), x.dtype)


def log_floor(x: Tensor, log_offset: float) -> Tensor:
    """``log(0 + log_offset)`` in ``x``'s dtype, by ``x``'s backend: the floor of ``log(p + eps)``.

    Computed as element 0 of the log of a 64-element vector: TensorFlow's CPU
    log kernel rounds vectorised elements (every full SIMD packet of a
    tensor) and its scalar path one float32 ulp apart for some inputs
    (``log(1e-5)``: −11.5129261 against −11.5129251), and log features come
    from the vectorised path. Inside XLA this value may be constant-folded,
    correctly rounded; ``apply_masks`` computes it before its XLA-fused part.

    Args:
        x: a tensor whose backend and dtype the floor takes.
        log_offset: float > 0, the ``eps`` of ``log(p + eps)``.

    Returns:
        A scalar tensor of ``x``'s dtype.

    Examples:
        >>> float(log_floor(tf.zeros([1]), 1e-8)) == float(tf.math.log(tf.fill([64], 1e-8))[0])
        True
    """
    xp = _backend.namespace(x)
    return xp.log(xp.full((64,), log_offset, x.dtype))[0]


def resolve_fill(
    x: Array, mask_value: MaskValue, log_offset: float | None = None
) -> float | Literal["mean"] | Tensor:
    """``mask_value`` checked, with ``"floor"`` replaced by ``log_floor(x, log_offset)``.

    Examples:
        >>> resolve_fill(tf.zeros([1]), "mean")
        'mean'
    """
    mask_value = check_mask_value(mask_value)
    log_offset = check_log_offset(mask_value, log_offset)
    if mask_value == FLOOR:
        return log_floor(_backend.namespace(x).convert_to_tensor(x), cast(float, log_offset))
    return mask_value


def masked_region(x: Array, params: ParamsLike, lengths: TensorLike | None = None) -> Tensor:
    """bool mask of the cells SpecAugment's masks cover, inside valid frames.

    The union of the time masks (full-height) and the frequency masks
    (full-length, over the valid frames only), per example and group.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        params: mask params (see the module docstring); either axis may be
            missing.
        lengths: int ``(batch,)`` or None.

    Returns:
        bool ``(batch, time, freq)`` for rank-3 ``x``, ``(batch, time, freq,
        groups)`` for rank-4 ``x`` (broadcasts over channels when groups is 1).
    """
    xp = _backend.namespace(x, lengths)
    shape = xp.shape(x)
    time_mask = _axis_mask(params, "time", shape[0], shape[1])
    freq_mask = _axis_mask(params, "freq", shape[0], shape[2])
    region = masks.region_mask(time_mask, freq_mask, masks.UNION)
    valid = xp.arange(shape[1], dtype="int32")[None, :] < valid_lengths(x, lengths)[:, None]
    region = region & valid[:, :, None, None]
    if len(x.shape) == 3:
        region = region[..., 0]
    return region


def apply_masks(
    x: Array,
    params: ParamsLike,
    mask_value: MaskValue | Tensor = 0.0,
    lengths: TensorLike | None = None,
    log_offset: float | None = None,
) -> Tensor:
    """Sets the masked cells to ``mask_value``, leaving everything else as is.

    A select (``keras_specmix.ops.masks.select``), exact for any ``x``:
    unmasked cells and padded frames come back bit for bit.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        params: mask params (see the module docstring).
        mask_value: float, ``"mean"`` or ``"floor"`` (see ``fill_value``).
            Defaults to 0.0.
        lengths: int ``(batch,)`` or None, valid frames per example.
        log_offset: float > 0 with ``mask_value="floor"``, else None.

    Returns:
        A tensor shaped and typed like ``x``.

    Examples:
        >>> import numpy as np
        >>> x = np.ones([1, 4, 3], "float32")
        >>> p = {"time_starts": [[1]], "time_widths": [[2]],
        ...      "freq_starts": [[0]], "freq_widths": [[1]]}
        >>> np.asarray(apply_masks(x, p))[0].astype(int).tolist()
        [[0, 1, 1], [0, 0, 0], [0, 0, 0], [0, 1, 1]]
    """
    return _apply_masks(x, params, resolve_fill(x, mask_value, log_offset), lengths)


@fusion.fused
def _apply_masks(x, params, mask_value, lengths):
    region = masked_region(x, params, lengths)
    return masks.select(region, fill_value(x, mask_value, lengths), x)


def sample_spec_augment_params(
    seed: TensorLike,
    shape: Shape,
    lengths: TensorLike | None = None,
    time_warp_param: int = 80,
    freq_mask_param: int = 27,
    num_freq_masks: int = 2,
    time_mask_param: int = 100,
    num_time_masks: int = 2,
    time_mask_max_ratio: float = 1.0,
    time_mask_count_ratio: float | None = None,
    time_mask_size_ratio: float | None = None,
    per_channel: bool = False,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws the warp and both kinds of masks (defaults: policy LD).

    Args:
        seed: shape-``[2]`` integer seed.
        shape: the input shape, a tuple or list ``(batch, time, freq[,
            channels])`` (``keras.ops.shape(x)``; a 1-D int tensor is accepted).
        lengths: int ``(batch,)`` or None, valid frames per example.
        time_warp_param: int >= 0, W. Defaults to 80.
        freq_mask_param: int >= 0, F. Defaults to 27.
        num_freq_masks: int >= 0, m_F. Defaults to 2.
        time_mask_param: int >= 0, T. Defaults to 100.
        num_time_masks: int >= 0, m_T. Defaults to 2.
        time_mask_max_ratio: float in [0, 1], p. Defaults to 1.0.
        time_mask_count_ratio: float or None, p_M. Defaults to None.
        time_mask_size_ratio: float or None, p_S. Defaults to None.
        per_channel: bool, independent masks per channel (rank-4 shapes).
        param_granularity: ``"example"`` or ``"batch"`` (one warp and one
            set of masks for the batch).

    Returns:
        A dict with the warp params and the mask params.

    Raises:
        ValueError: on an out-of-range argument or an unknown granularity.

    Examples:
        >>> p = sample_spec_augment_params([1, 2], (8, 400, 128, 3))
        >>> sorted(p)  # doctest: +NORMALIZE_WHITESPACE
        ['freq_starts', 'freq_widths', 'time_starts', 'time_widths',
         'warp_anchors', 'warp_shifts']
    """
    shape = _backend.shape_tuple(shape)
    xp = _backend.namespace(seed, lengths, *shape)
    batch_size = shape[0]
    if lengths is None:
        lengths = xp.full((batch_size,), shape[1], dtype="int32")
    lengths = xp.clip(xp.cast(lengths, "int32"), 0, shape[1])
    groups = mask_groups(shape, per_channel)
    seed_warp, seed_freq, seed_time = xp.split(seed, 3)
    params = warp.sample_time_warp_params(
        seed_warp, batch_size, lengths, time_warp_param, param_granularity
    )
    params.update(
        sample_freq_mask_params(
            seed_freq,
            batch_size,
            shape[2],
            freq_mask_param,
            num_freq_masks,
            groups,
            param_granularity,
        )
    )
    params.update(
        sample_time_mask_params(
            seed_time,
            batch_size,
            lengths,
            time_mask_param,
            num_time_masks,
            time_mask_max_ratio,
            time_mask_count_ratio,
            time_mask_size_ratio,
            groups,
            param_granularity,
        )
    )
    return params


def apply_spec_augment(
    x: Array,
    params: ParamsLike,
    mask_value: MaskValue | Tensor = 0.0,
    lengths: TensorLike | None = None,
    log_offset: float | None = None,
) -> Tensor:
    """Time warp, then frequency and time masks (the paper's order).

    Masks are applied together, so with ``mask_value="mean"`` every masked
    cell gets the mean of the warped example.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        params: as from ``sample_spec_augment_params``; the warp keys may be
            absent (no warp).
        mask_value: float, ``"mean"`` or ``"floor"``. Defaults to 0.0.
        lengths: int ``(batch,)`` or None, valid frames per example.
        log_offset: float > 0 with ``mask_value="floor"``, else None.

    Returns:
        A tensor shaped and typed like ``x``.

    Examples:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(2, 100, 40, 3)).astype("float32")
        >>> p = sample_spec_augment_params([0, 0], x.shape, time_warp_param=10,
        ...                                freq_mask_param=8, time_mask_param=20)
        >>> tuple(apply_spec_augment(x, p).shape)
        (2, 100, 40, 3)
    """
    return _apply_spec_augment(x, params, resolve_fill(x, mask_value, log_offset), lengths)


@fusion.fused
def _apply_spec_augment(x, params, mask_value, lengths):
    if "warp_anchors" in params:
        x = warp.apply_time_warp(x, params, lengths)
    return _apply_masks(x, params, mask_value, lengths)


def _uncompiled_masks(x, params, mask_value=0.0, lengths=None, log_offset=None):
    fill = resolve_fill(x, mask_value, log_offset)
    return _apply_masks.uncompiled(x, params, fill, lengths)


def _uncompiled_spec_augment(x, params, mask_value=0.0, lengths=None, log_offset=None):
    fill = resolve_fill(x, mask_value, log_offset)
    return _apply_spec_augment.uncompiled(x, params, fill, lengths)


# The plain-ops versions, as ``fusion.fused`` functions have (tests/ops/test_fusion.py).
apply_masks.uncompiled = _uncompiled_masks  # type: ignore[attr-defined]
apply_spec_augment.uncompiled = _uncompiled_spec_augment  # type: ignore[attr-defined]
