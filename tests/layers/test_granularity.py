"""Issue 22 item 3: ``gate_granularity`` and ``param_granularity`` on every stochastic layer.

``"example"`` (the default, today's behaviour) draws the gate (``prob``) and
the parameters (λ, masks, bands, gains, shifts, responses) per example;
``"batch"`` draws each once and shares it across the batch. Partners and
AddNoise's noise cells are always per example.
"""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import keras_specmix as ks
from keras_specmix.ops import impulse_response as ir_ops
from keras_specmix.ops import mix_style as mix_style_ops
from keras_specmix.ops import mixing as mixing_ops
from keras_specmix.ops import random as random_ops
from tests.layer_checks import make_inputs
from tests.test_backends import CASES as ALL_CASES

#: The battery's cases at the default granularity (the "-batch"/"-dcase" cases set their own).
CASES = {
    name: case
    for name, case in ALL_CASES.items()
    if not any(key.endswith("granularity") for key in case[1])
}
#: Params that are per example whatever the granularity (see the docstring).
PER_EXAMPLE_KEYS = {"partner", "noise"}
GATED = {"MixUp", "CutMix", "SpecMix", "FrequencyMixStyle", "DeviceImpulseResponse"}


def _batch_kwargs(layer_cls, kwargs):
    """``kwargs`` with batch granularity (and ``prob=0.5`` for a gated layer)."""
    kwargs = dict(kwargs, param_granularity="batch")
    if layer_cls.__name__ in GATED:
        kwargs.update(gate_granularity="batch", prob=0.5)
    if layer_cls is ks.MixingPolicy:
        mixers = [keras.saving.deserialize_keras_object(m) for m in kwargs["mixers"]]
        kwargs["mixers"] = [
            type(m).from_config(dict(m.get_config(), param_granularity="batch")) for m in mixers
        ]
        kwargs.update(mode="batch", gate_granularity="batch", prob=0.5)
    return kwargs


def _rows(params):
    """``(batch, k)`` float64: every per-example param of one call, flattened per row."""
    leaves = []

    def visit(value, key=None):
        if isinstance(value, dict):
            for k in sorted(value):
                visit(value[k], k)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v, key)
        elif key not in PER_EXAMPLE_KEYS:
            leaves.append(np.asarray(keras.ops.convert_to_numpy(value)))

    visit(params)
    batch = leaves[0].shape[0]
    return np.concatenate([leaf.reshape(batch, -1).astype("float64") for leaf in leaves], 1)


def _params(layer, inputs, seed):
    return layer.sample_params(layer._unpack(inputs), tf.constant([seed, 7]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_default_granularity_is_per_example_and_explicit_example_is_the_default(name):
    layer_cls, kwargs, _ = CASES[name]
    # A policy's own draws follow its `mode` (see MixingPolicy).
    default = kwargs.get("mode", "example") if layer_cls is ks.MixingPolicy else "example"
    config = layer_cls(**kwargs).get_config()
    assert config["param_granularity"] == default
    assert config.get("gate_granularity", default) == default
    explicit = dict(kwargs, param_granularity=default)
    if layer_cls.__name__ in GATED or layer_cls is ks.MixingPolicy:
        explicit["gate_granularity"] = default
    inputs = make_inputs(layer_cls, kwargs, batch=6)
    default = layer_cls(**kwargs, seed=5)(inputs, training=True)
    same = layer_cls(**explicit, seed=5)(inputs, training=True)
    for u, v in zip(tf.nest.flatten(default), tf.nest.flatten(same)):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


@pytest.mark.parametrize("name", sorted(CASES))
def test_batch_granularity_shares_every_param_across_the_batch(name):
    layer_cls, kwargs, _ = CASES[name]
    layer = layer_cls(**_batch_kwargs(layer_cls, kwargs))

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        batch=st.integers(2, 7),
        time=st.integers(20, 40),
        seed=st.integers(0, 2**30),
    )
    def check(batch, time, seed):
        inputs = make_inputs(layer_cls, kwargs, batch=batch, time=time, seed=seed % 97)
        rows = _rows(_params(layer, inputs, seed))
        np.testing.assert_array_equal(rows, np.broadcast_to(rows[:1], rows.shape))

    check()


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_granularity_draws_params_per_example(name):
    """With 200 examples, few share example 0's params (the most likely
    coincidence among these cases, TimeRoll's 11 shifts or the synthetic
    bank's 12 responses, has probability 1/11; the bound 0.5 is > 9 binomial
    standard deviations above it)."""
    layer_cls, kwargs, _ = CASES[name]
    layer = layer_cls(**kwargs)
    rows = _rows(_params(layer, make_inputs(layer_cls, kwargs, batch=200), 3))
    same_as_first = np.all(rows[1:] == rows[:1], axis=1).mean()
    assert same_as_first < 0.5, same_as_first


@given(
    batch=st.integers(1, 9),
    prob=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**30),
)
@settings(max_examples=40, deadline=None)
def test_a_batch_gate_is_all_or_nothing(batch, prob, seed):
    applied = random_ops.gate(tf.constant([seed, 1]), batch, prob, "batch").numpy()
    assert applied.shape == (batch,)
    assert applied.all() or not applied.any()


