"""Why Freq-MixStyle sums over time in blocks on TensorFlow: reductions against a copy, per XLA.

Times, on one batch and in one process per backend, a copy (``x * 1.0001``)
and the ways to sum it over time (axis 1): a plain sum, a plain sum of
squares, a product with ones (XLA's dot), and blocks of 8 frames added
elementwise followed by a product with ones (what
``keras_specmix.ops.mix_style`` does on TensorFlow). Each is compiled by XLA
(TensorFlow ``jit_compile=True``, ``jax.jit``). Reported: the minimum CPU
time (all threads) and wall time per call over the rounds, and their ratios
to the copy's. CPU time is steadier than wall time on a shared machine: it
leaves out the time spent waiting for a core.

Usage:
    python benchmarks/profile_reductions.py                 # TensorFlow and JAX
    python benchmarks/profile_reductions.py --backends jax --shape 256x100x256x1
"""

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

BLOCK = 8


def candidates(xp, matmul, shape):
    """name -> function of the batch, written once for TensorFlow and JAX."""
    batch, time_length = shape[0], shape[1]
    width = int(__import__("numpy").prod(shape[2:]))
    blocks = time_length // BLOCK

    def ones_dot(v, length):
        flat = xp.reshape(v, (batch, length, width))
        return matmul(xp.ones((batch, 1, length), "float32"), flat)

    def block_dot(v):
        head = xp.reshape(v[:, : blocks * BLOCK], (batch, blocks, BLOCK, width))
        partial = head[:, :, 0]
        for j in range(1, BLOCK):
            partial = partial + head[:, :, j]
        return ones_dot(partial, blocks)

    return {
        "copy": lambda x: x * 1.0001,
        "sum over time": lambda x: xp.sum(x, axis=1),
        "sum of squares over time": lambda x: xp.sum(x * x, axis=1),
        "product with ones": lambda x: ones_dot(x, time_length),
        "blocks of 8, then product with ones": block_dot,
        "blocks of 8 of squares, then product with ones": lambda x: block_dot(x * x),
    }


def child(backend, shape, rounds):
    import numpy as np

    x_np = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x_np)
        fns = {
            name: tf.function(fn, jit_compile=True)
            for name, fn in candidates(tf.experimental.numpy, tf.linalg.matmul, shape).items()
        }
    else:
        import jax
        import jax.numpy as jnp

        x = jnp.asarray(x_np)
        fns = {name: jax.jit(fn) for name, fn in candidates(jnp, jnp.matmul, shape).items()}
    cpu = {name: [] for name in fns}
    wall = {name: [] for name in fns}
    for fn in fns.values():
        harness.finish(fn(x))
    for _ in range(rounds):
        for name, fn in fns.items():
            c, w = time.process_time(), time.perf_counter()
            harness.finish(fn(x))
            cpu[name].append((time.process_time() - c) * 1e3)
            wall[name].append((time.perf_counter() - w) * 1e3)
    out = {}
    for name in fns:
        out[name] = {
            "cpu_ms": min(cpu[name]),
            "wall_ms": min(wall[name]),
            "cpu_ratio": min(cpu[name]) / min(cpu["copy"]),
            "wall_ratio": min(wall[name]) / min(wall["copy"]),
        }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--shape", default="32x400x128x3")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "profile_reductions.json"))
    args = parser.parse_args(argv)
    shape = tuple(int(s) for s in args.shape.split("x"))
    if args.child:
        print(json.dumps(child(args.child, shape, args.rounds)))
        return 0
    results = {}
    for backend in args.backends.split(","):
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        cmd = [sys.executable, __file__, "--child", backend, "--shape", args.shape]
        cmd += ["--rounds", str(args.rounds)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            results[backend] = {"error": done.stderr[-1500:]}
            print(f"{backend}: FAILED {done.stderr[-500:]}")
            continue
        results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        rows = [
            [n, f"{r['cpu_ms']:.2f}", f"{r['cpu_ratio']:.2f}x", f"{r['wall_ratio']:.2f}x"]
            for n, r in results[backend].items()
        ]
        print(f"\n{backend} XLA, batch {args.shape}, minimum over {args.rounds} rounds:")
        print(harness.table(rows, ["computation", "CPU ms", "CPU / copy", "wall / copy"]))
    harness.write_json(
        args.out,
        {"environment": harness.environment(), "settings": vars(args), "results": results},
    )
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
