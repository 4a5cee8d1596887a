"""Invariants that hold for every input, checked with ``hypothesis``.

Inputs are drawn over shapes (batch 1-6, time 1-24, freq 1-12, 0-2 channel
axes), optional per-example lengths, and values that include ±inf. Every
cell of an example gets a value unique in the batch (``b·10⁴ + index``), so
the source of each output cell can be read back exactly.
"""

import numpy as np
import tensorflow as tf
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import keras_specmix as ks

#: 40 examples per property: 5 properties (two parametrised), 200 drawn inputs.
EXAMPLES = 40
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def batches(draw, with_lengths=True):
    batch = draw(st.integers(1, 6))
    time = draw(st.integers(1, 24))
    freq = draw(st.integers(1, 12))
    channels = draw(st.sampled_from([None, 1, 2]))
    shape = (batch, time, freq) + ((channels,) if channels else ())
    cells = int(np.prod(shape[1:]))
    x = (np.arange(batch)[:, None] * 1e4 + np.arange(cells)[None, :]).astype("float32")
    x = x.reshape(shape)
    # Some examples hold -inf (a log of 0) and +inf cells.
    infinite = draw(st.lists(st.integers(0, cells - 1), max_size=3))
    flat = x.reshape(batch, -1)
    for i, cell in enumerate(infinite):
        flat[i % batch, cell] = -np.inf if i % 2 == 0 else np.inf
    lengths = None
    if with_lengths and draw(st.booleans()):
        lengths = np.array(
            draw(st.lists(st.integers(0, time), min_size=batch, max_size=batch)), "int32"
        )
    seed = draw(st.integers(0, 2**31 - 2))
    return flat.reshape(shape), lengths, seed


def _data(x, lengths, labels=True):
    data = {"spectrograms": x}
    if labels:
        data["labels"] = np.arange(x.shape[0], dtype="int32") % 3
    if lengths is not None:
        data["lengths"] = lengths
    return data


def _padding(x, lengths):
    """bool ``x.shape``: True on padded frames."""
    if lengths is None:
        return np.zeros(x.shape, bool)
    frames = np.arange(x.shape[1])[None, :] >= lengths[:, None]
    return np.broadcast_to(frames.reshape(frames.shape + (1,) * (x.ndim - 2)), x.shape)


def _check_common(x, out, lengths):
    assert out.shape == x.shape and out.dtype == x.dtype
    pad = _padding(x, lengths)
    np.testing.assert_array_equal(out[pad], x[pad])  # padding untouched
    assert not np.any(np.isnan(out)), "a NaN from input that holds none"


@SETTINGS
@given(batches(), st.sampled_from([ks.CutMix, ks.SpecMix]))
def test_region_mixers_take_each_cell_from_the_example_or_its_partner(case, layer_cls):
    x, lengths, seed = case
    layer = layer_cls(num_classes=3, return_mix_info=True)
    out = layer.augment(_data(x, lengths), seed)
    x_out = out["spectrograms"].numpy()
    _check_common(x, x_out, lengths)
    partner = out["partners"].numpy()
    own = x_out == x
    donated = x_out == x[partner]
    assert np.all(own | donated)
    # λ is the share of the example's own valid cells that it keeps.
    valid = ~_padding(x, lengths)
    kept = (own & valid).reshape(len(x), -1).sum(1)
    total = valid.reshape(len(x), -1).sum(1)
    expected = np.where(total > 0, kept / np.maximum(total, 1), 1.0)
    # Cells equal in both (±inf in the same place) count as kept by either rule.
    ambiguous = (own & donated & valid).reshape(len(x), -1).sum(1) / np.maximum(total, 1)
    lam = out["mix_weights"].numpy()
    assert np.all(lam >= expected - ambiguous - 1e-6) and np.all(lam <= expected + 1e-6)
    np.testing.assert_allclose(out["labels"].numpy().sum(1), 1.0, rtol=1e-6)


@SETTINGS
@given(batches())
def test_mixup_stays_between_the_pair_and_keeps_padding(case):
    x, lengths, seed = case
    out = ks.MixUp(num_classes=3, return_mix_info=True).augment(_data(x, lengths), seed)
    x_out = out["spectrograms"].numpy()
    _check_common(x, x_out, lengths)
    partner_x = x[out["partners"].numpy()]
    low, high = np.minimum(x, partner_x), np.maximum(x, partner_x)
    tolerance = 1e-3 * np.maximum(np.abs(low), 1.0)
    finite = np.isfinite(low) & np.isfinite(high)
    assert np.all(x_out[finite] >= low[finite] - tolerance[finite])
    assert np.all(x_out[finite] <= high[finite] + tolerance[finite])
    lam = out["mix_weights"].numpy()
    assert np.all((lam >= 0) & (lam <= 1))


@SETTINGS
@given(batches(), st.sampled_from(["zero", "mean"]), st.booleans())
def test_masks_change_only_masked_cells_to_the_mask_value(case, mask_value, per_channel):
    x, lengths, seed = case
    value = 0.0 if mask_value == "zero" else "mean"
    layer = ks.SpecAugment(
        time_warp_param=0,
        freq_mask_param=4,
        time_mask_param=6,
        mask_value=value,
        per_channel=per_channel,
    )
    x_out = layer.augment(_data(x, lengths, labels=False), seed)["spectrograms"].numpy()
    _check_common(x, x_out, lengths)
    changed = x_out != x
    if mask_value == "zero":
        assert np.all(x_out[changed] == 0.0)
    else:
        assert np.all(np.isfinite(x_out[changed]))


@SETTINGS
@given(batches(), st.integers(0, 6))
def test_time_warp_keeps_end_frames_and_padding_and_makes_no_nan(case, width):
    x, lengths, seed = case
    x_out = (
        ks.TimeWarp(time_warp_param=width)
        .augment(_data(x, lengths, labels=False), seed)["spectrograms"]
        .numpy()
    )
    _check_common(x, x_out, lengths)
    valid = np.full(len(x), x.shape[1]) if lengths is None else lengths
    for b, length in enumerate(valid):
        if length > 0:
            np.testing.assert_array_equal(x_out[b, 0], x[b, 0])
            np.testing.assert_array_equal(x_out[b, length - 1], x[b, length - 1])


@SETTINGS
@given(
    batches(with_lengths=False), st.sampled_from([ks.MixUp, ks.CutMix, ks.SpecMix, ks.SpecAugment])
)
def test_inference_is_the_identity_in_every_dtype(case, layer_cls):
    x, _, _ = case
    x = x.astype("float64")
    kwargs = {"num_classes": 3} if layer_cls is not ks.SpecAugment else {}
    data = _data(x, None, labels=layer_cls is not ks.SpecAugment)
    out = layer_cls(**kwargs)(data, training=False)
    np.testing.assert_array_equal(out["spectrograms"], x)
    assert out["spectrograms"].dtype == tf.float64
