"""One process over N CPU devices with ``--strategy keras-distribution`` (run by
test_device_padding.py with ``KERAS_BACKEND=jax`` and
``XLA_FLAGS=--xla_force_host_platform_device_count=N``).

Trains a tiny classifier with :func:`keras_specmix.experiments.train.run_one`
on random data whose validation split (``VAL`` examples) and validation batch
do not divide across the devices, then scores the best checkpoint's
classifier on the validation split by itself (``predict`` on one device, no
padding) and writes both to ``OUT_JSON``, with how one SGD step of a linear
model over the devices compares with the same step on one device.

Usage: ``python _device_padding_check.py OUT_JSON VAL EVAL_BATCH``.
"""

import contextlib
import json
import sys
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_specmix.experiments import distribute
from keras_specmix.experiments import models
from keras_specmix.experiments import sources
from keras_specmix.experiments import train

out_path, val_size, eval_batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
built = []


def tiny_model(name, input_shape, num_classes, width=None):
    model = keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="tiny",
    )
    built.append(model)
    return model


models.build_model = tiny_model
strategy = distribute.make_strategy("keras-distribution")
rng = np.random.default_rng(0)


def split(n):
    x = rng.normal(size=(n, 8, 6, 3)).astype("float32")
    y = rng.integers(0, 3, size=n).astype("int64")
    x += y[:, None, None, None] * 0.3  # learnable, not trivially
    return tf.data.Dataset.from_tensor_slices((x, y)), x, y


train_ds, _, _ = split(16)
val_ds, val_x, val_y = split(val_size)
test_ds, _, _ = split(7)
splits = sources.Splits(
    train_ds,
    val_ds,
    test_ds,
    ("a", "b", "c"),
    {},
    {},
    {"train": 16, "validation": val_size, "test": 7},
)
config = train.RunConfig(
    epochs=3, steps_per_epoch=2, batch_size=4, eval_batch_size=eval_batch, shuffle_buffer=1
)
with tempfile.TemporaryDirectory() as run_dir:
    record = train.run_one(splits, config, "none", 0, run_dir, strategy=strategy, verbose=0)
classifier = built[0]  # the best checkpoint's weights are loaded into it
predicted = np.argmax(classifier.predict(val_x, batch_size=val_size, verbose=0), -1)
record["recomputed_validation_accuracy"] = float(100.0 * np.mean(predicted == val_y))
record["devices"] = strategy.num_replicas_in_sync


def one_step_change(scope):
    """How far one SGD step (lr 1) on a global batch of 8 moves a linear model's weights."""
    with scope:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model.compile(keras.optimizers.SGD(1.0), keras.losses.CategoricalCrossentropy(True))
        before = np.asarray(model.get_weights()[0])
        x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
        y = np.eye(3, dtype="float32")[np.arange(8) % 3]
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        return np.asarray(model.get_weights()[0]) - before


# 1 if the step is the gradient of the global batch's mean loss, 2 if summed.
distributed, single = one_step_change(strategy.scope()), one_step_change(contextlib.nullcontext())
record["step_change_ratio"] = float(np.sum(distributed * single) / np.sum(single * single))
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(record, f)
