"""Freq-MixStyle: mix per-frequency statistics of two examples, labels untouched.

MixStyle (Zhou et al., ICLR 2021) normalises a feature map by its
per-channel instance statistics and re-scales it with a convex mix of its own
statistics and another example's. Freq-MixStyle (Kim et al. and Schmid et
al., CP-JKU, DCASE 2022-2024 Task 1 and the DCASE 2024 baseline) takes the
statistics *per frequency bin*, over time, instead: for example ``b`` with
partner ``p``, on each frequency bin ``f`` (and channel ``c``)::

    mu_b[f]  = mean_t x_b[t, f]
    sig_b[f] = sqrt(var_t x_b[t, f] + eps)        # unbiased variance (torch.var)
    x_out[t, f] = (x_b[t, f] − mu_b[f]) / sig_b[f]
                  · (λ_b·sig_b[f] + (1 − λ_b)·sig_p[f])
                  + (λ_b·mu_b[f]  + (1 − λ_b)·mu_p[f])

with ``λ_b ~ Beta(α, α)`` per example (the authors: α = 0.3) and the
statistics treated as constants for gradients (``.detach()`` in the
authors' code, ``stop_gradient`` here). The authors' function
(``mixstyle`` in CP-JKU's ``cpjku_dcase23`` / ``dcase2024_task1_baseline``
``helpers/utils.py``) reduces over ``dim=[1, 3]`` of a ``(batch, channels,
freq, time)`` tensor, i.e. over channels and time together; their inputs
have one channel, so per-channel statistics (the default here,
``per_channel=True``) are the same thing. ``per_channel=False`` pools the
channels as they do.

Params layout::

    {"partner": int32 (batch,),   # the example whose statistics are mixed in
     "lam":     float32 (batch,)} # λ; 1 where the example is left unchanged

An example with λ = 1, or paired with itself (a batch of one), comes back
bit for bit. Padded batches: with ``lengths`` the statistics use each
example's valid frames only (its partner's likewise), padding frames are
returned unchanged, and an example or partner without valid frames leaves
the example unchanged.
"""

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Granularity
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.ops import _common
from keras_specmix.ops import fusion
from keras_specmix.ops import random as random_ops


