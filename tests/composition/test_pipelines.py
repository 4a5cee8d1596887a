"""Composition properties: random pipelines of keras_specmix layers, read off their output.

Every example of the input is a constant on its valid frames, its index + 1,
and a sentinel, −(100 + index), on its padding. The masks (``mask_value="mean"``)
and the time warp (an interpolation of a constant) leave such an example as
it is, so after them the mixer's output tells which example was mixed in and
how much of its own input each example kept. For random pipelines (masks and
warps, then a mixer or a ``MixingPolicy``, policies nested two deep, each
mixer with its own ``label_rule`` and ``prob``, fixed or padded lengths, run
eagerly on this backend or in ``tf.data``):

* the reported partner is the partner used: every valid cell lies between the
  example's own value and the reported partner's (a region mixer copies one of
  the two, MixUp blends them with one weight per example);
* λ (``"mix_weights"``) is the share of its own valid input the example kept;
* the labels follow the label rule of the mixer that was applied;
* ``"mix_methods"`` is −1 exactly where the example came out unmixed (λ = 1);
* padding comes back bit for bit, and extra keys pass through.

``max_examples`` is bounded per backend (``EXAMPLES``) to keep the default test
command fast; CI runs this module under every ``KERAS_BACKEND``.
"""

import contextlib

import keras
import numpy as np
import tensorflow as tf
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import keras_specmix as ks
from keras_specmix.ops import fusion

#: Hypothesis examples per backend (TensorFlow runs in the default test command).
EXAMPLES = {"tensorflow": 40, "jax": 25, "torch": 25}[keras.backend.backend()]
CLASSES = 3
TOL = 1e-4  # float32 blends of values up to 7 (a warp adds rounding of ~1e-6)

seeds = st.integers(0, 2**16)
probs = st.sampled_from([1.0, 1.0, 1.0, 0.6, 0.0])
rules = st.sampled_from(["mix", "max"])

mixup = st.fixed_dictionaries(
    {"alpha": st.sampled_from([0.5, 1.0, 2.0]), "prob": probs, "label_rule": rules, "seed": seeds}
).map(lambda kwargs: ("MixUp", kwargs))
cutmix = st.fixed_dictionaries(
    {
        "alpha": st.sampled_from([0.5, 1.0, 2.0]),
        "axes": st.sampled_from(["both", "time", "freq"]),
        "prob": probs,
        "label_rule": rules,
        "seed": seeds,
    }
).map(lambda kwargs: ("CutMix", kwargs))
specmix = st.fixed_dictionaries(
    {
        "gamma": st.sampled_from([0.3, 0.5, (0.0, 1.0)]),
        "max_freq_bands": st.integers(0, 2),
        "max_time_bands": st.integers(0, 2),
        "prob": probs,
        "label_rule": rules,
        "seed": seeds,
    }
).map(lambda kwargs: ("SpecMix", kwargs))
leaf = st.one_of(mixup, cutmix, specmix)


@st.composite
def policy(draw, children, nest=False):
    mixers = draw(st.lists(children, min_size=1, max_size=3))
    if nest:  # at least one policy inside, at a drawn position
        position = draw(st.integers(0, len(mixers) - 1))
        mixers[position] = draw(policy(leaf))
    weights = draw(st.none() | st.lists(st.integers(1, 4), min_size=len(mixers)))
    if weights is not None:
        weights = weights[: len(mixers)]
    kwargs = {
        "probs": None if weights is None else [w / sum(weights) for w in weights],
        "mode": draw(st.sampled_from(["example", "batch"])),
        "prob": draw(probs),
        "seed": draw(seeds),
    }
    return ("MixingPolicy", kwargs, mixers)


@st.composite
def mixers(draw):
    """A mixer: a layer, a policy of layers, or a policy holding a policy (two deep)."""
    kind = draw(st.sampled_from(["nested", "nested", "policy", "layer"]))
    if kind == "layer":
        return draw(leaf)
    if kind == "policy":
        return draw(policy(leaf))
    return draw(policy(st.one_of(leaf, policy(leaf)), nest=True))


STAGES = {
    "time_mask": lambda seed, t: ks.TimeMasking(
        time_mask_param=t // 2, num_time_masks=2, mask_value="mean", seed=seed
    ),
    "freq_mask": lambda seed, t: ks.FrequencyMasking(
        freq_mask_param=2, num_freq_masks=2, mask_value="mean", seed=seed
    ),
    "warp": lambda seed, t: ks.TimeWarp(time_warp_param=2, seed=seed),
    "spec_augment": lambda seed, t: ks.SpecAugment(
        time_warp_param=1,
        freq_mask_param=2,
        num_freq_masks=1,
        time_mask_param=3,
        num_time_masks=1,
        mask_value="mean",
        seed=seed,
    ),
}


def build(spec, top=False):
    name, kwargs = spec[0], dict(spec[1])
    if top:
        kwargs["return_mix_info"] = True
    if name == "MixingPolicy":
        return ks.MixingPolicy([build(child) for child in spec[2]], **kwargs)
    return getattr(ks, name)(**kwargs)


