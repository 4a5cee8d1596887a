"""A layer never reads or changes global random state (issue 20 item 4).

Every public keras_specmix layer, found from the package (so a new layer is
covered without editing this file), is built with ``seed=None`` and called,
eagerly on this backend and in a ``tf.data`` map; Python's ``random``,
NumPy's global generator, Keras' global ``SeedGenerator``, TensorFlow's
global generator and (on PyTorch) torch's generator must be exactly as
before. CI runs this module under every ``KERAS_BACKEND``.
"""

import importlib
import inspect
import pkgutil
import random

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_specmix
from keras_specmix.layers.base import SpectrogramAugmentation

#: Arguments a layer cannot be built without (all others take their defaults).
REQUIRED = {
    "MixingPolicy": lambda: {"mixers": [keras_specmix.MixUp(), keras_specmix.SpecMix()]},
    "TimeRoll": lambda: {"max_shift": 3},
}


def _public_layers():
    """Concrete layers of every public keras_specmix module (runner excluded)."""
    found = {}
    for info in pkgutil.walk_packages(keras_specmix.__path__, "keras_specmix."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or parts[1] == "experiments":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, SpectrogramAugmentation)
                and not name.startswith("_")
                and keras.saving.get_registered_object(keras.saving.get_registered_name(obj)) is obj
                and keras.saving.get_registered_name(obj).startswith("keras_specmix>")
            ):
                found[name] = obj
    return found


LAYERS = _public_layers()


def test_the_discovery_finds_every_known_layer():
    assert set(keras_specmix.__all__) & set(LAYERS) >= {
        "MixUp",
        "CutMix",
        "SpecMix",
        "MixingPolicy",
        "FrequencyMixStyle",
        "FilterAugment",
        "SpecAugment",
        "TimeWarp",
        "FrequencyMasking",
        "TimeMasking",
    }, sorted(LAYERS)


def _global_states():
    from keras.src.random.seed_generator import global_seed_generator

    # Made first: creating them draws from Python's `random`.
    keras_generator, tf_generator = global_seed_generator(), tf.random.get_global_generator()
    states = {
        "python": random.getstate(),
        "numpy": repr(np.random.get_state()),
        "keras": keras.ops.convert_to_numpy(keras_generator.state).tolist(),
        "tensorflow": tf_generator.state.numpy().tolist(),
    }
    if keras.backend.backend() == "torch":
        import torch

        states["torch"] = torch.random.get_rng_state().numpy().tolist()
    return states


def _inputs(layer, batch=4):
    x = np.random.default_rng(0).normal(size=(batch, 24, 16, 1)).astype("float32")
    if layer.requires_labels:
        return {"spectrograms": x, "labels": np.eye(batch, dtype="float32")}
    return x


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_seed_none_leaves_every_global_random_state_alone(name):
    keras.utils.set_random_seed(1234)
    before = _global_states()
    layer = LAYERS[name](seed=None, **REQUIRED.get(name, dict)())
    inputs = _inputs(layer)
    backend_inputs = keras.tree.map_structure(keras.ops.convert_to_tensor, inputs)
    layer(backend_inputs, training=True)
    ds = tf.data.Dataset.from_tensors(inputs).map(lambda d: layer(d))
    next(iter(ds))
    after = _global_states()
    changed = sorted(k for k in before if after[k] != before[k])
    assert not changed, f"{name}(seed=None) changed the global random state of {changed}"


def test_seed_none_layers_still_get_distinct_keys():
    keys = {int(keras_specmix.MixUp()._seed_state.numpy()[2]) for _ in range(8)}
    assert len(keys) == 8  # 31-bit keys from OS entropy: a clash has p < 1e-7


def test_building_an_augmentation_does_not_shift_the_model_initial_weights():
    """The runner's paired design: same seed, same initial weights, whatever the augmentation."""

    def initial_weights(build_augmentation):
        keras.utils.set_random_seed(0)
        if build_augmentation:
            keras_specmix.MixingPolicy(
                [keras_specmix.MixUp(), keras_specmix.CutMix(), keras_specmix.SpecMix()], seed=0
            )
        net = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
        return net.get_weights()[0]

    np.testing.assert_array_equal(initial_weights(True), initial_weights(False))