@functools.cache
def _policy(mode):
    """One MixingPolicy per mode, built outside the graphs that sample from it."""
    return ks.MixingPolicy([ks.MixUp()], prob=0.4, mode=mode, num_classes=2)


# Samplers whose gate can be read off their params: True where the example is augmented.
GATE_READERS = {
    "MixUp": (
        lambda seed, batch, g: mixing_ops.sample_mixup_params(
            seed, batch, alpha=1.0, prob=0.4, gate_granularity=g
        ),
        lambda p: p["lam"] < 1.0,
    ),
    "CutMix": (
        lambda seed, batch, g: mixing_ops.sample_cutmix_params(
            seed, batch, 2**20, 8, alpha=1.0, axes="time", prob=0.4, gate_granularity=g
        ),
        lambda p: p["time_widths"][:, 0] > 0,
    ),
    "SpecMix": (
        lambda seed, batch, g: mixing_ops.sample_specmix_params(
            seed, batch, 50, 40, min_freq_bands=1, prob=0.4, gate_granularity=g
        ),
        lambda p: p["freq_widths"][:, 0] > 0,
    ),
    "FrequencyMixStyle": (
        lambda seed, batch, g: mix_style_ops.sample_freq_mixstyle_params(
            seed, batch, alpha=1.0, prob=0.4, gate_granularity=g
        ),
        lambda p: p["lam"] < 1.0,
    ),
    "DeviceImpulseResponse": (
        lambda seed, batch, g: ir_ops.sample_impulse_response_params(
            seed, batch, 12, prob=0.4, gate_granularity=g
        ),
        lambda p: p["applied"],
    ),
    "MixingPolicy": (
        lambda seed, batch, g: _policy(g).sample_params(
            {"spectrograms": tf.zeros([batch, 4, 4])}, seed
        ),
        lambda p: p["choice"] >= 0,
    ),
}


@pytest.mark.parametrize("name", sorted(GATE_READERS))
def test_gate_granularity_statistics(name):
    """400 batches of 8 at prob = 0.4.

    Batch gate: every batch all-or-nothing, and the number of batches
    augmented within 4.5 standard deviations of Bin(400, 0.4) (160 ± 44).
    Example gate: the share of examples augmented within 4.5 standard
    deviations of 0.4 over 3200 draws (± 0.039), and batches that are partly
    augmented (each batch is all-or-nothing with probability 0.017 only).
    """
    sample, read = GATE_READERS[name]
    batches = 400
    # One graph per granularity, called with 400 seeds (eager calls cost 10× more); one
    # eager call first builds any layer the sampler holds (its variables outside the graph).
    for g in ("batch", "example"):
        sample(tf.constant([0, 9]), 8, g)
    draw = {g: tf.function(lambda s, g=g: read(sample(s, 8, g))) for g in ("batch", "example")}
    by_batch = np.stack([draw["batch"](tf.constant([i, 9])).numpy() for i in range(batches)])
    assert np.all(by_batch.all(axis=1) | ~by_batch.any(axis=1))
    assert abs(by_batch[:, 0].sum() - 0.4 * batches) <= 4.5 * np.sqrt(batches * 0.24)
    by_example = np.stack([draw["example"](tf.constant([i, 9])).numpy() for i in range(batches)])
    assert abs(by_example.mean() - 0.4) <= 4.5 * np.sqrt(0.24 / by_example.size)
    partial = ~(by_example.all(axis=1) | ~by_example.any(axis=1))
    assert partial.mean() > 0.9


