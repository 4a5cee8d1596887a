"""Timing harness shared by the benchmark scripts.

Rules (issue 6): warm up, then time many *interleaved* repeats (every
candidate once per round, so a burst of machine load hits all of them), stop
the clock only when the work is finished (a scalar read of the output forces
completion, also on a GPU), and report medians and ratios to a floor measured
in the same run.
"""

import json
import os
import platform
import statistics
import subprocess
import time

import numpy as np
import tensorflow as tf


def finish(output):
    """Blocks until ``output`` (a tensor, array or nest of them) is computed."""
    leaf = tf.nest.flatten(output)[0]
    if isinstance(leaf, np.ndarray):
        return float(leaf.flat[0])
    return float(tf.reshape(leaf, [-1])[0].numpy())


def measure(candidates, repeats=30, warmup=3, progress=True):
    """Median wall time (ms) of each candidate, measured interleaved.

    Args:
        candidates: dict name -> zero-argument callable returning the output.
        repeats: timed rounds.
        warmup: untimed rounds first (tracing, XLA compilation).
        progress: print a dot per round.

    Returns:
        dict name -> {"median_ms", "p10_ms", "p90_ms"}.
    """
    for _ in range(warmup):
        for fn in candidates.values():
            finish(fn())
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            finish(fn())
            times[name].append((time.perf_counter() - start) * 1e3)
        if progress:
            print(".", end="", flush=True)
    if progress:
        print()
    return {
        name: {
            "median_ms": statistics.median(t),
            "p10_ms": float(np.percentile(t, 10)),
            "p90_ms": float(np.percentile(t, 90)),
        }
        for name, t in times.items()
    }


def environment():
    """Machine, versions and device, for the JSON report."""
    import keras

    import keras_specmix

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    gpus = tf.config.list_physical_devices("GPU")
    return {
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "device": gpus[0].name if gpus else "CPU",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_specmix": keras_specmix.__version__,
        "git_commit": commit,
    }


def write_json(path, payload):
    with open(path, "w") as f:
        json.dump(payload, f, indent=2)
    print(f"wrote {path}")


def table(rows, headers):
    """A Markdown table from a list of row lists."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