def rules_of(spec):
    """The label rules of the mixers a (sub)policy may apply."""
    if spec[0] == "MixingPolicy":
        return set().union(*(rules_of(child) for child in spec[2]))
    return {spec[1]["label_rule"]}


@st.composite
def batches(draw):
    # Mostly 6: with 2 examples every pairing is the swap, so a wrong partner
    # could not show; 1 is the unmixed batch.
    batch = draw(st.sampled_from([6, 6, 4, 1]))
    time = draw(st.sampled_from([6, 9]))
    freq = draw(st.sampled_from([4, 5]))
    channels = draw(st.sampled_from([None, 2]))
    padded = draw(st.booleans())
    lengths = draw(st.lists(st.integers(1, time), min_size=batch, max_size=batch))
    lengths = np.asarray(lengths if padded else [time] * batch, "int32")
    index = np.arange(batch)[:, None, None]
    frames = np.arange(time)[None, :, None]
    x = np.where(frames < lengths[:, None, None], index + 1.0, -(100.0 + index))
    x = np.broadcast_to(x, (batch, time, freq)).astype("float32")
    if channels:
        x = np.repeat(x[..., None], channels, axis=-1)
    # Multi-hot labels, random (drawn from a seed: hypothesis' simplest
    # booleans would make every label alike, where no rule shows).
    labels = np.random.default_rng(draw(seeds)).random((batch, CLASSES)) > 0.5
    data = {"spectrograms": x, "labels": labels.astype("float32")}
    if padded:
        data["lengths"] = lengths
    return data, lengths


def run(stages, mixer, data, mode):
    def pipeline(d):
        for stage in stages:
            d = stage(d)
        return mixer(d)

    if mode == "tf_data":
        out = next(iter(tf.data.Dataset.from_tensors(data).map(pipeline)))
    else:
        out = pipeline({k: keras.ops.convert_to_tensor(v) for k, v in data.items()})
    return {k: np.asarray(keras.ops.convert_to_numpy(v)) for k, v in out.items()}


def check_example(b, out, data, lengths, allowed_rules):
    x_out, y = out["spectrograms"], data["labels"]
    lam, partner = float(out["mix_weights"][b]), int(out["partners"][b])
    length = int(lengths[b])
    # Padding: bit for bit, never a partner's.
    np.testing.assert_array_equal(x_out[b, length:], data["spectrograms"][b, length:])
    cells = x_out[b, :length].astype("float64").ravel()
    own, other = b + 1.0, partner + 1.0
    assert 0.0 <= lam <= 1.0, lam
    if partner == b:
        np.testing.assert_allclose(cells, own, atol=TOL)
        assert lam == 1.0, lam
    else:
        # Each cell's weight on the example's own value, against the reported partner.
        weight = (cells - other) / (own - other)
        assert weight.min() >= -TOL and weight.max() <= 1 + TOL, (b, partner, np.unique(cells))
        blends = np.unique(np.round(weight[(weight > TOL) & (weight < 1 - TOL)], 3))
        assert len(blends) <= 1, (b, partner, blends)  # one MixUp weight per example
        assert abs(weight.mean() - lam) < TOL, (b, partner, weight.mean(), lam)
    # Labels: the rule of the mixer applied.
    mix = lam * y[b] + (1 - lam) * y[partner]
    if lam >= 1:
        maximum = y[b]
    elif lam <= 0:
        maximum = y[partner]
    else:
        maximum = np.maximum(y[b], y[partner])
    expected = {"mix": mix, "max": maximum}
    label = out["labels"][b]
    assert any(np.allclose(label, expected[r], atol=1e-6) for r in allowed_rules), (
        b,
        label,
        {r: expected[r] for r in allowed_rules},
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    spec=mixers(),
    stage_names=st.lists(st.sampled_from(sorted(STAGES)), max_size=2, unique=True),
    stage_seed=seeds,
    batch=batches(),
    mode=st.sampled_from(["eager", "tf_data"]),
    fused=st.booleans(),
)
def test_a_pipeline_reports_what_it_did(spec, stage_names, stage_seed, batch, mode, fused):
    data, lengths = batch
    time = data["spectrograms"].shape[1]
    stages = [STAGES[name](stage_seed + i, time) for i, name in enumerate(stage_names)]
    # TensorFlow runs the applies XLA-compiled when shapes are static (ops.fusion):
    # both ways must agree. (JAX and PyTorch never fuse.)
    with contextlib.nullcontext() if fused else fusion.disabled():
        out = run(stages, build(spec, top=True), data, mode)
    assert out["spectrograms"].shape == data["spectrograms"].shape
    assert out["labels"].shape == (len(lengths), CLASSES)
    if "lengths" in data:
        np.testing.assert_array_equal(out["lengths"], data["lengths"])
    methods = out.get("mix_methods")
    if methods is not None:
        np.testing.assert_array_equal(methods == -1, out["mix_weights"] >= 1)
    for b in range(len(lengths)):
        if methods is None:
            allowed = rules_of(spec)
        elif methods[b] == -1:
            allowed = {"mix", "max"}  # unmixed: both rules give the example's own labels
        else:
            allowed = rules_of(spec[2][methods[b]])
        check_example(b, out, data, lengths, allowed)
