"""FrequencyMixStyle, FilterAugment, MixingPolicy and LossMixingModel inside
models on the current Keras backend.

The layers compute on the model's backend (their ops are written against the
backend namespace), train in ``fit`` and are the identity at inference. The
README's test command runs this module on TensorFlow; on JAX and PyTorch,
``check_in_model`` in tests/test_backends.py (CI legs 2 and 4) covers every
layer the same way.
"""

import keras
import numpy as np
import pytest

import keras_specmix as ks
from keras_specmix.losses import LossMixingModel

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 20, 12, 2)).astype("float32")
Y = np.arange(8) % 3


def _head():
    return [keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")]


@pytest.mark.parametrize(
    "layer",
    [
        lambda: ks.FrequencyMixStyle(prob=1.0, seed=0),
        lambda: ks.FilterAugment(mode="step", domain="db", seed=0),
    ],
    ids=["FrequencyMixStyle", "FilterAugment"],
)
def test_label_free_layers_augment_on_this_backend_and_train(layer):
    aug = layer()
    x = keras.ops.convert_to_tensor(X)
    out = aug(x, training=True)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    assert type(out) is type(x)  # computed on the backend's own tensors
    assert not np.allclose(keras.ops.convert_to_numpy(out), X)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(aug(x, training=False)), X)
    model = keras.Sequential([keras.Input(X.shape[1:]), layer()] + _head())
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(X, Y, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(X, verbose=0).shape == (8, 3)


def test_mixing_policy_trains_in_mixing_model_on_this_backend():
    net = keras.Sequential([keras.Input(X.shape[1:])] + _head())
    policy = ks.MixingPolicy([ks.MixUp(), ks.CutMix(), ks.SpecMix()], num_classes=3, seed=1)
    model = ks.MixingModel(net, policy)
    model.compile("adam", "categorical_crossentropy")
    history = model.fit(X, Y, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    data = {
        "spectrograms": keras.ops.convert_to_tensor(X),
        "labels": keras.ops.convert_to_tensor(Y),
    }
    out = policy(data, training=True)
    labels = keras.ops.convert_to_numpy(out["labels"])
    np.testing.assert_allclose(labels.sum(1), 1.0, rtol=1e-6)


def test_loss_mixing_model_trains_on_this_backend():
    net = keras.Sequential(
        [keras.Input(X.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(3, "sigmoid")]
    )
    model = LossMixingModel(net, ks.MixUp(seed=2))
    model.compile("adam", "binary_crossentropy")
    multi_hot = (RNG.random((8, 3)) > 0.5).astype("float32")
    history = model.fit(X, multi_hot, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert np.isfinite(model.evaluate(X, multi_hot, verbose=0))
