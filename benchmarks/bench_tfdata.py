"""tf.data throughput with and without each augmentation, where the time goes, and a training step.

Pipeline (the paper's training input): a TFRecord feature cache of
(423, 128, 3) clips -> random 400-frame crop -> batch 32 -> augment
-> prefetch, every map at ``num_parallel_calls=AUTOTUNE``. All pipelines
are timed in interleaved passes over the same cache. For each one the script
reports the steady-state wall time per batch, the CPU time per batch (all
threads; on 2 cores the pipeline keeps both busy, so CPU work becomes wall
time), batches and clips per second, the overhead in percent of the plain
pipeline's time per batch,
and the first batch of each pass (a new iterator instantiates the map
functions).

Rows, in order:

* **stages** of the plain pipeline, each one adding a step to the one before
  (each consumes its elements through a scalar so that nothing is batched but
  what the row names): reading the records, parsing them into tensors,
  cropping; the plain pipeline adds the batch;
* **floors**: the plain pipeline plus one pass over the batch that changes
  nothing: ``x * 1.0001`` as a ``tf.data`` map (TensorFlow writes it into the
  batch's own buffer), and the same copy compiled by XLA (which, like every
  fused augmentation, writes a new buffer);
* **augmentations**: the plain pipeline plus each public layer (discovered
  as in ``bench_layers.py``, with its settings), mapped two ways:
  ``ks.data.augment_dataset`` (per-element seeds: reproducible whatever the
  parallelism) and a plain ``Dataset.map`` of the layer (seeds from its
  state).

An augmentation has to read every cell of the batch and write a new batch, so
its overhead cannot fall below the floors'; the last column gives each
overhead as a multiple of the XLA copy's.

Usage:
    python benchmarks/bench_tfdata.py                   # 1024 cached clips, 5 passes
    python benchmarks/bench_tfdata.py --resnet-steps 0  # skip the ResNet-101 step
    python benchmarks/bench_tfdata.py --plot docs/images/tfdata.png
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_layers  # noqa: E402
import harness  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_specmix as ks  # noqa: E402

CLASSES = 10
AUTOTUNE = tf.data.AUTOTUNE
TARGET_OVERHEAD = 0.05  # issue 6: augmentation adds at most 5 % per batch
# Every public layer with bench_layers.py's settings (mixers get num_classes: the cache
# holds sparse labels), each mapped two ways.
AUGMENT_DATASET = "augment_dataset"
PLAIN_MAP = "map"
BASELINE = "plain pipeline (+ batch)"
XLA_COPY = "floor: + copy into a new buffer (XLA)"


def write_cache(path, clips, frames):
    features = tf.random.stateless_normal([clips, frames, 128, 3], seed=[0, 0])
    labels = tf.range(clips, dtype=tf.int64) % CLASSES
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    ks.datasets.write_feature_cache(ds, path, num_examples=clips, progress=False)


def _scalar(element):
    """Reduces an element to one float so that batching it costs nothing."""
    return tf.cast(tf.reshape(tf.nest.flatten(element)[0], [-1])[0], tf.float32)


def pipelines(cache_path, batch_size):
    """name -> dataset, in the order of the report."""

    def stage(ds):
        return ds.map(lambda *e: _scalar(e)).batch(batch_size).prefetch(AUTOTUNE)

    def cached():
        return ks.datasets.read_feature_cache(cache_path)

    def plain():
        ds = ks.datasets.random_crop(cached(), length=400, seed=0)
        return ds.batch(batch_size, drop_remainder=True)

    files = [
        os.path.join(cache_path, name)
        for name in ks.datasets.cache.read_manifest(cache_path)["shards"]
    ]
    xla_copy = tf.function(lambda x: x * 1.0001, jit_compile=True)
    out = {
        "stage: read records": stage(tf.data.TFRecordDataset(files).map(tf.strings.length)),
        "stage: + parse": stage(cached()),
        "stage: + crop": stage(ks.datasets.random_crop(cached(), length=400, seed=0)),
        BASELINE: plain().prefetch(AUTOTUNE),
        "floor: + copy in place": plain()
        .map(lambda x, y: (x * 1.0001, y), num_parallel_calls=AUTOTUNE)
        .prefetch(AUTOTUNE),
        XLA_COPY: plain()
        .map(lambda x, y: (xla_copy(x), y), num_parallel_calls=AUTOTUNE)
        .prefetch(AUTOTUNE),
    }
    for name in bench_layers.layer_classes():
        layer = bench_layers.build_layer(name, seed=1)
        if layer.requires_labels:
            ds = plain()

            def call(x, y, layer=layer):
                out = layer({"spectrograms": x, "labels": y})
                return out["spectrograms"], out["labels"]

        else:
            ds = plain().map(lambda x, y: x)

            def call(x, layer=layer):
                return layer(x)

        out[f"{name} ({AUGMENT_DATASET})"] = ks.data.augment_dataset(ds, layer, seed=1).prefetch(
            AUTOTUNE
        )
        out[f"{name} ({PLAIN_MAP})"] = ds.map(call, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
    return out


def _is_augmentation(name):
    return name.endswith(f" ({AUGMENT_DATASET})") or name.endswith(f" ({PLAIN_MAP})")


def time_pipeline(ds):
    """(first-batch seconds, wall seconds per batch, CPU seconds per batch).

    The first batch of each pass carries a fixed start-up cost (a new
    iterator instantiates the map functions) and is reported apart from the
    steady state. CPU time is the whole process's, all threads.
    """
    start = time.perf_counter()
    iterator = iter(ds)
    harness.finish(next(iterator))
    first = time.perf_counter() - start
    start, cpu, batches = time.perf_counter(), time.process_time(), 0
    for element in iterator:
        harness.finish(element)
        batches += 1
    batches = max(batches, 1)
    return (first, (time.perf_counter() - start) / batches, (time.process_time() - cpu) / batches)


def resnet_step_seconds(steps, batch_size):
    model = keras.applications.ResNet101(weights=None, input_shape=(400, 128, 3), classes=CLASSES)
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


def report(stats, batch_size):
    """Prints the table and the target checks; returns the check list."""
    base = stats[BASELINE]["wall"]
    floor = stats[XLA_COPY]["wall"] - base
    rows, checks = [], []
    for name, s in stats.items():
        overhead = s["wall"] / base - 1
        is_extra = list(stats).index(name) > list(stats).index(BASELINE)
        rows.append(
            [
                name,
                f"{s['wall'] * 1e3:.2f}",
                f"{s['cpu'] * 1e3:.2f}",
                f"{1 / s['wall']:.1f}",
                f"{batch_size / s['wall']:.0f}",
                f"{overhead * 100:+.1f} %" if is_extra else "",
                f"{(s['wall'] - base) / floor:.2f}x" if _is_augmentation(name) else "",
                f"{s['first'] * 1e3:.0f}",
            ]
        )
        if _is_augmentation(name) or name.startswith("floor"):
            checks.append(
                (
                    f"{name}: overhead <= {TARGET_OVERHEAD:.0%}",
                    overhead <= TARGET_OVERHEAD,
                    overhead,
                )
            )
    print(
        harness.table(
            rows,
            [
                "pipeline",
                "wall ms / batch",
                "CPU ms / batch",
                "batches / s",
                "clips / s",
                "overhead",
                "overhead / XLA copy's",
                "first batch ms",
            ],
        )
    )
    for check, ok, value in checks:
        print(f"  [{'PASS' if ok else 'FAIL'}] {check}: {value:+.1%}")
    return checks


def plot(stats, path):
    """Bar chart of wall ms per batch: stages, floors and augmentations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(stats)
    base = stats[BASELINE]["wall"] * 1e3
    colours = [
        "#9e9e9e"
        if n.startswith("stage")
        else "#3b6ea5"
        if n == BASELINE
        else "#e0a030"
        if n.startswith("floor")
        else "#c0504d"
        for n in names
    ]
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(names) + 1.2))
    values = [stats[n]["wall"] * 1e3 for n in names]
    ax.barh(range(len(names)), values, color=colours)
    ax.axvline(base, color="#3b6ea5", lw=1)
    ax.axvline(
        base * (1 + TARGET_OVERHEAD),
        color="k",
        ls="--",
        lw=1,
        label=f"plain pipeline + {TARGET_OVERHEAD:.0%} (issue 6 target)",
    )
    for i, (name, value) in enumerate(zip(names, values)):
        if names.index(name) > names.index(BASELINE):
            ax.text(value + 0.1, i, f"{value / base - 1:+.0%}", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("wall ms per batch of 32 (400, 128, 3) clips, steady state")
    ax.set_title("Where a cached-feature tf.data pipeline spends its time", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=423)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--resnet-steps", type=int, default=2)
    parser.add_argument(
        "--out", default=os.path.join(os.path.dirname(__file__), "results", "tfdata.json")
    )
    parser.add_argument("--plot", metavar="PNG", help="also draw the table as a bar chart")
    parser.add_argument(
        "--from-json",
        metavar="JSON",
        help="redraw --plot from an earlier run's JSON instead of measuring",
    )
    args = parser.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            plot(json.load(f)["per_batch"], args.plot or "tfdata.png")
        return
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        write_cache(cache, args.clips, args.frames)
        datasets = pipelines(cache, args.batch)
        print(
            f"{len(datasets)} pipelines over {args.clips} cached clips, "
            f"{args.passes} interleaved passes",
            flush=True,
        )
        for ds in datasets.values():  # warm-up: trace, compile, fill OS caches
            time_pipeline(ds)
        samples = {name: [] for name in datasets}
        for _ in range(args.passes):  # interleaved passes
            for name, ds in datasets.items():
                samples[name].append(time_pipeline(ds))
            print(".", end="", flush=True)
        print()
    stats = {
        name: {
            key: statistics.median(s[i] for s in v)
            for i, key in enumerate(("first", "wall", "cpu"))
        }
        for name, v in samples.items()
    }
    checks = report(stats, args.batch)
    result = {
        "environment": harness.environment(),
        "settings": vars(args),
        "per_batch": stats,
        "checks": [{"check": c, "pass": bool(ok), "value": v} for c, ok, v in checks],
    }
    if args.resnet_steps:
        step = resnet_step_seconds(args.resnet_steps, args.batch)
        result["resnet101_train_step_s"] = step
        worst = max(s["wall"] for s in stats.values())
        print(
            f"\nResNet-101 training step, batch {args.batch}: {step:.2f} s "
            f"(the slowest pipeline delivers a batch in {worst * 1e3:.1f} ms, "
            f"{worst / step:.2%} of a step)"
        )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    harness.write_json(args.out, result)
    if args.plot:
        plot(stats, args.plot)


if __name__ == "__main__":
    main()