def sample_freq_mixstyle_params(
    seed: TensorLike,
    batch_size: TensorLike,
    alpha: float = 0.3,
    prob: float = 0.4,
    gate_granularity: Granularity = random_ops.EXAMPLE,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws Freq-MixStyle params: a partner and λ ~ Beta(α, α) per example.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int tensor.
        alpha: float > 0, the Beta concentration (CP-JKU: 0.3).
        prob: float in [0, 1], probability that an example is mixed (CP-JKU:
            0.4). The others get λ = 1.
        gate_granularity: ``"example"`` (a ``prob`` draw per example) or
            ``"batch"`` (one draw: the whole batch is mixed or none of it,
            as in the DCASE baseline).
        param_granularity: ``"example"`` (a λ per example, the DCASE
            baseline) or ``"batch"`` (one λ for the batch).

    Returns:
        ``{"partner": int32 (batch,), "lam": float32 (batch,)}``.

    Raises:
        ValueError: on an out-of-range ``alpha`` or ``prob``, or an unknown
            granularity.

    Examples:
        >>> p = sample_freq_mixstyle_params([1, 2], 4, alpha=0.3, prob=1.0)
        >>> sorted(p["partner"].numpy().tolist()), p["lam"].shape
        ([0, 1, 2, 3], TensorShape([4]))
    """
    alpha = _validation.check_float("alpha", alpha, 0.0, open_min=True)
    prob = _validation.check_float("prob", prob, 0.0, 1.0)
    xp = _backend.namespace(seed, batch_size)
    seed_lam, seed_skip, seed_partner = xp.split(seed, 3)
    lam = random_ops.stateless_beta(seed_lam, [batch_size], alpha, granularity=param_granularity)
    applied = random_ops.gate(seed_skip, batch_size, prob, gate_granularity)
    lam = xp.where(applied, lam, 1.0)
    return {"partner": random_ops.pair_indices(seed_partner, batch_size), "lam": lam}


def frequency_statistics(
    x: Array, valid: TensorLike | None = None, eps: float = 1e-6, per_channel: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    """Per-frequency mean and standard deviation over time (valid frames only).

    Args:
        x: float ``(batch, time, freq)`` or ``(batch, time, freq, channels)``.
        valid: None or bool ``(batch, time)``, the frames to use.
        eps: added to the variance before the square root.
        per_channel: statistics per channel (True) or pooled over channels.

    Returns:
        ``(mean, std, count)``: ``mean`` and ``std`` shaped ``(batch, 1,
        freq[, channels or 1])`` in float32 (float64 for float64 ``x``);
        ``count`` float ``(batch,)``, the number of values per statistic.
        The variance is unbiased (divided by ``count − 1``, as ``torch.var``),
        0 for a single value.
    """
    xp = _backend.namespace(x)
    dtype = _common.compute_dtype(x)
    x = xp.cast(x, dtype)
    rank = len(x.shape)
    pooled = rank == 4 and not per_channel
    channels = xp.shape(x)[3] if pooled else 1
    if valid is None:
        valid = _common.valid_frames(xp, x, None)
    # Values per statistic: valid frames (times channels when pooled), (batch,).
    count = xp.cast(xp.sum(xp.cast(valid, "int32"), axis=1) * channels, dtype)
    weight = _common.trailing(xp, xp.cast(valid, dtype), rank)  # (batch, time, 1[, 1])
    per_stat = _common.trailing(xp, count, rank)
    mean = _time_sum(xp, x * weight, pooled) / xp.maximum(per_stat, 1.0)
    centred = (x - mean) * weight
    var = _time_sum(xp, centred * centred, pooled) / xp.maximum(per_stat - 1.0, 1.0)
    std = xp.sqrt(var + eps)
    return xp.stop_gradient(mean), xp.stop_gradient(std), count


#: Frames added elementwise per block before the sum over blocks (TensorFlow).
_BLOCK = 8


def _time_sum(xp, values, pooled):
    """Sum over time (and channels when ``pooled``), keeping the dimensions.

    On TensorFlow with a static time length the sum is taken in two steps:
    blocks of ``_BLOCK`` consecutive frames are added elementwise, then the
    block sums (an eighth of the data) are reduced. TensorFlow's XLA on CPU
    reduces over a middle axis ~4x slower than it copies, while the
    elementwise adds run at copy speed and fuse with the producer of
    ``values``, so each statistic costs one read of the batch
    (``benchmarks/bench_layers.py``). The result differs from a one-step
    sum only by the order of the float additions.
    """
    axes = (1, 3) if pooled else (1,)
    time_length = values.shape[1]
    if xp.name != _backend.TENSORFLOW or not isinstance(time_length, int):
        return xp.sum(values, axis=axes, keepdims=True)
    blocks = time_length // _BLOCK
    if blocks < 2:
        return xp.sum(values, axis=axes, keepdims=True)
    batch = xp.shape(values)[0]
    bins = tuple(values.shape[2:])
    head = xp.reshape(values[:, : blocks * _BLOCK], (batch, blocks, _BLOCK) + bins)
    partial = head[:, :, 0]
    for j in range(1, _BLOCK):
        partial = partial + head[:, :, j]
    # The sum over blocks as a product with ones: XLA hands it to its fast dot.
    width = 1
    for size in bins:
        width *= size
    ones = xp.ones((batch, 1, blocks), values.dtype)
    total = xp.reshape(
        xp.matmul(ones, xp.reshape(partial, (batch, blocks, width))), (batch, 1) + bins
    )
    if time_length % _BLOCK:
        total = total + xp.sum(values[:, blocks * _BLOCK :], axis=1, keepdims=True)
    if pooled:
        total = xp.sum(total, axis=3, keepdims=True)
    return total


@fusion.fused
def apply_freq_mixstyle(
    x: Array,
    params: ParamsLike,
    eps: float = 1e-6,
    per_channel: bool = True,
    lengths: TensorLike | None = None,
) -> Tensor:
    """Applies Freq-MixStyle params (see the module docstring).

    Args:
        x: float ``(batch, time, freq)`` or ``(batch, time, freq, channels)``.
        params: ``{"partner", "lam"}`` as from ``sample_freq_mixstyle_params``.
        eps: float > 0 added to the variances.
        per_channel: statistics per channel (default) or pooled over channels.
        lengths: None, or int ``(batch,)`` valid frames per example.

    Returns:
        A tensor shaped and typed like ``x``.

    Examples:
        >>> import numpy as np, tensorflow as tf
        >>> x = tf.constant(np.stack([[[0.0], [2.0]], [[10.0], [30.0]]]))  # (2, 2, 1)
        >>> p = {"partner": tf.constant([1, 0]), "lam": tf.constant([0.5, 1.0])}
        >>> out = apply_freq_mixstyle(x, p, eps=0.0)
        >>> # mean 0.5·1 + 0.5·20 = 10.5, std 0.5·√2 + 0.5·√200 = 5.5·√2
        >>> np.round(out.numpy()[:, :, 0], 6).tolist()
        [[5.0, 16.0], [10.0, 30.0]]
    """
    xp = _backend.namespace(x)
    rank = len(x.shape)
    dtype = _common.compute_dtype(x)
    valid = _common.valid_frames(xp, x, lengths)
    mean, std, count = frequency_statistics(x, valid, eps, per_channel)
    partner = xp.cast(params["partner"], "int32")
    lam = xp.cast(params["lam"], dtype)
    batch = xp.arange(xp.shape(partner)[0], dtype="int32")
    unchanged = (
        (partner == batch) | (lam >= 1.0) | (count < 1.0) | (xp.take(count, partner, axis=0) < 1.0)
    )
    lam_b = _common.trailing(xp, lam, rank)
    mean_mix = lam_b * mean + (1.0 - lam_b) * xp.take(mean, partner, axis=0)
    std_mix = lam_b * std + (1.0 - lam_b) * xp.take(std, partner, axis=0)
    # (x − μ)/σ·σ_mix + μ_mix as one multiply-add per value: x·a + b.
    scale = std_mix / std
    shift = mean_mix - mean * scale
    mixed = xp.cast(x, dtype) * scale + shift
    keep = valid & ~xp.expand_dims(unchanged, 1)
    return xp.where(_common.trailing(xp, keep, rank), xp.cast(mixed, x.dtype), x)
