"""One process of the multi-process runner test (run by test_multihost.py).

Usage: ``python _multihost_check.py LOG_DIR RUNNER_ARGS...`` with
``KERAS_BACKEND=jax`` and, for a multi-process run, Keras'
``KERAS_DISTRIBUTION_*`` variables set by the parent.

After running the runner it records, in ``LOG_DIR/process-<index>.json``:

- the first batch that :func:`keras_specmix.experiments.train.training_dataset`
  gives this process from *identical* constant data, without and with a
  SpecMix layer (the processes' batches may differ only through their seeds);
- every audio file this process decoded (``load_audio`` calls).
The classifier is swapped for a tiny one (pooling + dense): the test checks
the runner's distribution, not the network, within CI's time.
"""

import json
import os
import sys

import keras
import numpy as np
import tensorflow as tf

import keras_specmix as ks
from keras_specmix.datasets import audio_io
from keras_specmix.experiments import models
from keras_specmix.experiments import runner
from keras_specmix.experiments import sources
from keras_specmix.experiments import train

log_dir, argv = sys.argv[1], sys.argv[2:]
num_processes = int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "1"))
index = int(os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID", "0"))

decoded = []
_load_audio = audio_io.load_audio


def counting_load_audio(path, *args, **kwargs):
    decoded.append(os.fsdecode(path))
    return _load_audio(path, *args, **kwargs)


audio_io.load_audio = counting_load_audio  # decode_audio looks it up per call


def tiny_model(name, input_shape, num_classes, width=None):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="tiny",
    )


models.build_model = tiny_model

status = runner.main(argv)  # first: it starts jax.distributed, before any JAX call
# Identical data on every process: 16 distinct examples, 4 classes.
x = np.random.default_rng(0).normal(size=(16, 16, 8, 3)).astype("float32")
y = np.arange(16) % 4
ds = tf.data.Dataset.from_tensor_slices((x, y))
splits = sources.Splits(
    ds,
    ds,
    ds,
    ("a", "b", "c", "d"),
    {},
    {},
    {"train": 16, "validation": 16, "test": 16},
    shard=(num_processes, index) if num_processes > 1 else None,
)
config = train.RunConfig(batch_size=8, shuffle_buffer=1, augment_in="data")
clean = next(iter(train.training_dataset(splits, config, 0)))[0].numpy()
mixed = next(iter(train.training_dataset(splits, config, 0, ks.SpecMix(seed=0))))[0].numpy()

with open(os.path.join(log_dir, f"process-{index}.json"), "w", encoding="utf-8") as f:
    json.dump(
        {
            "index": index,
            "num_processes": num_processes,
            "clean_batch": clean.tolist(),
            "augmented_batch": mixed.tolist(),
            "decoded": sorted(set(decoded)),
        },
        f,
    )
sys.exit(status)
