"""Every layer on every Keras backend: time per call and peak memory, against a copy.

Usage:
    python benchmarks/bench_backends.py                      # all backends, all layers
    python benchmarks/bench_backends.py --backends jax --repeats 10

For each backend (TensorFlow with XLA, JAX with ``jax.jit``, PyTorch eager)
and each layer, one fresh process builds a ``(32, 400, 128, 3)`` float32
batch, compiles ``layer.augment(batch, seed)`` the backend's way, warms it
up, then times ``--repeats`` calls (median ms). Peak memory, in multiples of
the input size: on JAX, XLA's memory analysis of the compiled call (output
plus temporary buffers); on TensorFlow and PyTorch, the resident peak the
first call adds (Linux ``VmHWM`` after a reset through
``/proc/self/clear_refs``; TensorFlow's includes XLA compilation, as in
``bench_scaling.py``). The floor is a
real copy, ``x * 1.0001``, compiled and measured the same way in the same
run, so ratios compare like with like on a noisy machine. Prints a Markdown
table per backend and writes ``benchmarks/results/backends.json``.

PyTorch runs eagerly: the layers draw from a ``torch.Generator`` seeded per
call, which ``torch.compile`` cannot trace without a graph break.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

LAYERS = {
    "copy": None,
    "MixUp": "ks.MixUp(alpha=0.4, num_classes=10, seed=0)",
    "CutMix": "ks.CutMix(alpha=0.4, num_classes=10, seed=0)",
    "SpecMix": "ks.SpecMix(gamma=0.3, num_classes=10, seed=0)",
    "FrequencyMasking": "ks.FrequencyMasking(27, num_freq_masks=2, seed=0)",
    "TimeMasking": "ks.TimeMasking(100, num_time_masks=2, seed=0)",
    "TimeWarp": "ks.TimeWarp(80, seed=0)",
    "SpecAugment": "ks.SpecAugment(policy='LD', seed=0)",
}
SHAPE = (32, 400, 128, 3)
BACKENDS = ("tensorflow", "jax", "torch")
MODE = {"tensorflow": "XLA", "jax": "jax.jit", "torch": "eager"}

# Runs in a fresh process per (backend, layer); prints one JSON line.
CHILD = r"""
import json, os, statistics, sys, time
import numpy as np
import keras
import keras_specmix as ks

backend = keras.backend.backend()
name, factory, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
shape = tuple(json.loads(sys.argv[4]))
rng = np.random.default_rng(0)
x = keras.ops.convert_to_tensor(rng.normal(size=shape).astype("float32"))
y = keras.ops.convert_to_tensor(np.eye(10, dtype="float32")[np.arange(shape[0]) % 10])
seed = keras.ops.convert_to_tensor(np.array([1, 2], "int32"))
if factory == "None":
    fn = lambda d, s: d * 1.0001
    data = x
else:
    layer = eval(factory)
    data = {"spectrograms": x, "labels": y} if layer.requires_labels else x
    fn = lambda d, s: layer.augment(d, s)
if backend == "tensorflow":
    import tensorflow as tf
    fn = tf.function(fn, jit_compile=True)
    done = lambda out: out
elif backend == "jax":
    import jax
    fn = jax.jit(fn)
    done = lambda out: jax.block_until_ready(out)
else:
    done = lambda out: out

def resident(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])  # kB

input_kb = np.prod(shape) * 4 / 1024
if backend == "jax":
    # XLA's own account of the compiled call: output and temporary buffers.
    stats = fn.lower(data, seed).compile().memory_analysis()
    peak = (stats.output_size_in_bytes + stats.temp_size_in_bytes) / 1024
else:
    # Resident peak of the first call (TensorFlow: XLA compilation included),
    # before any allocator holds freed buffers for reuse.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = resident("VmRSS:")
    done(fn(data, seed))
    peak = resident("VmHWM:") - base
for _ in range(3):
    done(fn(data, seed))
times = []
for _ in range(repeats):
    start = time.perf_counter()
    out = done(fn(data, seed))
    times.append((time.perf_counter() - start) * 1e3)
    del out
print(json.dumps({"ms": statistics.median(times), "peak_over_input": peak / input_kb}))
"""


def run_child(backend, name, factory, repeats, shape):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, "-c", CHILD, name, str(factory), str(repeats), json.dumps(shape)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{backend}/{name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--layers", default=",".join(LAYERS))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--output", default=os.path.join("benchmarks", "results", "backends.json"))
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"--backends takes {', '.join(BACKENDS)}. Received: {sorted(unknown)}")
    names = ["copy"] + [n for n in args.layers.split(",") if n and n != "copy"]
    results = {}
    started = time.time()
    total = len(backends) * len(names)
    for backend in backends:
        rows = []
        results[backend] = {}
        for name in names:
            done = len(results[backend]) + sum(len(r) for b, r in results.items() if b != backend)
            print(f"[{done + 1}/{total}] {backend} {name} ...", file=sys.stderr, flush=True)
            results[backend][name] = run_child(backend, name, LAYERS[name], args.repeats, SHAPE)
        floor = results[backend]["copy"]
        for name in names:
            r = results[backend][name]
            rows.append(
                [
                    name,
                    f"{r['ms']:.2f}",
                    f"{r['ms'] / floor['ms']:.1f}x",
                    f"{r['peak_over_input']:.2f}x",
                ]
            )
        print(f"\n{backend} ({MODE[backend]}), batch {SHAPE}, median of {args.repeats}:")
        print(harness.table(rows, ["layer", "ms", "/ copy", "peak mem / input"]))
    harness.write_json(
        args.output,
        {
            "environment": harness.environment(),
            "shape": SHAPE,
            "repeats": args.repeats,
            "modes": {b: MODE[b] for b in backends},
            "results": results,
            "seconds": round(time.time() - started, 1),
        },
    )


if __name__ == "__main__":
    main()
