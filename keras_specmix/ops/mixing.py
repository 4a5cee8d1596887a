"""Pure mixing functions: MixUp, CutMix and SpecMix on (spectrograms, labels).

Each augmentation is split in two, as in Keras' ``get_random_transformation``
/ ``transform_*``: ``sample_*_params(seed, ...)`` draws every random number
once into a dict of tensors, and ``apply_*(x, y, params)`` is a deterministic,
batched, XLA-safe function of its inputs. Tests inject hand-made params.

Region-based mixing (CutMix, SpecMix) shares one parameter layout::

    {"partner":     int32 (batch,),          # index of the donor example
     "time_starts": int32 (batch, n_time),   # intervals on the time axis
     "time_widths": int32 (batch, n_time),   #   [start, start + width); 0 = none
     "freq_starts": int32 (batch, n_freq),   # intervals on the frequency axis
     "freq_widths": int32 (batch, n_freq)}

CutMix combines the time and frequency intervals as an intersection (a box),
SpecMix as a union (full-span bands). MixUp params are
``{"partner": (batch,), "lam": float32 (batch,)}``.

Conventions: ``x`` is ``(batch, time, freq)`` or ``(batch, time, freq,
channels)``; ``y`` is float ``(batch, classes)``; λ is the share of the
example's own input that is kept, and ``y_out = λ·y + (1 − λ)·y[partner]``.
An example whose partner is itself (a batch of one) is returned unmixed with
λ = 1, whatever the params say.

Padded batches: the ``apply_*`` functions and the CutMix and SpecMix
samplers take optional ``lengths``, int ``(batch,)`` valid frames per example
in ``[0, time]`` (padding after them).
Partner content is then taken only where *both* clips have frames,
``t < min(L_b, L_partner)`` (the pair's shared span); every other cell keeps
the example's own value, so padding comes back bit for bit. Time intervals
are drawn within the shared span (their widths relative to it), and λ is the
share of the example's own valid cells, ``L_b·F``, that it keeps. Without
``lengths`` every frame is valid and the results are exactly those of the
fixed-length rule.

Every sampler takes an optional ``partner`` (int ``(batch,)``): the partner
to use instead of drawing one, so that several mixers can share one pairing
(``keras_specmix.MixingPolicy`` passes its own). The other draws do not
depend on it, except that CutMix and SpecMix draw their time intervals in
the span each example shares with that partner.

Every sampler also takes ``gate_granularity`` (the ``prob`` draw) and
``param_granularity`` (λ, box and band draws), each ``"example"`` (the
default) or ``"batch"`` (one draw shared by the batch; see
``keras_specmix.ops.random``). Partners are always drawn per example.
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
from keras_specmix.ops import masks
from keras_specmix.ops import random as random_ops
from keras_specmix.ops.masks import Combine


def mix_labels(y: TensorLike, partner: TensorLike, lam: TensorLike) -> Tensor:
    """``lam * y + (1 - lam) * y[partner]`` with ``lam`` of shape ``(batch,)``."""
    xp = _backend.namespace(y, partner, lam)
    y = xp.convert_to_tensor(y)
    lam = xp.cast(lam, y.dtype)[:, None]
    return lam * y + (1 - lam) * xp.take(y, partner, axis=0)


def self_paired(partner: TensorLike) -> Tensor:
    """bool ``(batch,)``: True where an example is its own partner."""
    xp = _backend.namespace(partner)
    partner = xp.cast(partner, "int32")
    return xp.equal(partner, xp.arange(xp.shape(partner)[0], dtype="int32"))


def shared_span(lengths: TensorLike, partner: TensorLike) -> Tensor:
    """int32 ``(batch,)``: frames valid in both an example and its partner."""
    xp = _backend.namespace(lengths, partner)
    lengths = xp.cast(lengths, "int32")
    return xp.minimum(lengths, xp.take(lengths, xp.cast(partner, "int32"), axis=0))


def _frames_before(span, time_length):
    """bool ``(batch, time)``: True on the frames before each example's ``span``."""
    xp = _backend.namespace(span, time_length)
    return xp.arange(time_length, dtype="int32")[None, :] < span[:, None]


def _partner(seed, batch_size, partner=None):
    """int32 ``(batch,)``: ``partner`` when given, else a random pairing."""
    if partner is None:
        return random_ops.pair_indices(seed, batch_size)
    xp = _backend.namespace(seed, partner)
    return xp.cast(partner, "int32")


