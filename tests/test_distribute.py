"""Layers and MixingModel under tf.distribute.MirroredStrategy (2 logical CPUs).

Logical devices must be configured before TensorFlow initialises its devices,
so the check runs in a fresh Python process.
"""

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, keras_specmix as ks

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        layer = ks.SpecMix(gamma=0.3, num_classes=4, seed=0, return_mix_info=True)
    # Both replicas get identical shards: only the randomness can differ.
    shard = tf.ones([4, 20, 16, 1]) * tf.reshape(tf.range(4.0), [4, 1, 1, 1])
    x, y = tf.concat([shard, shard], 0), tf.concat([tf.range(4)] * 2, 0)

    @tf.function
    def step(x, y):
        return strategy.run(
            lambda a, b: layer({"spectrograms": a, "labels": b}, training=True),
            args=(x, y))

    for xb, yb in strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensors((x, y))):
        out = step(xb, yb)
    local = strategy.experimental_local_results(out["mix_weights"])
    shards = strategy.experimental_local_results(out["spectrograms"])

    with strategy.scope():
        net = keras.Sequential([keras.Input((20, 16, 1)), keras.layers.Flatten(),
                                keras.layers.Dense(4, activation="softmax")])
        model = ks.MixingModel(net, ks.SpecMix(num_classes=4, seed=1))
        model.compile("adam", "categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "shard_sizes": [int(s.shape[0]) for s in shards],
        "lambdas": [t.numpy().tolist() for t in local],
        "loss": history["loss"],
        "eval_loss": float(model.evaluate(x, y, verbose=0)),
    }))
""")


def test_replicas_draw_different_augmentations_and_fit_works():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["shard_sizes"] == [4, 4]  # global batch 8 -> 4 per replica
    first, second = report["lambdas"]
    assert first != second, "replicas drew the same augmentation"
    assert all(v == v for v in report["loss"]) and report["eval_loss"] > 0
