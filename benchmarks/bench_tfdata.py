"""tf.data throughput with and without each augmentation, and a training step for scale.

Pipeline (the paper's training input): a TFRecord feature cache of
(423, 128, 3) clips -> random 400-frame crop -> batch 32 -> augment
(``ks.data.augment_dataset``) -> prefetch. Reports the steady-state time per
batch, clips per second, the augmentation's overhead in percent of the
pipeline's time per batch, and the start-up cost of each pass (the first
batch), then times ResNet-101 training steps on the same machine to show
what the pipeline feeds.

Usage:
    python benchmarks/bench_tfdata.py                   # 512 cached clips, 3 passes
    python benchmarks/bench_tfdata.py --resnet-steps 0  # skip the ResNet-101 step
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import harness  # noqa: E402
import keras_specmix as ks  # noqa: E402

CLASSES = 10
AUGMENTATIONS = {
    "none": None,
    "MixUp": lambda: ks.MixUp(num_classes=CLASSES),
    "CutMix": lambda: ks.CutMix(num_classes=CLASSES),
    "SpecMix": lambda: ks.SpecMix(gamma=0.3, num_classes=CLASSES),
    "SpecAugment": lambda: ks.SpecAugment(policy="LD"),
}


def write_cache(path, clips, frames):
    features = tf.random.stateless_normal([clips, frames, 128, 3], seed=[0, 0])
    labels = tf.range(clips, dtype=tf.int64) % CLASSES
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    ks.datasets.write_feature_cache(ds, path, num_examples=clips)


def pipeline(cache_path, augmentation, batch_size):
    ds = ks.datasets.read_feature_cache(cache_path)
    ds = ks.datasets.random_crop(ds, length=400, seed=0)
    ds = ds.batch(batch_size, drop_remainder=True)
    if augmentation is not None:
        layer = augmentation()
        if layer.requires_labels:
            ds = ks.data.augment_dataset(ds, layer, seed=1)
        else:
            ds = ks.data.augment_dataset(ds.map(lambda x, y: x), layer, seed=1)
    return ds.prefetch(tf.data.AUTOTUNE)


def time_pipeline(ds):
    """(seconds for the first batch, seconds per batch after it).

    The first batch of each pass carries a fixed start-up cost (a new
    iterator instantiates the map functions), reported apart from the
    steady-state cost per batch.
    """
    start = time.perf_counter()
    iterator = iter(ds)
    harness.finish(next(iterator))
    first = time.perf_counter() - start
    start, batches = time.perf_counter(), 0
    for element in iterator:
        harness.finish(element)
        batches += 1
    return first, (time.perf_counter() - start) / max(batches, 1)


def resnet_step_seconds(steps, batch_size):
    model = keras.applications.ResNet101(weights=None, input_shape=(400, 128, 3),
                                         classes=CLASSES)
    model.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy")
    x = tf.random.stateless_normal([batch_size, 400, 128, 3], seed=[1, 1])
    y = tf.one_hot(tf.range(batch_size) % CLASSES, CLASSES)
    model.train_on_batch(x, y)  # trace and compile
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=512)
    parser.add_argument("--frames", type=int, default=423)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--resnet-steps", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                      "results", "tfdata.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        write_cache(cache, args.clips, args.frames)
        pipelines = {name: pipeline(cache, aug, args.batch)
                     for name, aug in AUGMENTATIONS.items()}
        for ds in pipelines.values():  # warm-up: trace, compile, fill OS caches
            time_pipeline(ds)
        seconds = {name: [] for name in pipelines}
        startup = {name: [] for name in pipelines}
        for _ in range(args.passes):  # interleaved passes
            for name, ds in pipelines.items():
                first, per_batch = time_pipeline(ds)
                startup[name].append(first)
                seconds[name].append(per_batch)
    per_batch = {name: statistics.median(v) for name, v in seconds.items()}
    first_batch = {name: statistics.median(v) for name, v in startup.items()}
    base = per_batch["none"]
    rows = [[name, f"{ms * 1e3:.1f}", f"{args.batch / ms:.0f}",
             f"{(ms / base - 1) * 100:+.1f} %", f"{first_batch[name] * 1e3:.0f}"]
            for name, ms in per_batch.items()]
    print(harness.table(rows, ["augmentation", "ms / batch (steady)", "clips / s",
                               "overhead", "first batch ms"]))
    result = {"environment": harness.environment(), "settings": vars(args),
              "seconds_per_batch": per_batch, "first_batch_seconds": first_batch}
    if args.resnet_steps:
        step = resnet_step_seconds(args.resnet_steps, args.batch)
        result["resnet101_train_step_s"] = step
        worst = max(per_batch.values())
        print(f"\nResNet-101 training step, batch {args.batch}: {step:.2f} s "
              f"(the slowest pipeline delivers a batch in {worst * 1e3:.1f} ms, "
              f"{worst / step:.2%} of a step)")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    harness.write_json(args.out, result)


if __name__ == "__main__":
    main()
