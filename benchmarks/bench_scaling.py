"""How cost grows with batch size and time length, and peak memory per layer.

Cost: the median time of each layer in ``tf.function`` (or ``--mode xla``)
at growing batch sizes and time lengths, beside a copy of the same batch at
the same size; the per-size ratio to the copy should stay flat (linear
cost). Memory: each layer runs in a fresh process on a (64, 400, 128, 3)
batch, and the process's peak resident memory above a process that only
copies the batch is reported in multiples of the input size.

Usage:
    python benchmarks/bench_scaling.py [--mode graph|xla] [--repeats 15]
"""

import argparse
import json
import os
import resource
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tensorflow as tf  # noqa: E402

import bench_layers  # noqa: E402
import harness  # noqa: E402

LAYERS = ["MixUp", "CutMix", "SpecMix", "TimeWarp", "SpecAugment"]
BATCHES = [8, 16, 32, 64]
TIMES = [100, 200, 400, 800]

MEMORY_CHILD = """
import os, resource, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path.insert(0, {here!r})
import tensorflow as tf, bench_layers, harness
x, y = bench_layers.make_batch(64, 400, 128, 3)
name = {name!r}
if name == "copy":
    fn = tf.function(lambda: x * 1.0001)
else:
    factory, needs_labels, _, _ = bench_layers.OURS[name]
    layer = factory()
    data = {{"spectrograms": x, "labels": y}} if needs_labels else x
    fn = tf.function(lambda: layer(data, training=True), jit_compile={jit})
for _ in range(5):
    harness.finish(fn())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def scaling(mode, repeats):
    rows = []
    for axis, sizes in (("batch", BATCHES), ("time", TIMES)):
        for size in sizes:
            shape = (size, 400) if axis == "batch" else (32, size)
            x, y = bench_layers.make_batch(*shape, 128, 3)
            candidates = bench_layers.floor_candidates(x, [mode])
            candidates.update(bench_layers.our_candidates(x, y, [mode], LAYERS))
            result = harness.measure(candidates, repeats=repeats, progress=False)
            floor = result[f"copy@{mode}"]["median_ms"]
            rows.append({"axis": axis, "size": size, "copy_ms": floor,
                         **{n: result[f"{n}@{mode}"]["median_ms"] / floor for n in LAYERS}})
            print(f"  {axis}={size}: copy {floor:.2f} ms, ratios "
                  + ", ".join(f"{n} {rows[-1][n]:.2f}" for n in LAYERS))
    return rows


def peak_memory(mode):
    input_mb = 64 * 400 * 128 * 3 * 4 / 2**20
    peaks = {}
    for name in ["copy"] + LAYERS:
        code = MEMORY_CHILD.format(here=HERE, name=name, jit=mode == "xla")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                             text=True, check=True)
        peaks[name] = int(out.stdout.strip().splitlines()[-1]) / 1024  # KiB -> MiB
    return {name: (peak - peaks["copy"]) / input_mb + 1.0 for name, peak in peaks.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["graph", "xla"], default="graph")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "scaling.json"))
    args = parser.parse_args()
    print(f"Scaling ({args.mode}), ratio to a copy of the same batch:")
    rows = scaling(args.mode, args.repeats)
    headers = ["axis", "size", "copy ms"] + LAYERS
    print(harness.table([[r["axis"], r["size"], f"{r['copy_ms']:.2f}"]
                         + [f"{r[n]:.2f}x" for n in LAYERS] for r in rows], headers))
    print("\nPeak memory, multiples of the input (64x400x128x3 float32, 37.5 MiB); "
          "a copy holds 1 output:")
    memory = peak_memory(args.mode)
    print(harness.table([[n, f"{m:.2f}x"] for n, m in memory.items()],
                        ["layer", "peak / input"]))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    harness.write_json(args.out, {"environment": harness.environment(),
                                  "settings": vars(args), "scaling": rows,
                                  "peak_memory_over_input": memory})


if __name__ == "__main__":
    main()
