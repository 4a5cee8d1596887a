"""DeviceImpulseResponse, TimeRoll, RandomGain and AddNoise as layers: waveform I/O,
eligibility, banks saved with the model, and no global random state."""

import json
import random

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.random import seed_generator

import keras_specmix as ks
from keras_specmix.datasets import impulse_responses as banks
from keras_specmix.features import FrontEndConfig
from keras_specmix.features import LogMelSpectrogram
from keras_specmix.ops import impulse_response as ir_ops

SR = 16000
FRONTEND = FrontEndConfig(sample_rate=SR, n_fft=512, hop_length=256, n_mels=32)

WAVEFORM_LAYERS = [
    lambda: ks.TimeRoll(max_shift=400, seed=1),
    lambda: ks.RandomGain(domain="waveform", seed=1),
    lambda: ks.AddNoise(domain="waveform", seed=1),
    lambda: ks.DeviceImpulseResponse(prob=1.0, frontend=FRONTEND, seed=1),
]


def _waveforms(batch=3, samples=4000, seed=0):
    return tf.constant(np.random.default_rng(seed).normal(size=(batch, samples)).astype("float32"))


@pytest.mark.parametrize("make", WAVEFORM_LAYERS)
def test_rank2_waveforms_in_and_out_eager_graph_and_xla(make):
    x = _waveforms()
    for mode in ("eager", "graph", "xla"):
        layer = make()
        call = lambda t, layer=layer: layer(t, training=True)  # noqa: E731
        fn = call if mode == "eager" else tf.function(call, jit_compile=mode == "xla")
        out = fn(x)
        assert out.shape == x.shape and out.dtype == x.dtype
        assert not np.array_equal(out.numpy(), x.numpy())
        d = fn({"waveforms": x, "lengths": tf.constant([4000, 3000, 10])})
        assert sorted(d) == ["lengths", "waveforms"]
        np.testing.assert_array_equal(d["waveforms"][2, 10:], x[2, 10:])  # padding
        np.testing.assert_array_equal(layer(x, training=False), x)


def test_both_keys_or_rank2_spectrograms_are_refused():
    x = _waveforms()
    with pytest.raises(ValueError, match="not both"):
        ks.TimeRoll(max_shift=3)({"waveforms": x, "spectrograms": x})
    for layer in (ks.RandomGain(domain="log"), ks.AddNoise(domain="power")):
        with pytest.raises(ValueError, match="shape"):
            layer(x)
    with pytest.raises(ValueError, match="frequency"):
        ks.DeviceImpulseResponse(domain="log", frontend=FRONTEND)(tf.zeros([2, 10, 40]))


def test_dir_layer_is_the_dir_convolution_for_eligible_drawn_examples_only():
    """The layer's output is ``convolve_responses`` with its drawn params; examples
    that are not eligible (int 0) come back bit for bit."""
    layer = ks.DeviceImpulseResponse(prob=0.5, frontend=FRONTEND, seed=3)
    x = _waveforms(batch=16)
    eligible = tf.constant([1, 0] * 8)
    out = layer.augment({"waveforms": x, "eligible": eligible}, [7, 7])["waveforms"].numpy()
    data = layer._unpack({"waveforms": x, "eligible": eligible})
    params = layer.sample_params(data, tf.constant([7, 7]))
    applied = params["applied"].numpy() & (eligible.numpy() == 1)
    assert 0 < applied.sum() < 8  # some drawn, some not: both paths are exercised
    bank = banks.synthetic_impulse_responses(SR)
    expected = ir_ops.convolve_responses(x[:, :, None], tf.constant(bank), params)[..., 0]
    for b in range(16):
        if applied[b]:
            np.testing.assert_allclose(out[b], expected[b], atol=1e-6)
        else:
            np.testing.assert_array_equal(out[b], x[b])


def test_dir_in_tf_data_with_device_metadata():
    """The DIR recipe: only device 'a' clips may be convolved."""
    layer = ks.DeviceImpulseResponse(prob=1.0, frontend=FRONTEND, seed=0)
    x = _waveforms(batch=6)
    devices = tf.constant(["a", "b", "a", "s1", "c", "a"])
    ds = tf.data.Dataset.from_tensor_slices((x, devices)).batch(6)
    ds = ds.map(lambda w, d: layer({"waveforms": w, "eligible": d == "a"})["waveforms"])
    out = next(iter(ds)).numpy()
    for b, device in enumerate(devices.numpy()):
        same = np.array_equal(out[b], x[b].numpy())
        assert same == (device != b"a"), (b, device)


def test_dir_waveform_then_front_end_trains_in_a_model_under_xla():
    """waveforms + eligible -> DIR -> LogMelSpectrogram -> classifier, fit with
    jit_compile=True; at predict the DIR layer returns the waveforms bit for bit."""
    waves = keras.Input((4000,), name="waveforms")
    eligible = keras.Input((), dtype="bool", name="eligible")
    dir_layer = ks.DeviceImpulseResponse(prob=0.6, frontend=FRONTEND, seed=0)
    augmented = dir_layer({"waveforms": waves, "eligible": eligible})["waveforms"]
    features = LogMelSpectrogram(**dict(FRONTEND.to_dict(), deltas=False))(augmented)
    probs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(features))
    model = keras.Model({"waveforms": waves, "eligible": eligible}, probs)
    model.compile("adam", "categorical_crossentropy", jit_compile=True)
    x = {"waveforms": _waveforms(batch=8).numpy(), "eligible": np.arange(8) % 2 == 0}
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    probe = keras.Model(model.inputs, augmented)  # the DIR output inside the trained model
    np.testing.assert_array_equal(probe.predict(x, verbose=0), x["waveforms"])


