"""Run in a fresh process by test_distribute.py (logical devices must be set
before TensorFlow starts): MirroredStrategy over two logical CPU devices.

Prints one JSON line with, per replica, the batch size it received and a
checksum of what each augmentation made of it; then runs the runner with
``--strategy mirrored --cpu-replicas 2`` on a tiny synthetic config. With
``--step`` it only prints how one SGD step of a linear model under the
strategy compares with the same step on one device.
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


def one_step_change(scope, x, y):
    """How far one SGD step (lr 1) on the global batch moves a linear model's weights."""
    import keras  # noqa: PLC0415

    with scope:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Dense(y.shape[1])])
        model.compile(keras.optimizers.SGD(1.0), keras.losses.CategoricalCrossentropy(True))
        before = model.get_weights()[0]
        model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
        return model.get_weights()[0] - before


if sys.argv[1:] == ["--step"]:  # its own process: its collectives would collide with the runner's
    # 1 if the replicas' gradients make the gradient of the global batch's mean
    # loss (one device's step), 2 if they were plain sums of per-replica means.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = np.eye(4, dtype="float32")[np.arange(32) % 4]
    mirrored = one_step_change(strategy.scope(), x, y)
    single = one_step_change(tf.distribute.get_strategy().scope(), x, y)
    ratio = float(np.sum(mirrored * single) / np.sum(single * single))
    print(
        "STEP_CHECK "
        + json.dumps({"ratio": ratio, "max_abs_diff": float(np.max(np.abs(mirrored - single)))})
    )
    sys.exit(0)

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