def test_dcase_baseline_freq_mixstyle_batch_gate_with_per_example_lambda():
    """The DCASE 2024/2025 baseline: one gate per batch, a λ per example."""
    layer = ks.FrequencyMixStyle(alpha=0.3, prob=0.4, gate_granularity="batch", seed=0)
    x = tf.random.stateless_normal([16, 30, 12, 1], seed=[1, 2])
    mixed = 0
    for i in range(60):
        params = _params(layer, x, i)
        lam = params["lam"].numpy()
        if np.all(lam == 1.0):
            continue
        mixed += 1
        # A λ per example: Beta(0.3, 0.3) puts a few % of its mass within
        # float32 rounding of 1, so a mixed batch may hold a λ of exactly 1.
        assert len(set(lam.tolist())) >= 12
    assert 5 <= mixed <= 45  # Bin(60, 0.4): 24 ± 4.9 standard deviations


def test_timm_batch_mode_one_lambda_and_one_box():
    """timm's Mixup(mode="batch"): one method, one λ and one box for the batch."""
    policy = ks.MixingPolicy(
        [ks.MixUp(param_granularity="batch"), ks.CutMix(param_granularity="batch")],
        mode="batch",
        num_classes=4,
        return_mix_info=True,
        seed=1,
    )
    x = tf.random.stateless_normal([6, 40, 20, 1], seed=[3, 4])
    y = tf.range(6) % 4
    for _ in range(8):
        out = policy({"spectrograms": x, "labels": y})
        methods = out["mix_methods"].numpy()
        assert len(set(methods.tolist())) == 1
        lam = out["mix_weights"].numpy()
        np.testing.assert_array_equal(lam, np.full_like(lam, lam[0]))


def test_policy_granularity_must_follow_its_mode():
    with pytest.raises(ValueError, match="mode"):
        ks.MixingPolicy([ks.MixUp()], mode="example", param_granularity="batch")
    with pytest.raises(ValueError, match="mode"):
        ks.MixingPolicy([ks.MixUp()], mode="batch", gate_granularity="example")
    config = ks.MixingPolicy([ks.MixUp()], mode="batch").get_config()
    assert config["gate_granularity"] == config["param_granularity"] == "batch"
    assert ks.MixingPolicy.from_config(config).mode == "batch"


@pytest.mark.parametrize(
    ("layer_cls", "kwargs"),
    [
        (ks.TimeRoll, {"max_shift": 3, "param_granularity": "examples"}),
        (ks.MixUp, {"gate_granularity": "all"}),
        (ks.FrequencyMixStyle, {"gate_granularity": None}),
    ],
)
def test_an_unknown_granularity_names_the_argument(layer_cls, kwargs):
    name = next(k for k in kwargs if k.endswith("granularity"))
    with pytest.raises(ValueError, match=name):
        layer_cls(**kwargs)


def test_an_ungated_layer_takes_no_gate_granularity():
    with pytest.raises((TypeError, ValueError), match="gate_granularity"):
        ks.TimeRoll(max_shift=3, gate_granularity="batch")


def test_batch_granularity_with_lengths_is_the_same_relative_draw():
    """Time masks of examples of equal length are equal; shorter ones stay inside."""
    layer = ks.TimeMasking(time_mask_param=6, num_time_masks=2, param_granularity="batch")
    x = tf.zeros([4, 30, 8])
    data = layer._unpack({"spectrograms": x, "lengths": tf.constant([30, 30, 12, 12])})
    p = layer.sample_params(data, tf.constant([4, 4]))
    starts, widths = p["time_starts"].numpy(), p["time_widths"].numpy()
    np.testing.assert_array_equal(starts[0], starts[1])
    np.testing.assert_array_equal(starts[2], starts[3])
    assert np.all(starts[2:] + widths[2:] <= 12)
