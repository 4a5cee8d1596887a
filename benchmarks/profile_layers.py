"""Where each layer's time goes, op by op, from TensorFlow's own step trace.

Builds each layer's ``augment`` into a graph on a (32, 400, 128, 3) float32
batch, runs it with ``RunOptions(trace_level=FULL_TRACE)`` and sums the time
TensorFlow records for each op over many steps. The fused XLA application
(``keras_specmix/ops/fusion.py``) shows up as one call op; everything else is
the sampling of the random parameters and the label bookkeeping, many ops on
tensors of a few dozen numbers. The same graph also runs a copy of the batch
(``x * 1.0001``) for scale.

Usage:
    python benchmarks/profile_layers.py               # 30 traced steps per layer
    python benchmarks/profile_layers.py --layers SpecMix,MixUp --top 8
"""

import argparse
import collections
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from bench_layers import build_layer  # noqa: E402
from bench_layers import layer_classes  # noqa: E402

FUSED_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")


def _op_type(node_stats):
    label = node_stats.timeline_label  # "name = Type(inputs)" when traced
    if "=" in label:
        return label.split("=", 1)[1].split("(", 1)[0].strip()
    return node_stats.node_name


def profile(build, feed_shapes, steps):
    """(median step µs, {op type: µs per step}, {op type: calls per step})."""
    graph = tf.Graph()
    with graph.as_default():
        placeholders = {
            name: tf.compat.v1.placeholder(dtype, shape)
            for name, (dtype, shape) in feed_shapes.items()
        }
        fetch = tf.nest.flatten(build(placeholders))
    rng = np.random.default_rng(0)
    feed = {}
    for name, placeholder in placeholders.items():
        dtype, shape = feed_shapes[name]
        feed[placeholder] = (
            rng.standard_normal(shape).astype(np.float32)
            if dtype == tf.float32
            else rng.integers(0, 10, shape)
        )
    options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
    micros, calls, steps_us = collections.Counter(), collections.Counter(), []
    with tf.compat.v1.Session(graph=graph) as session:
        for _ in range(5):  # warm-up: XLA compilation, allocator
            session.run(fetch, feed)
        for _ in range(steps):
            start = time.perf_counter()
            session.run(fetch, feed)
            steps_us.append((time.perf_counter() - start) * 1e6)
            metadata = tf.compat.v1.RunMetadata()
            session.run(fetch, feed, options=options, run_metadata=metadata)
            for device in metadata.step_stats.dev_stats:
                for node in device.node_stats:
                    op = _op_type(node)
                    micros[op] += node.op_end_rel_micros - node.op_start_rel_micros
                    calls[op] += 1
    return (
        statistics.median(steps_us),
        {op: us / steps for op, us in micros.items()},
        {op: n / steps for op, n in calls.items()},
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default=",".join(layer_classes()))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--top", type=int, default=4, help="small ops listed per layer")
    parser.add_argument(
        "--out", default=os.path.join(os.path.dirname(__file__), "results", "profile.json")
    )
    args = parser.parse_args()
    names = args.layers.split(",")
    unknown = set(names) - set(layer_classes())
    if unknown:
        parser.error(f"--layers must be among {','.join(layer_classes())}. Received: {args.layers}")
    shapes = {"x": (tf.float32, [32, 400, 128, 3]), "y": (tf.int32, [32]), "seed": (tf.int32, [2])}
    step, ops, _ = profile(lambda p: p["x"] * 1.0001, {"x": shapes["x"]}, args.steps)
    copy_us = ops.get("Mul", step)
    print(f"copy of the batch (x * 1.0001): Mul {copy_us:.0f} µs, step {step:.0f} µs")
    rows, result = [], {"copy_us": copy_us, "layers": {}}
    for name in names:
        layer = build_layer(name)  # mixers get num_classes: the labels are sparse ints
        needs_labels = layer.requires_labels

        def build(p, layer=layer, needs_labels=needs_labels):
            data = {"spectrograms": p["x"], "labels": p["y"]} if needs_labels else p["x"]
            return layer.augment(data, p["seed"])

        step, ops, calls = profile(build, shapes, args.steps)
        fused = sum(us for op, us in ops.items() if op in FUSED_CALL_OPS)
        small = {op: us for op, us in ops.items() if op not in FUSED_CALL_OPS}
        top = sorted(small.items(), key=lambda kv: -kv[1])[: args.top]
        rows.append(
            [
                name,
                f"{step:.0f}",
                f"{fused:.0f} ({fused / copy_us:.2f}x copy)",
                f"{sum(small.values()):.0f} in {sum(calls[op] for op in small):.0f} ops",
                ", ".join(f"{op} {us:.0f}" for op, us in top),
            ]
        )
        result["layers"][name] = {
            "step_us": step,
            "fused_us": fused,
            "ops_us": ops,
            "ops_calls": calls,
        }
    print(
        harness.table(
            rows,
            [
                "layer",
                "step µs",
                "fused XLA apply µs",
                "other ops µs (count)",
                "largest other ops, µs",
            ],
        )
    )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    harness.write_json(
        args.out, {"environment": harness.environment(), "settings": vars(args), **result}
    )


if __name__ == "__main__":
    main()
