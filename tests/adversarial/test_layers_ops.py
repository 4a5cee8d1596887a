"""Adversarial inputs for the layers, the ops, ``data`` and ``MixingModel``.

Each case feeds something a user can plausibly pass and asserts either a
clear error that names the argument and the value received, or the
specified correct result. Property-based invariants are in
``test_properties.py``.
"""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_specmix as ks
from keras_specmix import ops

INF = float("inf")
MIXERS = [ks.MixUp, ks.CutMix, ks.SpecMix]
MASKERS = [ks.SpecAugment, ks.TimeWarp, ks.TimeMasking, ks.FrequencyMasking]


def _x(*shape, dtype="float32", seed=0):
    return tf.constant(np.random.default_rng(seed).normal(size=shape).astype(dtype))


def _mix(layer_cls, x, y, **kwargs):
    kwargs.setdefault("num_classes", 3)
    return layer_cls(seed=1, **kwargs)({"spectrograms": x, "labels": y})


def _small(layer_cls, **kwargs):
    if layer_cls is ks.SpecAugment:
        kwargs.setdefault("time_warp_param", 2)
        kwargs.setdefault("time_mask_param", 3)
        kwargs.setdefault("freq_mask_param", 3)
    if layer_cls is ks.TimeWarp:
        kwargs.setdefault("time_warp_param", 2)
    if layer_cls is ks.TimeMasking:
        kwargs.setdefault("time_mask_param", 3)
    if layer_cls is ks.FrequencyMasking:
        kwargs.setdefault("freq_mask_param", 3)
    return layer_cls(seed=2, **kwargs)


# ---------------------------------------------------------------- dtypes, ranks
@pytest.mark.parametrize("layer_cls", MASKERS)
def test_integer_spectrograms_are_refused_with_their_dtype(layer_cls):
    with pytest.raises(TypeError, match="floating-point.*int32"):
        _small(layer_cls)(tf.zeros([2, 10, 8], tf.int32))


@pytest.mark.parametrize("shape", [(4, 16), (2, 3, 4, 5, 6), (7,)])
def test_wrong_ranks_are_refused_with_their_shape(shape):
    with pytest.raises(ValueError, match=r"Received: shape=\(" + str(shape[0])):
        ks.SpecAugment(seed=0)(tf.zeros(shape))


def test_mixing_a_bare_tensor_is_refused():
    with pytest.raises(ValueError, match="must mix their labels too"):
        ks.SpecMix(num_classes=3)(tf.zeros([2, 10, 8]))


def test_a_dict_without_spectrograms_names_the_key():
    with pytest.raises(ValueError, match="'spectrograms'.*Received keys: \\['x'\\]"):
        ks.SpecAugment()({"x": tf.zeros([2, 10, 8])})


def test_a_mixing_dict_without_labels_names_the_keys():
    with pytest.raises(ValueError, match="'labels'"):
        ks.MixUp(num_classes=3)({"spectrograms": tf.zeros([2, 10, 8])})


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
@pytest.mark.parametrize("layer_cls", [ks.SpecMix, ks.MixUp])
def test_every_float_dtype_comes_back_in_its_dtype(layer_cls, dtype):
    x = tf.cast(_x(4, 10, 8, 2), dtype)
    out = _mix(layer_cls, x, tf.constant([0, 1, 2, 0]))
    assert out["spectrograms"].dtype == dtype
    assert out["labels"].dtype == tf.float32


def test_float16_near_its_maximum_stays_finite():
    x = tf.fill([4, 10, 8], tf.constant(65000.0, tf.float16))
    for layer_cls in MIXERS:
        out = _mix(layer_cls, x, tf.constant([0, 1, 2, 0]))["spectrograms"]
        assert np.all(np.isfinite(out.numpy().astype("float32")))


def test_a_mixed_float16_policy_does_not_overflow_float32_input():
    x = tf.fill([2, 10, 8], 1e5)
    layer = ks.SpecAugment(seed=0, dtype="mixed_float16", time_warp_param=2)
    np.testing.assert_array_equal(layer(x, training=False), x)
    assert np.all(np.isfinite(layer(x).numpy()))