@pytest.mark.parametrize("domain", ["waveform", "log"])
def test_a_bank_from_arrays_saves_with_the_model_and_keeps_the_config_small(domain, tmp_path):
    rng = np.random.default_rng(8)
    bank = [rng.normal(size=n) * np.exp(-np.arange(n) / 50) for n in (300, 2048, 7)]
    layer = ks.DeviceImpulseResponse(bank, prob=1.0, domain=domain, frontend=FRONTEND, seed=4)
    config = layer.get_config()
    assert config["responses"] == {"num_responses": 3, "length": 2048}
    assert len(json.dumps(config)) < 1000
    shape = (4000,) if domain == "waveform" else (20, FRONTEND.n_mels)
    model = keras.Sequential([keras.Input(shape), layer])
    path = str(tmp_path / "dir.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = tf.constant(rng.normal(size=(2,) + shape).astype("float32"))
    np.testing.assert_array_equal(loaded(x, training=True), model(x, training=True))
    np.testing.assert_array_equal(loaded.layers[-1].bank.numpy(), layer.bank.numpy())
    # A layer built from the config alone has no bank: it refuses to train.
    bare = ks.DeviceImpulseResponse.from_config(config)
    np.testing.assert_array_equal(bare(x, training=False), x)
    with pytest.raises(ValueError, match="load its weights"):
        bare(x, training=True)
    bare.set_weights(layer.get_weights())
    assert not np.array_equal(bare(x, training=True), x)


def test_a_bank_from_a_folder_equals_the_loaded_arrays(tmp_path):
    import soundfile

    responses = banks.synthetic_impulse_responses(8000, num_responses=3)
    for i, h in enumerate(responses):
        soundfile.write(tmp_path / f"mic{i}.wav", h, 8000, subtype="FLOAT")
    layer = ks.DeviceImpulseResponse(str(tmp_path), frontend=FRONTEND)
    expected = banks.load_impulse_responses(tmp_path, SR)
    np.testing.assert_array_equal(layer.bank.numpy(), expected)
    assert expected.shape[0] == 3 and layer.get_config()["responses"]["num_responses"] == 3


def test_spectrogram_dir_adds_the_projected_gains_to_channel_zero_only():
    bank = banks.synthetic_impulse_responses(SR)
    layer = ks.DeviceImpulseResponse(
        prob=1.0, domain="log", frontend=FRONTEND, channels=[0], seed=2
    )
    np.testing.assert_allclose(layer.bank.numpy(), ir_ops.response_mel_gains_db(bank, FRONTEND))
    x = tf.random.stateless_normal([4, 20, FRONTEND.n_mels, 3], seed=[1, 2])
    out = layer.augment(x, [1, 1]).numpy()
    params = layer.sample_params({"spectrograms": x}, tf.constant([1, 1]))
    gains = layer.bank.numpy()[params["response"].numpy()] * np.log(10) / 10
    np.testing.assert_allclose(out[..., 0], x.numpy()[..., 0] + gains[:, None, :], atol=1e-5)
    np.testing.assert_array_equal(out[..., 1:], x.numpy()[..., 1:])


def test_layers_never_touch_global_random_state():
    """Python's random, NumPy's global generator and Keras' global SeedGenerator
    are untouched by building (with a seed) and calling every new layer."""
    x = _waveforms()
    # Created first: creating Keras' global generator itself draws from Python's random.
    keras_state = seed_generator.global_seed_generator().state.numpy().copy()
    py_state, np_state = random.getstate(), np.random.get_state()
    for make in WAVEFORM_LAYERS:
        layer = make()
        layer(x)
        tf.function(lambda t, layer=layer: layer(t))(x)
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    np.testing.assert_array_equal(seed_generator.global_seed_generator().state.numpy(), keras_state)


def test_a_reloaded_bank_layer_restores_its_seed_state_for_tf_data_too(tmp_path):
    """The layer holds two weights (seed state and bank). On JAX and PyTorch its
    tf.data seed state is a separate TensorFlow variable: loading must set it
    from the file as the base class does for one-weight layers. (On TensorFlow
    both are the same variable.)"""
    layer = ks.DeviceImpulseResponse(prob=1.0, frontend=FRONTEND, seed=6)
    model = keras.Sequential([keras.Input((4000,)), layer])
    layer._seed_state.assign(keras.ops.convert_to_tensor([5, 0, 6], layer._seed_state.dtype))
    path = str(tmp_path / "state.keras")
    model.save(path)
    loaded = keras.saving.load_model(path).layers[-1]
    np.testing.assert_array_equal(np.asarray(loaded._seeds.variable().numpy()), [5, 0, 6])