def _skip(seed, batch_size, prob, granularity=random_ops.EXAMPLE):
    """bool ``(batch,)``: True for examples left unmixed because of ``prob``."""
    return ~random_ops.gate(seed, batch_size, prob, granularity)


# --------------------------------------------------------------------- MixUp
def sample_mixup_params(
    seed: TensorLike,
    batch_size: TensorLike,
    alpha: float = 0.4,
    prob: float = 1.0,
    partner: TensorLike | None = None,
    gate_granularity: Granularity = random_ops.EXAMPLE,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws MixUp params: a partner and λ ~ Beta(alpha, alpha) per example.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int32 tensor.
        alpha: float > 0, the Beta concentration.
        prob: float in [0, 1], probability that an example is mixed; the
            others get λ = 1.
        partner: None (draw one with ``pair_indices``), or int ``(batch,)``
            partner indices to use.
        gate_granularity: ``"example"`` (a ``prob`` draw per example) or
            ``"batch"`` (one for the batch: all mixed or none).
        param_granularity: ``"example"`` (a λ per example) or ``"batch"``
            (one λ shared by the batch).

    Returns:
        ``{"partner": int32 (batch,), "lam": float32 (batch,)}``.

    Raises:
        ValueError: on an out-of-range ``alpha`` or ``prob``, or an unknown
            granularity.

    Examples:
        >>> p = sample_mixup_params([0, 1], 4, alpha=0.4)
        >>> sorted(p["partner"].numpy().tolist())  # every example a partner once
        [0, 1, 2, 3]
        >>> bool(tf.reduce_all((p["lam"] >= 0) & (p["lam"] <= 1)))
        True
        >>> p = sample_mixup_params([0, 1], 4, param_granularity="batch")
        >>> len(set(p["lam"].numpy().tolist()))
        1
    """
    _validation.check_float("prob", prob, 0.0, 1.0)
    xp = _backend.namespace(seed, batch_size)
    seeds = xp.split(seed, 3)
    lam = random_ops.stateless_beta(seeds[0], [batch_size], alpha, granularity=param_granularity)
    lam = xp.where(_skip(seeds[1], batch_size, prob, gate_granularity), 1.0, lam)
    return {"partner": _partner(seeds[2], batch_size, partner), "lam": lam}


@fusion.fused
def apply_mixup(
    x: Array, y: TensorLike, params: ParamsLike, lengths: TensorLike | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Applies MixUp params: ``x_out = λ·x + (1 − λ)·x[partner]``, same for y.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        y: float ``(batch, classes)``.
        params: ``{"partner", "lam"}`` as from ``sample_mixup_params``.
        lengths: None, or int ``(batch,)`` valid frames per example. The
            blend then covers the pair's shared span only, and the label
            weight is the share of the example's valid frames it keeps:
            ``1 − (1 − λ)·span / L``.

    Returns:
        ``(x_out, y_out, lam)``; ``lam`` is float32 ``(batch,)`` with 1 for
        self-paired examples.

    Examples:
        >>> import numpy as np
        >>> x = np.array([[[1.0]], [[3.0]]], "float32")
        >>> y = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
        >>> p = {"partner": np.array([1, 0]), "lam": np.array([0.25, 1.0], "float32")}
        >>> x_out, y_out, lam = apply_mixup(x, y, p)
        >>> np.asarray(x_out).ravel().tolist(), np.asarray(y_out)[0].tolist()
        ([2.5, 3.0], [0.25, 0.75])
    """
    xp = _backend.namespace(x)
    x = xp.convert_to_tensor(x)
    rank = len(x.shape)
    partner = xp.cast(params["partner"], "int32")
    lam = xp.where(self_paired(partner), 1.0, xp.cast(params["lam"], "float32"))
    if lengths is None:
        keep = xp.cast(lam, x.dtype)[(...,) + (None,) * (rank - 1)]
    else:
        frames = xp.cast(lengths, "int32")
        span = shared_span(frames, partner)
        inside = _frames_before(span, xp.shape(x)[1])
        keep = xp.where(inside, xp.cast(lam, x.dtype)[:, None], xp.ones((), x.dtype))
        keep = keep[(...,) + (None,) * (rank - 2)]  # over freq[, channels]
        own = xp.maximum(xp.cast(frames, "float32"), 1.0)
        whole = xp.equal(span, frames) & (frames > 0)  # λ as drawn, bit for bit
        lam = xp.where(whole, lam, 1.0 - (1.0 - lam) * xp.cast(span, "float32") / own)
    x_out = masks.blend(x, xp.take(x, partner, axis=0), keep)
    return x_out, mix_labels(y, partner, lam), lam


# ---------------------------------------------------- CutMix and SpecMix
@fusion.fused
def apply_region_mix(
    x: Array,
    y: TensorLike,
    params: ParamsLike,
    combine: Combine,
    lengths: TensorLike | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Pastes the donor region of ``x[partner]`` into ``x``; λ from the region.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        y: float ``(batch, classes)``.
        params: region params (see the module docstring).
        combine: ``"union"`` (SpecMix bands) or ``"intersection"`` (CutMix box).
        lengths: None, or int ``(batch,)`` valid frames per example: the
            region is then cut to the pair's shared span.

    Returns:
        ``(x_out, y_out, lam)`` with ``lam = 1 − |region| / (time·freq)``
        computed from the realised region (overlaps counted once), float32
        ``(batch,)``; with ``lengths``, ``time`` is each example's own length.
    """
    xp = _backend.namespace(x)
    x = xp.convert_to_tensor(x)
    partner = xp.cast(params["partner"], "int32")
    unmixed = self_paired(partner)[:, None]
    shape = xp.shape(x)
    time_mask = masks.interval_mask(params["time_starts"], params["time_widths"], shape[1])
    freq_mask = masks.interval_mask(params["freq_starts"], params["freq_widths"], shape[2])
    # Unmixed examples get an empty region: a union needs both masks empty,
    # an intersection just one, so clearing both serves either rule.
    time_mask = time_mask & ~unmixed
    freq_mask = freq_mask & ~unmixed
    if lengths is None:
        region = masks.region_mask(time_mask, freq_mask, combine)
        lam = 1.0 - masks.region_fraction(time_mask, freq_mask, combine)
    else:
        span = shared_span(lengths, partner)
        inside = _frames_before(span, shape[1])
        time_mask = time_mask & inside
        region = masks.region_mask(time_mask, freq_mask, combine) & inside[:, :, None]
        lam = 1.0 - masks.region_fraction(time_mask, freq_mask, combine, lengths, span)
    if len(x.shape) == 4:
        region = region[..., None]
    x_out = masks.select(region, xp.take(x, partner, axis=0), x)
    return x_out, mix_labels(y, partner, lam), lam


def _region_params(partner, time_intervals, freq_intervals):
    """The region params dict from ``(starts, widths)`` pairs per axis."""
    return {
        "partner": partner,
        "time_starts": time_intervals[0],
        "time_widths": time_intervals[1],
        "freq_starts": freq_intervals[0],
        "freq_widths": freq_intervals[1],
    }


def _full_interval(batch_size, length):
    """One interval covering the whole axis (or each example's ``length``)."""
    xp = _backend.namespace(batch_size, length)
    starts = xp.zeros((batch_size, 1), "int32")
    widths = xp.broadcast_to(xp.reshape(xp.cast(length, "int32"), (-1, 1)), (batch_size, 1))
    return starts, widths


def _clipped_interval(seed, batch_size, length, size, granularity=random_ops.EXAMPLE):
    """CutMix's interval: ``size`` around a uniform centre, clipped to the axis."""
    xp = _backend.namespace(seed, batch_size, length, size)
    length = xp.cast(length, "int32")
    centre = random_ops.uniform_int(seed, [batch_size], 0, length - 1, granularity)
    low = xp.clip(centre - size // 2, 0, length)
    high = xp.clip(centre - size // 2 + size, 0, length)
    return low[:, None], (high - low)[:, None]


def sample_cutmix_params(
    seed: TensorLike,
    batch_size: TensorLike,
    time_length: TensorLike,
    freq_length: TensorLike,
    alpha: float = 0.4,
    axes: Literal["both", "time", "freq"] = "both",
    prob: float = 1.0,
    lengths: TensorLike | None = None,
    partner: TensorLike | None = None,
    gate_granularity: Granularity = random_ops.EXAMPLE,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws CutMix boxes: λ ~ Beta(alpha, alpha), a box of share ≈ 1 − λ.

    ``axes="both"``: box sides ``floor(T·sqrt(1 − λ))`` × ``floor(F·sqrt(1 − λ))``
    around a uniform centre, clipped at the borders (Yun et al., 2019).
    ``axes="time"``: a full-height box of ``floor(T·(1 − λ))`` frames;
    ``axes="freq"``: a full-length box of ``floor(F·(1 − λ))`` bins. The λ used
    for the labels is recomputed from the clipped box by ``apply_region_mix``.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int32 tensor.
        time_length: int or scalar tensor, T.
        freq_length: int or scalar tensor, F.
        alpha: float > 0.
        axes: ``"both"``, ``"time"`` or ``"freq"``.
        prob: probability that an example is mixed.
        lengths: None, or int ``(batch,)`` valid frames per example: the box
            is then drawn in each pair's shared span instead of ``T``.
        partner: None (draw one with ``pair_indices``), or int ``(batch,)``
            partner indices to use.
        gate_granularity: ``"example"`` or ``"batch"``, for the ``prob`` draw.
        param_granularity: ``"example"`` or ``"batch"`` (one λ and one box
            centre draw for the batch: one box, timm's ``mode="batch"``; with
            ``lengths`` the centre is at the same relative place of each
            pair's shared span).

    Returns:
        Region params (see the module docstring), combine rule "intersection".

    Raises:
        ValueError: on an unknown ``axes`` or granularity, or an
            out-of-range ``prob``.

    Examples:
        >>> p = sample_cutmix_params([0, 1], 2, 100, 64, alpha=0.4)
        >>> sorted(p)
        ['freq_starts', 'freq_widths', 'partner', 'time_starts', 'time_widths']
        >>> p["time_widths"].shape  # one box per example
        TensorShape([2, 1])
        >>> p = sample_cutmix_params([0, 1], 4, 100, 64, param_granularity="batch")
        >>> len(set(p["time_starts"].numpy().ravel().tolist()))
        1
    """
    _validation.check_choice("axes", axes, {"both", "time", "freq"})
    _validation.check_float("prob", prob, 0.0, 1.0)
    xp = _backend.namespace(seed, batch_size, time_length, freq_length, lengths)
    seeds = xp.split(seed, 5)
    partner = _partner(seeds[4], batch_size, partner)
    if lengths is not None:
        time_length = shared_span(lengths, partner)
    lam = random_ops.stateless_beta(seeds[0], [batch_size], alpha, granularity=param_granularity)
    lam = xp.where(_skip(seeds[1], batch_size, prob, gate_granularity), 1.0, lam)
    share = xp.sqrt(1.0 - lam) if axes == "both" else 1.0 - lam

    def side(length):
        return xp.cast(xp.floor(share * xp.cast(length, "float32")), "int32")

    if axes in ("both", "time"):
        t_start, t_width = _clipped_interval(
            seeds[2], batch_size, time_length, side(time_length), param_granularity
        )
    else:
        t_start, t_width = _full_interval(batch_size, time_length)
    if axes in ("both", "freq"):
        f_start, f_width = _clipped_interval(
            seeds[3], batch_size, freq_length, side(freq_length), param_granularity
        )
    else:
        f_start, f_width = _full_interval(batch_size, freq_length)
    return _region_params(partner, (t_start, t_width), (f_start, f_width))


def apply_cutmix(
    x: Array, y: TensorLike, params: ParamsLike, lengths: TensorLike | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Applies CutMix params (a box per example); see ``apply_region_mix``.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        y: float ``(batch, classes)``.
        params: as from ``sample_cutmix_params``: ``partner`` and one time and
            one frequency interval per example (``time_starts``,
            ``time_widths``, ``freq_starts``, ``freq_widths``, int
            ``(batch, 1)``).
        lengths: None, or int ``(batch,)`` valid frames per example.

    Returns:
        ``(x_out, y_out, lam)``: the box of ``x[partner]`` pasted into ``x``,
        and ``lam = 1 − box / (time·freq)``, float32 ``(batch,)``.

    Examples:
        >>> x = tf.reshape(tf.range(24, dtype=tf.float32), [2, 4, 3])
        >>> p = {"partner": tf.constant([1, 0]),
        ...      "time_starts": tf.constant([[0], [0]]), "time_widths": tf.constant([[2], [0]]),
        ...      "freq_starts": tf.constant([[0], [0]]), "freq_widths": tf.constant([[3], [0]])}
        >>> x_out, y_out, lam = apply_cutmix(x, tf.eye(2), p)
        >>> x_out[0, :, 0].numpy().tolist()  # frames 0-1 from example 1
        [12.0, 15.0, 6.0, 9.0]
        >>> lam.numpy().tolist(), y_out.numpy().tolist()
        ([0.5, 1.0], [[0.5, 0.5], [0.0, 1.0]])
    """
    return apply_region_mix(x, y, params, masks.INTERSECTION, lengths=lengths)


def _bands(seed, width, length, min_bands, max_bands, skip, granularity=random_ops.EXAMPLE):
    """Per-example bands of one width: starts and widths ``(batch, max_bands)``."""
    xp = _backend.namespace(seed, width, length, skip)
    seed_count, seed_start = xp.split(seed, 2)
    batch_size = xp.shape(width)[0]
    count = random_ops.uniform_int(seed_count, [batch_size, 1], min_bands, max_bands, granularity)
    count = xp.where(skip[:, None], 0, count)
    active = xp.arange(max_bands, dtype="int32")[None, :] < count
    widths = xp.where(active, width[:, None], 0)
    widths = xp.broadcast_to(widths, (batch_size, max_bands))
    return masks.sample_starts(seed_start, widths, length, granularity), widths


def _per_example(length):
    """A scalar length as is; a ``(batch,)`` one as ``(batch, 1)``, to broadcast."""
    xp = _backend.namespace(length)
    length = xp.convert_to_tensor(length)
    return length[:, None] if len(length.shape) == 1 else length


def band_width(ratio: TensorLike, length: TensorLike) -> Tensor:
    """``floor(ratio · length)`` per example, as Python's ``math.floor(ratio * length)``.

    Computed in float64, so it equals Python's result for a float ``ratio``.
    JAX without 64-bit mode has no float64: there the product is float32,
    nudged up by a relative 2**-20 before the floor so that a product that
    float32 rounds just below an integer (0.7 · 10 = 6.9999999) still gives
    that integer. The result can then differ from float64's by one: where
    float64 itself rounds below the integer (``0.7 * 90`` is
    62.99999999999999 in Python, so 62; 63 on JAX) or for a ratio within a
    relative 1e-6 below ``k / length``. Set ``jax_enable_x64`` for Python's
    numbers exactly.

    Args:
        ratio: float, or float tensor ``(batch,)``.
        length: int or int tensor, broadcastable against ``ratio``.

    Returns:
        int32 tensor.

    Examples:
        >>> int(band_width(0.7, 10))
        7
    """
    xp = _backend.namespace(ratio, length)
    dtype = "float64" if _backend.has_float64(xp) else "float32"
    if isinstance(ratio, float):
        ratio = xp.convert_to_tensor(ratio, dtype)
    product = xp.cast(ratio, dtype) * xp.cast(length, dtype)
    if dtype == "float32":
        product = product + xp.abs(product) * 2.0**-20
    return xp.cast(xp.floor(product), "int32")


def sample_specmix_params(
    seed: TensorLike,
    batch_size: TensorLike,
    time_length: TensorLike,
    freq_length: TensorLike,
    gamma: float | Sequence[float] = 0.3,
    min_freq_bands: int = 0,
    max_freq_bands: int = 2,
    min_time_bands: int = 0,
    max_time_bands: int = 2,
    prob: float = 1.0,
    lengths: TensorLike | None = None,
    partner: TensorLike | None = None,
    gate_granularity: Granularity = random_ops.EXAMPLE,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws SpecMix bands (Kim, Han and Ko, 2021), per example.

    For example ``b``: a width ratio ``g_b`` (``gamma``, or uniform in
    ``[low, high)`` for a pair); frequency bands ``floor(g_b·F)`` bins wide
    and time bands ``floor(g_b·T)`` frames wide; the number of each uniform in
    ``{min, ..., max}``; each start uniform over ``[0, L − width]``.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int32 tensor.
        time_length: int or scalar tensor, T.
        freq_length: int or scalar tensor, F.
        gamma: float in [0, 1], or a ``(low, high)`` range sampled per example.
        min_freq_bands, max_freq_bands: range of the number of frequency bands.
        min_time_bands, max_time_bands: range of the number of time bands.
        prob: probability that an example is mixed.
        lengths: None, or int ``(batch,)`` valid frames per example: time
            bands are then ``floor(g_b·S_b)`` frames wide and lie in each
            pair's shared span ``S_b`` instead of ``T``.
        partner: None (draw one with ``pair_indices``), or int ``(batch,)``
            partner indices to use.
        gate_granularity: ``"example"`` or ``"batch"``, for the ``prob`` draw.
        param_granularity: ``"example"`` or ``"batch"`` (one width ratio,
            one band count per axis and one start draw per band for the
            batch; with ``lengths`` the time bands are at the same relative
            place of each pair's shared span).

    Returns:
        Region params (see the module docstring), combine rule "union".

    Raises:
        ValueError: on an out-of-range argument or an unknown granularity.

    Examples:
        >>> p = sample_specmix_params([0, 1], 2, 100, 64, gamma=0.3, max_freq_bands=2)
        >>> p["freq_widths"].shape  # up to two bands per example
        TensorShape([2, 2])
        >>> sorted(set(p["freq_widths"].numpy().ravel().tolist()) - {0})  # floor(0.3 · 64)
        [19]
        >>> p = sample_specmix_params([0, 1], 4, 100, 64, param_granularity="batch")
        >>> len(set(map(tuple, p["freq_starts"].numpy().tolist())))
        1
    """
    gamma = _validation.check_range_or_float("gamma", gamma, 0.0, 1.0)
    _validation.check_float("prob", prob, 0.0, 1.0)
    _validation.check_band_counts("freq", min_freq_bands, max_freq_bands)
    _validation.check_band_counts("time", min_time_bands, max_time_bands)
    xp = _backend.namespace(seed, batch_size, time_length, freq_length, lengths)
    seeds = xp.split(seed, 5)
    partner = _partner(seeds[4], batch_size, partner)
    if lengths is not None:
        time_length = shared_span(lengths, partner)
    if isinstance(gamma, (tuple, list)):
        low, high = gamma
        ratio = low + (high - low) * random_ops.uniform(
            seeds[0], (batch_size,), granularity=param_granularity
        )
    else:
        # float64 where the backend has it (JAX only in x64 mode: asking there
        # would warn on every call); band_width handles float32.
        ratio = xp.full(
            (batch_size,), gamma, dtype="float64" if _backend.has_float64(xp) else "float32"
        )
    skip = _skip(seeds[1], batch_size, prob, gate_granularity)
    f_starts, f_widths = _bands(
        seeds[2],
        band_width(ratio, freq_length),
        freq_length,
        min_freq_bands,
        max_freq_bands,
        skip,
        param_granularity,
    )
    t_starts, t_widths = _bands(
        seeds[3],
        band_width(ratio, time_length),
        _per_example(time_length),
        min_time_bands,
        max_time_bands,
        skip,
        param_granularity,
    )
    return _region_params(partner, (t_starts, t_widths), (f_starts, f_widths))


def apply_specmix(
    x: Array, y: TensorLike, params: ParamsLike, lengths: TensorLike | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Applies SpecMix params (a union of bands); see ``apply_region_mix``.

    Args:
        x: float ``(batch, time, freq[, channels])``.
        y: float ``(batch, classes)``.
        params: as from ``sample_specmix_params``: ``partner`` and the time
            and frequency bands (``time_starts``, ``time_widths``,
            ``freq_starts``, ``freq_widths``, int ``(batch, bands)``).
        lengths: None, or int ``(batch,)`` valid frames per example.

    Returns:
        ``(x_out, y_out, lam)``: every frame of a time band and every bin of a
        frequency band taken from ``x[partner]``, and ``lam = 1 − |union| /
        (time·freq)``, float32 ``(batch,)``.

    Examples:
        >>> x = tf.zeros([2, 4, 3]) + tf.reshape([0.0, 1.0], [2, 1, 1])
        >>> p = {"partner": tf.constant([1, 0]),
        ...      "time_starts": tf.constant([[0], [0]]), "time_widths": tf.constant([[1], [0]]),
        ...      "freq_starts": tf.constant([[2], [0]]), "freq_widths": tf.constant([[1], [0]])}
        >>> x_out, y_out, lam = apply_specmix(x, tf.eye(2), p)
        >>> x_out[0].numpy().tolist()  # frame 0 and bin 2 from example 1
        [[1.0, 1.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
        >>> np.round(lam.numpy(), 6).tolist()  # 6 of 12 cells kept
        [0.5, 1.0]
    """
    return apply_region_mix(x, y, params, masks.UNION, lengths=lengths)
