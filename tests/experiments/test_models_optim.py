"""Models by name and the PyTorch-style Adam weight decay."""

import keras
import numpy as np
import pytest

from keras_specmix.experiments import conditions
from keras_specmix.experiments import models
from keras_specmix.experiments import optim


@pytest.mark.parametrize("name, width", [("small", 4), ("two_path", 2)])
def test_models_take_any_time_length(name, width):
    model = models.build_model(name, (None, 16, 3), 5, width=width)
    for frames in (40, 43):
        out = model(np.zeros((2, frames, 16, 3), "float32"))
        assert out.shape == (2, 5)
        np.testing.assert_allclose(np.sum(out, -1), 1.0, rtol=1e-5)


def test_resnet101_builds_for_any_time_length():
    # The paper's network (trained end to end by the slow --smoke test).
    model = models.build_model("resnet101", (None, 128, 3), 3)
    assert model.output_shape == (None, 3)
    assert 42_000_000 < model.count_params() < 43_000_000


def test_two_path_splits_the_frequency_axis():
    model = models.two_path_resnet((32, 16, 1), 3, width=2)
    lambdas = [layer for layer in model.layers if isinstance(layer, keras.layers.Lambda)]
    x = np.arange(32 * 16, dtype="float32").reshape(1, 32, 16, 1)
    low, high = (np.asarray(split(x)) for split in lambdas[:2])
    np.testing.assert_array_equal(low, x[:, :, :8])
    np.testing.assert_array_equal(high, x[:, :, 8:])


def test_build_model_errors_name_the_argument():
    with pytest.raises(ValueError, match="name"):
        models.build_model("vgg", (None, 16, 3), 5)
    with pytest.raises(ValueError, match="input_shape"):
        models.build_model("small", (16, 3), 5)


def _one_step(optimizer, grad, value):
    var = keras.Variable(np.array(value, "float32"))
    optimizer.apply_gradients([(keras.ops.convert_to_tensor(np.array(grad, "float32")), var)])
    return np.asarray(var)


def test_adam_l2_adds_the_decay_to_the_gradient_like_torch():
    w, g, decay = [1.0, -2.0, 0.5], [0.1, 0.3, -0.2], 0.5
    l2 = _one_step(optim.AdamL2(l2=decay, learning_rate=0.1), g, w)
    plain = _one_step(
        keras.optimizers.Adam(learning_rate=0.1), np.array(g) + decay * np.array(w), w
    )
    np.testing.assert_allclose(l2, plain, rtol=1e-6)
    decoupled = _one_step(optim.make_optimizer(0.1, decay, "decoupled"), g, w)
    assert not np.allclose(decoupled, l2)


def test_make_optimizer_schedule_and_errors():
    opt = optim.make_optimizer(1e-3, 1e-3, milestones=(10, 30))
    rate = opt.learning_rate
    assert isinstance(opt, optim.AdamL2)
    assert isinstance(opt._learning_rate, keras.optimizers.schedules.PiecewiseConstantDecay)
    assert np.isclose(float(opt._learning_rate(35)), 1e-5)
    assert rate is not None
    with pytest.raises(ValueError, match="weight_decay_mode"):
        optim.make_optimizer(1e-3, 1e-3, "adamw")
    with pytest.raises(ValueError, match="milestones"):
        optim.make_optimizer(1e-3, 1e-3, milestones=(30, 10))


def test_conditions_use_the_library_layers():
    params = conditions.AugmentationParams(gamma=(0.0, 1.0), alpha=0.2)
    assert conditions.make_augmentation("none", params, 0) is None
    layers = {c: conditions.make_augmentation(c, params, 3) for c in conditions.TALK_CONDITIONS[1:]}
    assert [type(layer).__name__ for layer in layers.values()] == [
        "MixUp",
        "CutMix",
        "SpecAugment",
        "SpecMix",
    ]
    assert layers["mixup"].alpha == 0.2 and layers["specmix"].seed == 3
    net = models.build_model("small", (None, 16, 3), 4, width=2)
    assert type(conditions.wrap_model(net, layers["specmix"])).__name__ == "MixingModel"
    wrapped = conditions.wrap_model(net, layers["specaugment"])
    x = np.random.rand(2, 20, 16, 3).astype("float32")
    np.testing.assert_array_equal(wrapped.predict(x, verbose=0), net.predict(x, verbose=0))
    with pytest.raises(ValueError, match="condition"):
        conditions.make_augmentation("specmixx", params, 0)
