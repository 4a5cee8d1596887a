"""Run in a fresh process by test_distribute.py (logical devices must be set
before TensorFlow starts): MirroredStrategy over two logical CPU devices.

Prints one JSON line with, per replica, the batch size it received and a
checksum of what each augmentation made of it; then runs the runner with
``--strategy mirrored --cpu-replicas 2`` on a tiny synthetic config.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from keras_specmix.experiments import distribute  # noqa: E402

devices = distribute.split_cpu(2)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_specmix as ks  # noqa: E402
from keras_specmix.experiments import runner  # noqa: E402

strategy = distribute.make_strategy("mirrored", 2)

# A global batch of 32 whose two halves are identical: if the replicas drew
# the same randomness, their outputs would be identical too.
half = np.random.default_rng(0).normal(size=(16, 20, 16, 1)).astype("float32")
x = np.concatenate([half, half])
y = np.eye(4, dtype="float32")[np.concatenate([np.arange(16) % 4] * 2)]
dataset = tf.data.Dataset.from_tensors((x, y)).unbatch().batch(32)
batch = next(iter(strategy.experimental_distribute_dataset(dataset)))

layers = {
    "specmix": ks.SpecMix(gamma=0.3, seed=1),
    "mixup": ks.MixUp(seed=1),
    "cutmix": ks.CutMix(seed=1),
    "specaugment": ks.SpecAugment(seed=1),
}


@tf.function
def step(x, y):
    out = {"batch_size": tf.shape(x)[0]}
    for name, layer in layers.items():
        data = {"spectrograms": x, "labels": y} if layer.requires_labels else x
        result = layer(data, training=True)
        out[name] = result["spectrograms"] if layer.requires_labels else result
    return out


outputs = strategy.run(step, args=batch)
report = {"devices": devices, "num_replicas": strategy.num_replicas_in_sync}
for key in ("batch_size", *layers):
    per_replica = [v.numpy() for v in strategy.experimental_local_results(outputs[key])]
    if key == "batch_size":
        report[key] = [int(v) for v in per_replica]
    else:
        report[key] = {
            "max_abs_diff_between_replicas": float(np.max(np.abs(per_replica[0] - per_replica[1]))),
            "changed_input": float(np.max(np.abs(per_replica[0] - half))),
        }
print("MIRRORED_CHECK " + json.dumps(report), flush=True)

sys.exit(runner.main(sys.argv[1:] + ["--strategy", "mirrored", "--cpu-replicas", "2"]))
