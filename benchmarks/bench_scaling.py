"""How cost grows with batch size and time length, and peak memory per layer.

Cost: the median time of each layer in ``tf.function`` (or ``--mode xla``)
at growing batch sizes and time lengths, beside a copy of the same batch at
the same size; the per-size ratio to the copy should stay flat (linear
cost). Memory: each layer runs in a fresh process on a (64, 400, 128, 3)
batch; the process resets its peak resident size (/proc/self/clear_refs,
Linux) and reports how far three calls raise it, in multiples of the input
size (a copy needs 1: its output). The first call traces and, for fused or
XLA code, compiles, so the figure is an upper bound that includes the
compiler's memory (after warm-up TensorFlow's allocator reuses its buffers
and the resident size no longer moves).

Usage:
    python benchmarks/bench_scaling.py [--mode graph|xla] [--repeats 15]
"""

import argparse
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


import bench_layers  # noqa: E402
import harness  # noqa: E402

LAYERS = ["MixUp", "CutMix", "SpecMix", "TimeWarp", "SpecAugment"]
BATCHES = [8, 16, 32, 64]
TIMES = [100, 200, 400, 800]

MEMORY_CHILD = """
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path.insert(0, {here!r})
import tensorflow as tf, bench_layers, harness

def status(field):  # kB, from /proc/self/status
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])

x = tf.zeros([64, 400, 128, 3])  # no temporaries while creating the input
y = tf.one_hot(tf.range(64) % 10, 10)
name = {name!r}
if name == "copy":
    fn = tf.function(lambda: x * 1.0001)
else:
    layer = bench_layers.build_layer(name)
    data = {{"spectrograms": x, "labels": y}} if layer.requires_labels else x
    fn = tf.function(lambda: layer(data, training=True), jit_compile={jit})
harness.finish(tf.function(lambda: x[:1, :1] * 2.0)())  # initialise the runtime
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
before = status("VmRSS:")
for _ in range(3):  # the first call traces (and compiles) too
    harness.finish(fn())
print(status("VmHWM:") - before)
"""


def scaling(mode, repeats):
    rows = []
    for axis, sizes in (("batch", BATCHES), ("time", TIMES)):
        for size in sizes:
            shape = (size, 400) if axis == "batch" else (32, size)
            x, y = bench_layers.make_batch(*shape, 128, 3)
            candidates = bench_layers.tf_candidates(x, y, [mode], LAYERS)
            result = harness.measure(candidates, repeats=repeats, progress=False)
            floor = result[f"copy@{mode}"]["median_ms"]
            rows.append(
                {
                    "axis": axis,
                    "size": size,
                    "copy_ms": floor,
                    **{n: result[f"{n}@{mode}"]["median_ms"] / floor for n in LAYERS},
                }
            )
            print(
                f"  {axis}={size}: copy {floor:.2f} ms, ratios "
                + ", ".join(f"{n} {rows[-1][n]:.2f}" for n in LAYERS)
            )
    return rows


def peak_memory(mode):
    """Peak resident memory a call adds, in multiples of the input size."""
    input_mb = 64 * 400 * 128 * 3 * 4 / 2**20
    peaks = {}
    for name in ["copy"] + LAYERS:
        code = MEMORY_CHILD.format(here=HERE, name=name, jit=mode == "xla")
        # A fixed mmap threshold makes glibc return every large buffer to the
        # OS when it is freed, so the resident peak shows live memory only.
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        peaks[name] = int(out.stdout.strip().splitlines()[-1]) / 1024 / input_mb
    return peaks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["graph", "xla"], default="graph")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "scaling.json"))
    args = parser.parse_args()
    print(f"Scaling ({args.mode}), ratio to a copy of the same batch:")
    rows = scaling(args.mode, args.repeats)
    headers = ["axis", "size", "copy ms"] + LAYERS
    print(
        harness.table(
            [
                [r["axis"], r["size"], f"{r['copy_ms']:.2f}"] + [f"{r[n]:.2f}x" for n in LAYERS]
                for r in rows
            ],
            headers,
        )
    )
    print(
        "\nPeak memory the first calls add (compilation included), in multiples "
        "of the input (64x400x128x3 float32, 37.5 MiB); a copy adds 1, its output:"
    )
    memory = peak_memory(args.mode)
    print(harness.table([[n, f"{m:.2f}x"] for n, m in memory.items()], ["layer", "peak / input"]))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    harness.write_json(
        args.out,
        {
            "environment": harness.environment(),
            "settings": vars(args),
            "scaling": rows,
            "peak_memory_over_input": memory,
        },
    )


if __name__ == "__main__":
    main()
