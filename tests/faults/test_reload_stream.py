"""A save and reload in the middle of a stream continues the draws, on every backend.

Issue 20 item 5: on JAX and PyTorch a layer used in ``tf.data`` draws from a
TensorFlow variable beside its Keras weight; that stream's position must be
in the ``.keras`` file too, or a reloaded layer repeats the draws it made
before saving. A layer used both in ``tf.data`` and inside the model has two
streams on those backends (one on TensorFlow): after reload neither may
repeat a draw, and each must go on exactly where the saved layer would have.
CI runs this module under every ``KERAS_BACKEND``.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_specmix as ks

X = np.ones([8, 10, 64, 1], "float32")


def _model():
    layer = ks.FrequencyMasking(freq_mask_param=40, num_freq_masks=2, seed=1)
    return keras.Sequential([keras.Input((10, 64, 1)), layer])


def _fingerprint(out):
    """A draw, as the bytes of its mask (8 examples: clashes have p < 1e-10)."""
    return (np.asarray(keras.ops.convert_to_numpy(out))[:, 0, :, 0] == 0).tobytes()


def _stream(layer, **map_kwargs):
    ds = tf.data.Dataset.from_tensors(X).repeat().map(layer, **map_kwargs)
    options = tf.data.Options()
    options.experimental_optimization.inject_prefetch = False  # draws only on next()
    return iter(ds.with_options(options))


def _in_model(model, n):
    return [_fingerprint(model(keras.ops.convert_to_tensor(X), training=True)) for _ in range(n)]


def _from(iterator, n):
    return [_fingerprint(next(iterator)) for _ in range(n)]


def _reload(model, how, tmp_path):
    if how == "keras":
        model.save(tmp_path / "m.keras")
        return keras.saving.load_model(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    fresh = _model()
    fresh.load_weights(tmp_path / "m.weights.h5")
    return fresh


@pytest.mark.parametrize("how", ["keras", "weights"])
def test_reload_mid_stream_goes_on_where_the_saved_layer_would(how, tmp_path):
    model = _model()
    stream = _stream(model.layers[0])
    before = _from(stream, 3) + _in_model(model, 3) + _from(stream, 2)
    loaded = _reload(model, how, tmp_path)
    after = _from(_stream(loaded.layers[0]), 3) + _in_model(loaded, 3)
    # What the saved layer itself draws next, had nothing been saved.
    expected = _from(_stream(model.layers[0]), 3) + _in_model(model, 3)
    assert after == expected
    assert len(set(before + after)) == len(before) + len(after), "a draw repeated"


def test_reload_during_a_parallel_prefetching_pipeline_repeats_no_draw(tmp_path):
    model = _model()
    ds = tf.data.Dataset.from_tensors(X).repeat().map(model.layers[0], num_parallel_calls=2)
    stream = iter(ds.prefetch(2))
    before = _from(stream, 4)  # in flight: up to 2 in the map and 2 prefetched, never saved
    loaded = _reload(model, "keras", tmp_path)
    ds = tf.data.Dataset.from_tensors(X).repeat().map(loaded.layers[0], num_parallel_calls=2)
    after = _from(iter(ds.prefetch(2)), 4) + _in_model(loaded, 2)
    assert len(set(before + after)) == len(before) + len(after), "a draw repeated"


@pytest.mark.parametrize(
    "written_on, saved, model_calls",
    [
        ("tensorflow", np.asarray([3 * 256, 0, 9], "int64"), 3),  # one stream, 3 draws
        ("jax or torch", np.asarray([5, 3, 9], "int32"), 5),  # 5 model calls, 3 tf.data calls
    ],
)
def test_a_state_written_on_another_backend_goes_on_after_its_draws(written_on, saved, model_calls):
    """The file's layout says which backend wrote it; the tf.data stream (Philox, the
    same on every backend) resumes after the saved draws; on JAX/PyTorch the model
    stream resumes after the saved model calls."""
    layer = ks.FrequencyMasking(seed=1)
    layer.load_own_variables({"0": saved})
    assert layer._seeds.variable().numpy().tolist() == [3 * 256, 0, 9]
    if keras.backend.backend() != "tensorflow":
        model_state = keras.ops.convert_to_numpy(layer._seed_state.value).tolist()
        assert model_state == [model_calls, 0, 9]


class BankedMasking(ks.FrequencyMasking):
    """A layer with a weight besides its seed state, as ``DeviceImpulseResponse`` has its bank."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bank = self.add_weight(shape=(2,), initializer="zeros", trainable=False, name="bank")


def test_a_layer_with_other_weights_restores_them_and_both_streams(tmp_path):
    def model():
        layer = BankedMasking(freq_mask_param=40, num_freq_masks=2, seed=1)
        return keras.Sequential([keras.Input((10, 64, 1)), layer])

    saved = model()
    saved.layers[0].bank.assign(np.asarray([1.0, 2.0], "float32"))
    before = _from(_stream(saved.layers[0]), 2) + _in_model(saved, 2)
    saved.save_weights(tmp_path / "m.weights.h5")
    loaded = model()
    loaded.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded.layers[0].bank), [1.0, 2.0])
    after = _from(_stream(loaded.layers[0]), 2) + _in_model(loaded, 2)
    assert after == _from(_stream(saved.layers[0]), 2) + _in_model(saved, 2)
    assert len(set(before + after)) == len(before) + len(after), "a draw repeated"
