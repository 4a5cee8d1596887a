"""Mixing inside a model (MixingModel, the mixin) and SavedModel training graphs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_specmix as ks

rng = np.random.default_rng(0)
X = rng.normal(size=(16, 20, 12, 1)).astype("float32")
Y = (np.arange(16) % 3).astype("int32")


class Spy(keras.layers.Layer):
    """Records the last input it saw (eager runs only)."""

    seen = []

    def call(self, x):
        Spy.seen.append(np.asarray(x))
        return x


def _net(spy=False):
    layers = [keras.Input((20, 12, 1))] + ([Spy()] if spy else [])
    layers += [keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")]
    return keras.Sequential(layers)


def test_fit_mixes_inputs_and_predict_does_not():
    Spy.seen.clear()
    model = ks.MixingModel(_net(spy=True), ks.SpecMix(gamma=0.4, num_classes=3, seed=0))
    model.compile("adam", "categorical_crossentropy", run_eagerly=True)
    model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    trained_on = Spy.seen[-1]
    assert trained_on.shape == X.shape
    assert not np.array_equal(trained_on, X), "fit did not mix"
    assert np.isin(trained_on, X).all(), "mixed values must come from the batch"
    Spy.seen.clear()
    model.predict(X, batch_size=16, verbose=0)
    np.testing.assert_array_equal(Spy.seen[-1], X)
    Spy.seen.clear()
    model.evaluate(X, tf.one_hot(Y, 3), batch_size=16, verbose=0)
    np.testing.assert_array_equal(Spy.seen[-1], X)


def test_mixing_model_fits_under_xla_and_saves(tmp_path):
    model = ks.MixingModel(_net(), ks.MixUp(num_classes=3, seed=1))
    model.compile("adam", "categorical_crossentropy", jit_compile=True)
    history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = str(tmp_path / "mixing.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, ks.MixingModel) and isinstance(loaded.mixer, ks.MixUp)
    assert loaded.mixer.get_config() == model.mixer.get_config()
    np.testing.assert_allclose(
        loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_mixing_model_export_serves_the_plain_forward_pass(tmp_path):
    net = _net()
    model = ks.MixingModel(net, ks.CutMix(num_classes=3, seed=1))
    model.compile("adam", "categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    path = str(tmp_path / "served")
    model.export(path, verbose=False)
    reloaded = tf.saved_model.load(path)
    np.testing.assert_allclose(reloaded.serve(X), net.predict(X, verbose=0), rtol=1e-5)


def test_mixin_on_a_sequential_subclass():
    class MixedSequential(ks.MixingTrainStepMixin, keras.Sequential):
        def __init__(self, layers, mixer):
            super().__init__(layers)
            self.mixer = mixer

    model = MixedSequential(_net().layers, ks.SpecMix(num_classes=3, seed=2))
    model.compile("adam", "categorical_crossentropy")
    assert np.isfinite(model.fit(X, Y, epochs=1, verbose=0).history["loss"]).all()


def test_mixing_model_needs_labels_and_a_mixing_layer():
    with pytest.raises(TypeError, match="mixer"):
        ks.MixingModel(_net(), keras.layers.Dropout(0.1))
    model = ks.MixingModel(_net(), ks.MixUp(num_classes=3))
    model.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match="labels"):
        model.fit(X, epochs=1, verbose=0)


class TrainStep(tf.Module):
    """A tf.Module whose tf.function training step calls a layer."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    @tf.function(
        input_signature=[tf.TensorSpec([None, None, 12, 1]), tf.TensorSpec([None], tf.int32)]
    )
    def step(self, x, y):
        out = self.layer({"spectrograms": x, "labels": y}, training=True)
        return out["spectrograms"], out["labels"]


@pytest.mark.parametrize("layer_cls", [ks.MixUp, ks.CutMix, ks.SpecMix])
def test_saved_training_graph_still_augments_with_fresh_randomness(layer_cls, tmp_path):
    module = TrainStep(layer_cls(num_classes=3, seed=4))
    module.step(X, Y)
    tf.saved_model.save(module, str(tmp_path / "module"))
    reloaded = tf.saved_model.load(str(tmp_path / "module"))
    first_x, first_y = reloaded.step(X, Y)
    second_x, _ = reloaded.step(X, Y)
    assert not np.array_equal(first_x, X)
    assert not np.array_equal(first_x, second_x), "reloaded step repeats itself"
    assert first_y.shape == (16, 3)


@pytest.mark.parametrize("wrapper", ["MixingModel", "LossMixingModel", "mixin"])
def test_compile_takes_keras_positional_arguments(wrapper):
    """Issue 20 item 9: compile(optimizer, loss, loss_weights, metrics) as keras.Model takes it."""
    mixer = ks.MixUp(num_classes=3, seed=0)
    if wrapper == "mixin":

        class Mixed(ks.MixingTrainStepMixin, keras.Sequential):
            pass

        model = Mixed(_net().layers)
        model.mixer = mixer
    else:
        cls = ks.MixingModel if wrapper == "MixingModel" else ks.losses.LossMixingModel
        model = cls(_net(), mixer)
    model.compile("adam", "categorical_crossentropy", None, ["accuracy"], run_eagerly=True)
    logs = model.fit(X, Y, batch_size=16, epochs=1, verbose=0).history
    assert set(logs) == {"loss", "accuracy"}, logs
    with pytest.raises(ValueError, match="sparse"):
        model.compile("adam", "sparse_categorical_crossentropy", None, ["accuracy"])
    with pytest.raises(TypeError, match="loss"):
        model.compile("adam", "categorical_crossentropy", loss="mse")
