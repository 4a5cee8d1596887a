"""CP-Mobile (the DCASE 2024/2025 Task 1 baseline network) and the complexity counter."""

import keras
import numpy as np
import pytest

from keras_specmix.experiments import complexity
from keras_specmix.experiments import cp_mobile
from keras_specmix.experiments import models

# The baseline's README (CPJKU/dcase2025_task1_baseline, "Model complexity"):
# the per-module table counted with torchinfo for a [1, 1, 256, 65] input,
# as (input shape (channels, freq, time), params, MACs) of each
# Conv2dNormActivation (conv + batch norm) and of the classifier's conv and BN.
REFERENCE_PARAMS = 61_148
REFERENCE_MACS = 29_419_156
REFERENCE_MODULES = [
    ((1, 256, 65), 88, 304_144),
    ((8, 128, 33), 2_368, 2_506_816),
    ((32, 64, 17), 2_176, 2_228_352),
    ((64, 64, 17), 704, 626_816),
    ((64, 64, 17), 2_112, 2_228_288),
    ((32, 64, 17), 2_176, 2_228_352),
    ((64, 64, 17), 704, 626_816),
    ((64, 64, 17), 2_112, 2_228_288),
    ((32, 64, 17), 2_176, 2_228_352),
    ((64, 64, 17), 704, 331_904),
    ((64, 64, 9), 2_112, 1_179_712),
    ((32, 64, 9), 2_176, 1_179_776),
    ((64, 64, 9), 704, 166_016),
    ((64, 32, 9), 3_696, 1_032_304),
    ((56, 32, 9), 6_960, 1_935_600),
    ((120, 32, 9), 1_320, 311_280),
    ((120, 32, 9), 6_832, 1_935_472),
    ((56, 32, 9), 6_960, 1_935_600),
    ((120, 32, 9), 1_320, 311_280),
    ((120, 32, 9), 12_688, 3_594_448),
]


@pytest.fixture(scope="module")
def baseline():
    return cp_mobile.cp_mobile((65, 256, 1), 10)


def test_totals_match_the_baseline_readme_within_one_percent(baseline):
    count = complexity.count_complexity(baseline)
    assert abs(count["params"] - REFERENCE_PARAMS) <= 0.01 * REFERENCE_PARAMS
    assert abs(count["macs"] - REFERENCE_MACS) <= 0.01 * REFERENCE_MACS
    # Also the Keras view of the same number: the trainable weights.
    assert sum(int(np.prod(w.shape)) for w in baseline.trainable_weights) == count["params"]


def test_every_module_matches_the_readme_table(baseline):
    """Each conv + BN pair has the README's input shape, params and MACs."""
    rows = complexity.count_complexity(baseline)["layers"]
    convs = [r for r in rows if "Conv" in r[1]]
    bns = [r for r in rows if r[1] == "BatchNormalization"]
    assert len(convs) == len(bns) == len(REFERENCE_MODULES) + 1  # + classifier
    for conv, bn, (shape, params, macs) in zip(convs, bns, REFERENCE_MODULES):
        layer = baseline.get_layer(conv[0])
        channels, freq, time = shape
        # Keras layout (time, freq, channels); the padding layer feeds 3×3 convs.
        assert tuple(layer.input.shape[1:]) in (
            (time, freq, channels),
            (time + 2, freq + 2, channels),
        ), conv[0]
        assert (conv[2] + bn[2], conv[3] + bn[3]) == (params, macs), conv[0]


def test_feature_map_alignment_is_symmetric_like_pytorch():
    """A unit impulse at the centre stays centred: the padding is symmetric."""
    model = cp_mobile.cp_mobile((9, 9, 1), 2, n_blocks=(1,))
    stem = model.get_layer("stem1_conv")
    stem.set_weights([np.ones((3, 3, 1, 8), "float32")])
    probe = keras.Model(model.input, stem.output)
    x = np.zeros((1, 9, 9, 1), "float32")
    x[0, 4, 4, 0] = 1.0
    out = keras.ops.convert_to_numpy(probe(x))[0, :, :, 0]  # 5×5 map, stride 2 over padding 1
    assert out.shape == (5, 5)
    np.testing.assert_array_equal(np.argwhere(out > 0), [[2, 2]])