# ------------------------------------------------------------------ shapes
@pytest.mark.parametrize("shape", [(0, 10, 8, 1), (3, 0, 8, 1), (3, 1, 8, 1), (3, 10, 1, 1)])
@pytest.mark.parametrize("layer_cls", MIXERS)
def test_degenerate_shapes_mix_to_finite_labels(layer_cls, shape):
    x = _x(*shape)
    out = _mix(layer_cls, x, tf.zeros([shape[0]], tf.int32))
    assert out["spectrograms"].shape == shape
    assert out["labels"].shape == (shape[0], 3)
    assert np.all(np.isfinite(out["labels"].numpy()))
    np.testing.assert_allclose(out["labels"].numpy().sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("shape", [(0, 10, 8), (3, 0, 8), (3, 1, 8), (3, 10, 1)])
@pytest.mark.parametrize("layer_cls", MASKERS)
def test_degenerate_shapes_augment_without_error(layer_cls, shape):
    out = _small(layer_cls)(_x(*shape))
    assert out.shape == shape


@pytest.mark.parametrize("layer_cls", MIXERS)
def test_a_batch_of_one_comes_back_unmixed(layer_cls):
    x = _x(1, 10, 8)
    out = layer_cls(num_classes=3, return_mix_info=True, seed=0)(
        {"spectrograms": x, "labels": tf.constant([2])}
    )
    np.testing.assert_array_equal(out["spectrograms"], x)
    np.testing.assert_array_equal(out["labels"], [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(out["mix_weights"], [1.0])


# ------------------------------------------------------------------ labels
def test_labels_of_another_batch_size_are_refused():
    with pytest.raises(ValueError, match="different batch sizes"):
        _mix(ks.SpecMix, _x(4, 10, 8), tf.zeros([3], tf.int32))


def test_one_hot_labels_of_another_class_count_are_refused():
    with pytest.raises(ValueError, match="labels have 5 classes but num_classes=3"):
        _mix(ks.MixUp, _x(4, 10, 8), tf.zeros([4, 5]))


def test_sparse_labels_without_num_classes_name_the_argument():
    with pytest.raises(ValueError, match="num_classes=None"):
        ks.CutMix()({"spectrograms": _x(4, 10, 8), "labels": tf.zeros([4], tf.int32)})


def test_float_labels_of_shape_batch_are_refused():
    with pytest.raises(TypeError, match="integer class ids.*float32"):
        _mix(ks.SpecMix, _x(4, 10, 8), tf.zeros([4]))


@pytest.mark.parametrize("labels", [[0, 1, 3, 0], [0, -1, 2, 0]])
def test_out_of_range_sparse_labels_are_refused(labels):
    with pytest.raises(ValueError, match=r"class ids in \[0, 3\)"):
        _mix(ks.SpecMix, _x(4, 10, 8), tf.constant(labels))


def test_labels_of_rank_three_are_refused():
    with pytest.raises(ValueError, match="must have shape \\(batch, classes\\)"):
        _mix(ks.MixUp, _x(4, 10, 8), tf.zeros([4, 3, 1]))


def test_soft_labels_stay_distributions():
    y = tf.constant([[0.7, 0.3, 0.0], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.2, 0.2, 0.6]])
    for layer_cls in MIXERS:
        out = _mix(layer_cls, _x(4, 10, 8), y)["labels"].numpy()
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
        assert np.all(out >= 0)


def test_int64_and_int32_labels_mix_identically():
    x = _x(4, 10, 8)
    a = _mix(ks.SpecMix, x, tf.constant([0, 1, 2, 0], tf.int32))
    b = _mix(ks.SpecMix, x, tf.constant([0, 1, 2, 0], tf.int64))
    np.testing.assert_array_equal(a["labels"], b["labels"])


# ------------------------------------------------------------- non-finite
def test_mixup_leaves_minus_inf_alone_when_nothing_is_mixed():
    x = tf.constant([[[0.0, -INF], [1.0, 2.0]]])
    out = ks.MixUp(num_classes=2, seed=0)({"spectrograms": x, "labels": tf.constant([0])})
    np.testing.assert_array_equal(out["spectrograms"], x)


def test_time_warp_of_a_short_clip_with_minus_inf_is_the_identity():
    x = tf.constant([[[1.0], [-INF], [2.0], [3.0]]])
    np.testing.assert_array_equal(ks.TimeWarp(time_warp_param=5, seed=0)(x), x)


@pytest.mark.parametrize("layer_cls", MIXERS)
@pytest.mark.parametrize("static", [True, False])
def test_infinite_cells_never_become_nan_static_or_not(layer_cls, static):
    x = _x(8, 20, 16, 2).numpy()
    x[:, :, 3] = -INF
    x[::2, 5] = INF
    layer = layer_cls(num_classes=3, seed=4)
    spec = tf.TensorSpec([8, 20, 16, 2] if static else [None, None, 16, 2])
    fn = tf.function(
        lambda d: layer(d),
        input_signature=[{"spectrograms": spec, "labels": tf.TensorSpec([None], tf.int32)}],
    )
    out = fn({"spectrograms": x, "labels": np.arange(8, dtype="int32") % 3})
    assert not np.any(np.isnan(out["spectrograms"].numpy()))


def test_static_and_dynamic_shapes_give_the_same_result():
    x = _x(8, 20, 16, 2).numpy()
    x[:, :, 3] = -INF
    data = {"spectrograms": x, "labels": np.arange(8, dtype="int32") % 3}
    layer = ks.SpecMix(num_classes=3)
    dynamic = tf.function(
        lambda d: layer.augment(d, [1, 2]),
        input_signature=[
            {
                "spectrograms": tf.TensorSpec([None, None, 16, 2]),
                "labels": tf.TensorSpec([None], tf.int32),
            }
        ],
    )
    np.testing.assert_array_equal(
        layer.augment(data, [1, 2])["spectrograms"], dynamic(data)["spectrograms"]
    )


def test_mean_mask_value_ignores_infinite_cells():
    x = np.ones([2, 30, 8], "float32")
    x[:, 0] = -INF
    x[:, 1] = INF
    out = ks.SpecAugment(mask_value="mean", time_warp_param=0, freq_mask_param=8, seed=1)(x).numpy()
    assert not np.any(np.isnan(out))
    assert set(np.unique(out[np.isfinite(out)])) <= {1.0}


# ------------------------------------------------------- lengths and masks
def test_a_padding_mask_with_a_gap_is_refused():
    mask = tf.constant([[True, False, True, True]])
    with pytest.raises(ValueError, match="padding_mask.*come first"):
        ks.SpecAugment(seed=0)({"spectrograms": _x(1, 4, 8), "padding_mask": mask})


def test_a_padding_mask_with_a_gap_is_refused_in_a_graph_too():
    layer = ks.TimeMasking(time_mask_param=2, seed=0)
    fn = tf.function(lambda d: layer(d))
    with pytest.raises(tf.errors.InvalidArgumentError, match="come first"):
        fn({"spectrograms": _x(1, 4, 8), "padding_mask": tf.constant([[False, True, True, True]])})


def test_a_padding_mask_of_rank_one_is_refused():
    with pytest.raises(ValueError, match="padding_mask.*\\(batch, time\\)"):
        ks.SpecAugment()({"spectrograms": _x(2, 4, 8), "padding_mask": tf.ones([4], tf.bool)})


def test_float_lengths_are_refused():
    with pytest.raises(TypeError, match="`lengths` must be an integer tensor"):
        ks.SpecMix(num_classes=3)(
            {
                "spectrograms": _x(2, 4, 8),
                "labels": tf.constant([0, 1]),
                "lengths": tf.constant([4.0, 2.0]),
            }
        )


def test_lengths_of_rank_two_are_refused():
    with pytest.raises(ValueError, match="lengths"):
        ks.TimeWarp(seed=0)({"spectrograms": _x(2, 4, 8), "lengths": tf.ones([2, 1], tf.int32)})


def test_lengths_beyond_the_time_axis_mean_full_clips():
    x = _x(4, 30, 8)
    layer = ks.SpecMix(num_classes=3)
    full = layer.augment({"spectrograms": x, "labels": tf.constant([0, 1, 2, 0])}, [5, 5])
    over = layer.augment(
        {"spectrograms": x, "labels": tf.constant([0, 1, 2, 0]), "lengths": tf.fill([4], 99)},
        [5, 5],
    )
    np.testing.assert_array_equal(full["spectrograms"], over["spectrograms"])


def test_zero_and_negative_lengths_leave_the_clip_untouched():
    x = _x(2, 30, 8)
    out = ks.SpecAugment(seed=0, time_warp_param=2)(
        {"spectrograms": x, "lengths": tf.constant([0, -5])}
    )
    np.testing.assert_array_equal(out["spectrograms"], x)


# ------------------------------------------------------------- layouts
def test_channels_first_looking_input_warns_and_names_the_fix():
    with pytest.warns(UserWarning, match="data_format='channels_first'"):
        ks.SpecAugment(seed=0)(tf.zeros([4, 3, 128, 400]))


def test_channels_first_is_read_as_channels_first():
    x = tf.zeros([4, 3, 50, 16])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ks.TimeMasking(time_mask_param=10, data_format="channels_first", seed=0)(x + 1)
    masked = np.all(out.numpy() == 0, axis=(1, 3))  # whole frames masked over C and F
    assert out.shape == x.shape and masked.any()


# ------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"data_format": "channels_middle"}, "data_format"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"gamma": 1.5}, "gamma"),
        ({"gamma": (0.8, 0.2)}, "gamma"),
        ({"prob": -3}, "prob"),
        ({"num_classes": 0}, "num_classes"),
        ({"return_mix_info": "yes"}, "return_mix_info"),
        ({"min_time_bands": 3, "max_time_bands": 1}, "min_time_bands"),
    ],
)
def test_bad_specmix_arguments_name_the_argument(kwargs, name):
    with pytest.raises((TypeError, ValueError), match=f"`{name}`"):
        ks.SpecMix(**kwargs)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"mask_value": "median"}, "mask_value"),
        ({"mask_value": INF}, "mask_value"),
        ({"policy": "XL"}, "policy"),
        ({"time_mask_max_ratio": 1.5}, "time_mask_max_ratio"),
        ({"per_channel": 1}, "per_channel"),
        ({"time_warp_param": -1}, "time_warp_param"),
    ],
)
def test_bad_spec_augment_arguments_name_the_argument(kwargs, name):
    with pytest.raises((TypeError, ValueError), match=f"`{name}`"):
        ks.SpecAugment(**kwargs)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: ops.stateless_beta([1, 2], [4], alpha=0), "alpha"),
        (lambda: ops.stateless_beta([1, 2], [4], alpha=float("nan")), "alpha"),
        (lambda: ops.stateless_beta([1, 2], [4], alpha=0.4, beta=-1.0), "beta"),
        (lambda: ops.sample_specmix_params([1, 2], 4, 10, 10, gamma=1.5), "gamma"),
        (lambda: ops.sample_specmix_params([1, 2], 4, 10, 10, prob=-3), "prob"),
        (lambda: ops.sample_mixup_params([1, 2], 4, prob=2.0), "prob"),
        (lambda: ops.sample_mixup_params([1, 2], 4, alpha=-0.4), "alpha"),
        (lambda: ops.sample_cutmix_params([1, 2], 4, 10, 10, axes="diagonal"), "axes"),
        (lambda: ops.sample_freq_mask_params([1, 2], 4, 10, 3, num_masks=-1), "num_masks"),
        (lambda: ops.sample_time_mask_params([1, 2], 2, [5, 5], -2, 1), "time_mask_param"),
        (lambda: ops.sample_time_warp_params([1, 2], 2, [50, 50], -1), "time_warp_param"),
    ],
)
def test_public_ops_validate_their_arguments(call, name):
    with pytest.raises((TypeError, ValueError), match=f"`{name}`"):
        call()


