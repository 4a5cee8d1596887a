"""SpecAugment, TimeWarp, FrequencyMasking and TimeMasking layers."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_specmix.layers.frequency_masking import FrequencyMasking
from keras_specmix.layers.spec_augment import SpecAugment
from keras_specmix.layers.time_masking import TimeMasking
from keras_specmix.layers.time_warp import TimeWarp
from tests.layer_checks import layer_check_params
from tests.layer_checks import run_layer_check

MASK_BAD = [("mask_value", "median"), ("mask_value", True), ("per_channel", "yes"), ("seed", -1)]
TIME_BAD = [
    ("time_mask_param", -1),
    ("num_time_masks", 1.5),
    ("time_mask_max_ratio", 1.5),
    ("time_mask_count_ratio", -0.1),
    ("time_mask_size_ratio", 2.0),
]

# The shared checks use (batch, 24, 16, 3) inputs, so the widths are small.
CASES = {
    "TimeWarp": (
        TimeWarp,
        {"time_warp_param": 5},
        [("time_warp_param", -1), ("time_warp_param", 2.5), ("seed", -1)],
    ),
    "FrequencyMasking": (
        FrequencyMasking,
        {"freq_mask_param": 8, "num_freq_masks": 2},
        [("freq_mask_param", -1), ("num_freq_masks", -2)] + MASK_BAD,
    ),
    "TimeMasking": (
        TimeMasking,
        {"time_mask_param": 8, "num_time_masks": 2, "mask_value": "mean", "per_channel": True},
        TIME_BAD + MASK_BAD,
    ),
    "SpecAugment": (
        SpecAugment,
        {"policy": "LD", "time_warp_param": 5, "freq_mask_param": 8, "time_mask_param": 8},
        [("policy", "XX"), ("policy", "ld"), ("freq_mask_param", -3), ("time_warp_param", "big")]
        + TIME_BAD
        + MASK_BAD,
    ),
    "SpecAugment-adaptive": (
        SpecAugment,
        {
            "time_warp_param": 3,
            "freq_mask_param": 4,
            "num_time_masks": 5,
            "mask_value": -1.5,
            "time_mask_count_ratio": 0.1,
            "time_mask_size_ratio": 0.2,
        },
        [("num_freq_masks", -1)],
    ),
}


@pytest.mark.parametrize(("name", "check"), layer_check_params(CASES))
def test_shared_layer_checks(name, check, tmp_path):
    layer_cls, kwargs, bad = CASES[name]
    run_layer_check(check, layer_cls, kwargs, bad, tmp_path)


# ------------------------------------------------- the "must show"
def test_ld_policy_on_a_scene_batch_everywhere(tmp_path):
    x = tf.random.stateless_normal([32, 400, 128, 3], seed=[0, 1])
    layer = SpecAugment(policy="LD", seed=0)
    eager = layer(x)
    graph = tf.function(lambda t: layer(t))(x)
    xla = tf.function(lambda t: layer(t), jit_compile=True)(x)
    for out in (eager, graph, xla):
        assert out.shape == x.shape
        assert not np.array_equal(out.numpy(), x.numpy())
        # LD masks at least nothing and at most 2·27 bins + 2·100 frames.
        assert 0 < np.mean(out.numpy() == 0) < (54 * 400 + 200 * 128) / (400 * 128)

    ds = tf.data.Dataset.from_tensors(x).repeat(2).map(SpecAugment(policy="LD", seed=0))
    batches = [b.numpy() for b in ds]
    assert batches[0].shape == (32, 400, 128, 3)
    assert not np.array_equal(batches[0], batches[1])

    inputs = keras.Input((400, 128, 3))
    model = keras.Model(inputs, SpecAugment(policy="LD", seed=0)(inputs))
    model.save(str(tmp_path / "m.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "m.keras"))
    assert loaded.layers[-1].get_config() == model.layers[-1].get_config()
    np.testing.assert_array_equal(loaded(x, training=True).numpy(), model(x, training=True).numpy())
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), x.numpy())
    loaded.export(str(tmp_path / "served"))
    served = tf.saved_model.load(str(tmp_path / "served")).serve(x)
    np.testing.assert_array_equal(served.numpy(), x.numpy())


# ------------------------------------------------------------ dict inputs
@pytest.mark.parametrize(
    "layer_cls, kwargs",
    [
        (TimeWarp, {"time_warp_param": 6}),
        (FrequencyMasking, {"freq_mask_param": 10, "num_freq_masks": 3}),
        (TimeMasking, {"time_mask_param": 20, "num_time_masks": 3, "per_channel": True}),
        (
            SpecAugment,
            {
                "time_warp_param": 6,
                "freq_mask_param": 10,
                "time_mask_param": 20,
                "mask_value": "mean",
            },
        ),
    ],
)
def test_lengths_keep_padding_untouched_and_labels_pass_through(layer_cls, kwargs):
    x = tf.random.stateless_normal([8, 60, 32, 2], seed=[4, 4])
    lengths = tf.constant([60, 59, 40, 30, 20, 15, 13, 0])
    labels = tf.one_hot(tf.range(8) % 3, 3)
    layer = layer_cls(seed=1, **kwargs)
    run = tf.function(lambda d: layer(d), jit_compile=True)
    out = run({"spectrograms": x, "lengths": lengths, "labels": labels})
    assert sorted(out) == ["labels", "lengths", "spectrograms"]
    np.testing.assert_array_equal(out["labels"].numpy(), labels.numpy())
    np.testing.assert_array_equal(out["lengths"].numpy(), lengths.numpy())
    changed = False
    for b, n in enumerate(lengths.numpy()):
        np.testing.assert_array_equal(out["spectrograms"][b, n:], x[b, n:])
        changed |= not np.array_equal(out["spectrograms"][b, :n], x[b, :n])
    assert changed
    # A padding mask gives the same result as the lengths it encodes.
    mask = tf.sequence_mask(lengths, 60)
    same = layer_cls(seed=1, **kwargs)({"spectrograms": x, "padding_mask": mask})
    again = layer_cls(seed=1, **kwargs)({"spectrograms": x, "lengths": lengths})
    np.testing.assert_array_equal(same["spectrograms"], again["spectrograms"])


def test_training_false_returns_dict_unchanged():
    data = {
        "spectrograms": tf.random.normal([2, 30, 8]),
        "lengths": tf.constant([30, 9]),
        "labels": tf.constant([1, 0]),
    }
    out = SpecAugment(policy="SS", seed=0)(data, training=False)
    for key in data:
        np.testing.assert_array_equal(out[key], data[key])


def test_bad_lengths_raise():
    x = tf.zeros([2, 10, 4])
    with pytest.raises(TypeError, match="lengths"):
        TimeMasking()({"spectrograms": x, "lengths": tf.constant([1.0, 2.0])})
    with pytest.raises(ValueError, match="lengths"):
        TimeWarp()({"spectrograms": x, "lengths": tf.constant([[1, 2]])})
    with pytest.raises(ValueError, match="padding_mask"):
        FrequencyMasking()({"spectrograms": x, "padding_mask": tf.ones([2], tf.bool)})


# ------------------------------------------------------ policy and options
@pytest.mark.parametrize(
    "policy, expected",
    [
        ("LB", (80, 27, 1, 100, 1, 1.0)),
        ("LD", (80, 27, 2, 100, 2, 1.0)),
        ("SM", (40, 15, 2, 70, 2, 0.2)),
        ("SS", (40, 27, 2, 70, 2, 0.2)),
        (None, (80, 27, 2, 100, 2, 1.0)),
    ],
)
def test_policies(policy, expected):
    layer = SpecAugment(policy=policy)
    got = (
        layer.time_warp_param,
        layer.freq_mask_param,
        layer.num_freq_masks,
        layer.time_mask_param,
        layer.num_time_masks,
        layer.time_mask_max_ratio,
    )
    assert got == expected


def test_explicit_arguments_override_the_policy_and_round_trip():
    layer = SpecAugment(policy="SM", freq_mask_param=5, time_warp_param=0)
    got = (layer.freq_mask_param, layer.time_warp_param, layer.time_mask_param)
    assert got == (5, 0, 70)
    config = layer.get_config()
    assert config["policy"] == "SM" and config["time_mask_param"] is None
    clone = SpecAugment.from_config(config)
    assert clone.freq_mask_param == 5 and clone.time_mask_max_ratio == 0.2


def test_time_mask_max_ratio_caps_the_masked_frames():
    # SM: p = 0.2, so each of the 2 masks covers at most 10 of 50 frames.
    x = tf.ones([500, 50, 4])
    out = SpecAugment(policy="SM", freq_mask_param=0, time_warp_param=0, seed=3)(x)
    masked_frames = np.sum(np.all(out.numpy() == 0, axis=2), axis=1)
    assert masked_frames.max() <= 20 and masked_frames.max() >= 11


def test_per_channel_masks_differ_across_channels():
    x = tf.ones([16, 40, 30, 3])
    shared = FrequencyMasking(freq_mask_param=15, seed=0)(x).numpy()
    np.testing.assert_array_equal(shared[..., 0], shared[..., 2])
    layer = FrequencyMasking(freq_mask_param=15, per_channel=True, seed=0)
    independent = layer(x).numpy()
    assert not np.array_equal(independent[..., 0], independent[..., 2])


def test_zero_parameters_are_the_identity():
    x = tf.random.normal([4, 30, 10, 2])
    layer = SpecAugment(time_warp_param=0, freq_mask_param=0, time_mask_param=0, seed=0)
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    unwarped = TimeWarp(time_warp_param=0, seed=0)(x).numpy()
    np.testing.assert_array_equal(unwarped, x.numpy())


def test_mean_mask_value_fills_with_the_examples_mean():
    x = tf.random.stateless_normal([6, 40, 20], seed=[2, 2])
    x += tf.range(6.0)[:, None, None]
    out = TimeMasking(time_mask_param=40, mask_value="mean", seed=5)(x).numpy()
    means = x.numpy().mean(axis=(1, 2))
    for b in range(6):
        changed = np.any(out[b] != x.numpy()[b], axis=1)
        np.testing.assert_allclose(out[b][changed], means[b], rtol=1e-5)


def test_saved_training_step_keeps_augmenting(tmp_path):
    """A tf.Module step calling the layer with training=True survives
    tf.saved_model save/load and draws fresh masks at every call."""
    module = tf.Module()
    module.layer = SpecAugment(time_warp_param=3, freq_mask_param=6, time_mask_param=6, seed=2)
    spec = {
        "spectrograms": tf.TensorSpec([None, None, 16], tf.float32),
        "lengths": tf.TensorSpec([None], tf.int32),
    }
    module.step = tf.function(
        lambda d: module.layer(d, training=True), input_signature=[spec], autograph=False
    )
    tf.saved_model.save(module, str(tmp_path / "step"))
    loaded = tf.saved_model.load(str(tmp_path / "step"))  # keep it alive
    step = loaded.step
    data = {"spectrograms": tf.random.normal([4, 30, 16]), "lengths": tf.constant([30, 20, 10, 5])}
    first, second = step(data)["spectrograms"], step(data)["spectrograms"]
    assert not np.array_equal(first.numpy(), second.numpy())
    np.testing.assert_array_equal(first[1, 20:], data["spectrograms"][1, 20:])