def test_shortcut_pool_counts_zero_padding_in_the_mean():
    """PyTorch's AvgPool2d(3, stride, padding=1) divides by 9 at the border too."""
    model = cp_mobile.cp_mobile((32, 32, 1), 2, base_channels=8, n_blocks=(3,))
    pool = model.get_layer("s1_b3_pool")
    probe = keras.Model(model.get_layer("s1_b3_pool_pad").input, pool.output)
    ones = np.ones((1,) + tuple(probe.input.shape[1:]), "float32")
    out = keras.ops.convert_to_numpy(probe(ones))[0, :, :, 0]
    # The corner's window holds one padded row and one padded column (4 of 9
    # cells are ones); an edge window one padded row (6 of 9); inside, 9 of 9.
    assert out[0, 0] == pytest.approx(4.0 / 9.0)
    assert out[0, 1] == pytest.approx(6.0 / 9.0)
    assert out[1, 1] == pytest.approx(1.0)


@pytest.mark.parametrize("strides", [(2, 1), (1, 2), (2, 2), (1, 1)])
def test_subsampled_depthwise_equals_the_strided_kernel(strides):
    x = np.random.default_rng(1).normal(size=(2, 11, 10, 4)).astype("float32")
    ours = cp_mobile.SubsampledDepthwiseConv2D(3, strides=strides, use_bias=True)
    ours.build(x.shape)
    ours.set_weights([np.random.default_rng(2).normal(size=w.shape) for w in ours.get_weights()])
    kernel, bias = ours.get_weights()
    rows = (x.shape[1] - 3) // strides[0] + 1
    cols = (x.shape[2] - 3) // strides[1] + 1
    reference = np.zeros((2, rows, cols, 4), "float64") + bias
    for di in range(3):  # the definition of a strided "valid" depthwise convolution
        for dj in range(3):
            window = x[
                :,
                di : di + strides[0] * rows : strides[0],
                dj : dj + strides[1] * cols : strides[1],
            ]
            reference += window * kernel[di, dj, :, 0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(x)), reference, rtol=1e-5, atol=1e-5)
    # The output shape is the strided kernel's.
    assert ours.compute_output_shape(x.shape) == ours(x).shape


def test_any_time_length_and_the_runner_registry():
    model = models.build_model("cp_mobile", (None, 64, 3), 5, width=8)
    for frames in (17, 40):
        out = model(np.zeros((2, frames, 64, 3), "float32"), training=False)
        assert out.shape == (2, 5)
        np.testing.assert_allclose(np.sum(keras.ops.convert_to_numpy(out), axis=1), 1.0, rtol=1e-5)
    assert "cp_mobile" in models.MODELS


def test_trains_a_step():
    model = cp_mobile.cp_mobile((20, 32, 1), 3, base_channels=8)
    model.compile("adam", "categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(8, 20, 32, 1)).astype("float32")
    y = keras.utils.to_categorical(np.arange(8) % 3, 3)
    loss = model.fit(x, y, epochs=2, verbose=0).history["loss"]
    assert np.isfinite(loss).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_classes": 1}, "num_classes"),
        ({"n_blocks": ()}, "n_blocks"),
        ({"expansion_rate": 0.5}, "expansion_rate"),
        ({"input_shape": (65, 256)}, "input_shape"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    arguments = {"input_shape": (65, 256, 1), "num_classes": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        cp_mobile.cp_mobile(**arguments)


def test_dynamic_shapes_are_refused_by_the_counter():
    with pytest.raises(ValueError, match="fixed input shape"):
        complexity.count_complexity(cp_mobile.cp_mobile((None, 64, 1), 3))