# ------------------------------------------------------------------ data
def test_augment_dataset_refuses_something_that_is_not_a_layer():
    ds = tf.data.Dataset.from_tensors(tf.zeros([2, 10, 8]))
    with pytest.raises(TypeError, match="augmentation="):
        ks.data.augment_dataset(ds, lambda x: x, seed=0)


def test_augment_dataset_refuses_a_negative_seed():
    ds = tf.data.Dataset.from_tensors(tf.zeros([2, 10, 8]))
    with pytest.raises(ValueError, match="Received: seed=-1"):
        ks.data.augment_dataset(ds, ks.SpecAugment(), seed=-1)


def test_augment_dataset_refuses_tuples_of_four():
    ds = tf.data.Dataset.from_tensors((tf.zeros([2, 10, 8]),) * 4)
    with pytest.raises(ValueError, match="tuple of 4 items"):
        ks.data.augment_dataset(ds, ks.SpecAugment(), seed=0)


# ------------------------------------------------------------- MixingModel
def _net():
    return keras.Sequential(
        [
            keras.Input((10, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


@pytest.mark.parametrize(
    "loss", ["sparse_categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy()]
)
def test_mixing_model_refuses_a_sparse_loss_and_names_the_right_one(loss):
    model = ks.MixingModel(_net(), ks.SpecMix(num_classes=3))
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        model.compile("adam", loss)


def test_mixing_model_refuses_a_mixer_that_does_not_mix():
    with pytest.raises(TypeError, match="mixer="):
        ks.MixingModel(_net(), ks.SpecAugment())


def test_mixing_model_fit_without_labels_says_so():
    model = ks.MixingModel(_net(), ks.SpecMix(num_classes=3))
    model.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match="needs \\(x, y\\) batches"):
        model.fit(np.zeros([4, 10, 8, 1], "float32"), epochs=1, verbose=0)


def test_an_augmentation_pipeline_called_without_training_warns_with_the_fix():
    pipeline = keras.Sequential([ks.TimeMasking(time_mask_param=20, seed=0)], name="aug")
    pipeline.build((None, 40, 8))
    x = _x(8, 40, 8)
    with pytest.warns(UserWarning, match=r"aug\(x, training=True\)"):
        out = pipeline(x)
    np.testing.assert_array_equal(out, x)
    assert not np.array_equal(pipeline(x, training=True), x)


def test_exporting_an_augmentation_pipeline_is_silent_and_serves_the_identity(tmp_path):
    """Issue 20 item 12: export is the path where returning the input is right: no warning.

    The same pipeline still warns when called without ``training`` afterwards.
    """
    pipeline = keras.Sequential(
        [keras.Input((40, 8)), ks.TimeMasking(time_mask_param=20, seed=0)], name="aug"
    )
    x = _x(8, 40, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipeline.export(tmp_path / "served", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "served"))
    np.testing.assert_array_equal(served.serve(x), x)
    with pytest.warns(UserWarning, match=r"aug\(x, training=True\)"):
        pipeline(x)


def test_a_keras_file_without_seed_state_loads_and_starts_from_the_seed():
    # keras_specmix 0.1 saved no variables for these layers: loading such a
    # file must not fail (Keras compares variable counts).
    layer = ks.SpecAugment(seed=3, time_warp_param=2)
    fresh = layer.augment(_x(2, 30, 8), [1, 1])
    layer.load_own_variables({})
    np.testing.assert_array_equal(layer.augment(_x(2, 30, 8), [1, 1]), fresh)
    assert [int(v) for v in layer.weights[0].numpy()] == [0, 0, 3]
