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

import keras  # first: see below
import numpy as np
import tensorflow as tf

# Keras is imported before TensorFlow so that, with KERAS_BACKEND=torch, PyTorch and
# Triton load their native libraries first: Triton's, loaded after TensorFlow's in one
# process, crashed at import (torch 2.13 CUDA build, Triton 3.7.1, TensorFlow 2.21).


def finish(output):
    """Blocks until ``output`` (a tensor, array or nest of them) is computed.

    TensorFlow and PyTorch: a host read of one value of the first output
    (it waits for the device, and for the computation that produced it).
    JAX: ``jax.block_until_ready`` on every output, then the same read.
    """
    leaves = tf.nest.flatten(output)
    leaf = leaves[0]
    if isinstance(leaf, np.ndarray):
        return float(leaf.flat[0])
    package = type(leaf).__module__.split(".")[0]
    if package in ("jax", "jaxlib"):
        import jax

        jax.block_until_ready(leaves)
        return float(leaf.reshape(-1)[0])
    if package == "torch":
        return float(leaf.reshape(-1)[0].item())
    return float(tf.reshape(leaf, [-1])[0].numpy())


def measure(candidates, repeats=30, warmup=3, progress=True):
    """Median wall time (ms) of each candidate, measured interleaved.

    Args:
        candidates: dict name -> zero-argument callable returning the output.
        repeats: timed rounds.
        warmup: untimed rounds first (tracing, XLA compilation).
        progress: print a dot per round.

    Returns:
        dict name -> {"median_ms", "p10_ms", "p90_ms", "min_ms", "times_ms"}.
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
    return {name: summary(t) for name, t in times.items()}


def measure_paired(candidates, floors, floor_of, repeats=30, warmup=3, calls=1):
    """Times each candidate right after its floor, every round: per-round ratios.

    On a shared machine a burst of load lasts longer than one call, so the
    floor timed just before a candidate sees about the same machine as the
    candidate; the median of the per-round ratios is then steadier than the
    ratio of two medians taken over the whole run.

    Args:
        candidates: dict name -> zero-argument callable returning the output.
        floors: dict floor name -> zero-argument callable (e.g. the copy).
        floor_of: dict candidate name -> its floor's name.
        repeats: timed rounds.
        warmup: untimed rounds first.
        calls: calls issued back to back per timed sample, finished once, the
            time divided by ``calls``. 1 times a synchronised call (its
            latency); more lets a GPU's asynchronous dispatch overlap the
            host's per-call work with the device's, which times the device.

    Returns:
        dict name -> ``summary`` of its times (ms per call) plus ``paired_ratio`` (median
        of the per-round ratios) and ``paired_ratio_p10``/``_p90``; each floor
        -> ``summary`` of all its times.
    """
    for _ in range(warmup):
        for fn in list(floors.values()) + list(candidates.values()):
            finish(fn())
    times = {name: [] for name in candidates}
    floor_times = {name: [] for name in floors}
    ratios = {name: [] for name in candidates}

    def timed(fn):
        start = time.perf_counter()
        for _ in range(calls - 1):
            fn()
        finish(fn())
        return (time.perf_counter() - start) * 1e3 / calls

    for _ in range(repeats):
        for name, fn in candidates.items():
            base = timed(floors[floor_of[name]])
            t = timed(fn)
            floor_times[floor_of[name]].append(base)
            times[name].append(t)
            ratios[name].append(t / base)
    out = {name: summary(t) for name, t in floor_times.items() if t}
    for name, t in times.items():
        out[name] = {
            **summary(t),
            "paired_ratio": statistics.median(ratios[name]),
            "paired_ratio_p10": float(np.percentile(ratios[name], 10)),
            "paired_ratio_p90": float(np.percentile(ratios[name], 90)),
        }
    return out


def summary(times_ms):
    """Median, spread and minimum of a list of times in ms (and the list itself)."""
    return {
        "median_ms": statistics.median(times_ms),
        "p10_ms": float(np.percentile(times_ms, 10)),
        "p90_ms": float(np.percentile(times_ms, 90)),
        "min_ms": min(times_ms),
        "times_ms": [round(t, 4) for t in times_ms],
    }


def environment():
    """Machine, versions and device, for the JSON report."""
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
        "uptime": uptime(),
        "device": gpus[0].name if gpus else "CPU",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_specmix": keras_specmix.__version__,
        "git_commit": commit,
    }


def uptime():
    """``uptime``'s line: the machine's load, recorded with every result."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())


def write_json(path, payload):
    with open(path, "w") as f:
        json.dump(payload, f, indent=2)
    print(f"wrote {path}")


def table(rows, headers):
    """A Markdown table from a list of row lists."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
