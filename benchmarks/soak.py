"""Soak test: many batches through parallel augmenting tf.data pipelines; does memory grow?

Four pipelines, each ``--batches`` batches of ``(8, 100, 64, 1)`` (labels for
the mixers), repeated from one in-memory batch set:

- ``SpecMix`` and ``SpecAugment`` mapped directly, ``ds.map(layer,
  num_parallel_calls=AUTOTUNE)``;
- the same layers through ``keras_specmix.data.augment_dataset``.

Resident memory (psutil, else ``VmRSS`` of ``/proc/self/status``) is sampled
every ``--every`` batches. Reported per pipeline: the least-squares slope of
RSS over the last 90 % of the batches (the first 10 % warm up: tracing,
autotuning, allocator pools) in MB per 1,000 batches (flat: under 1), and any
error. JSON goes to ``benchmarks/results/soak.json``.

    nice python benchmarks/soak.py                    # 10,000 batches each
    python benchmarks/soak.py --batches 200 --every 20 --out /tmp/soak.json
"""

import argparse
import json
import os
import platform
import sys
import time
import traceback

import numpy as np
import tensorflow as tf

import keras_specmix as ks

SHAPE = (8, 100, 64, 1)
NUM_CLASSES = 4
FLAT_MB_PER_1000 = 1.0


def rss_mb():
    """Resident memory of this process in MB."""
    try:
        import psutil  # noqa: PLC0415

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    raise RuntimeError("no way to read resident memory (install psutil)")


def _batches():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, *SHAPE[1:])).astype("float32")
    y = np.arange(16) % NUM_CLASSES
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(SHAPE[0]).repeat()


def pipelines():
    """Name -> a function building the (infinite) pipeline."""

    def specmix():
        return ks.SpecMix(num_classes=NUM_CLASSES, seed=1)

    def specaugment():
        return ks.SpecAugment(policy="LD", seed=2)

    return {
        "SpecMix map(layer)": lambda: _map_layer(specmix()),
        "SpecAugment map(layer)": lambda: _map_masking(specaugment()),
        "SpecMix augment_dataset": lambda: ks.data.augment_dataset(_batches(), specmix(), seed=3),
        "SpecAugment augment_dataset": lambda: ks.data.augment_dataset(
            _batches().map(lambda x, y: x), specaugment(), seed=4
        ),
    }


def _map_layer(layer):
    return _batches().map(
        lambda x, y: layer({"spectrograms": x, "labels": y}), num_parallel_calls=tf.data.AUTOTUNE
    )


def _map_masking(layer):
    return _batches().map(
        lambda x, y: (layer(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
    )


def soak(make, batches, every):
    """Runs ``batches`` batches; returns samples, slope and error."""
    samples, error = [], None
    start = time.perf_counter()
    try:
        for i, _ in enumerate(make().take(batches).prefetch(2), start=1):
            if i % every == 0:
                samples.append((i, rss_mb()))
    except Exception:  # noqa: BLE001 (reported, not raised: the soak goes on)
        error = traceback.format_exc(limit=3)
    seconds = time.perf_counter() - start
    tail = [(i, m) for i, m in samples if i > batches // 10]
    slope = None
    if len(tail) >= 2:
        slope = float(np.polyfit([i for i, _ in tail], [m for _, m in tail], 1)[0] * 1000)
    return {
        "samples": samples,
        "slope_mb_per_1000": slope,
        "flat": slope is not None and abs(slope) < FLAT_MB_PER_1000,
        "seconds": seconds,
        "error": error,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=10_000, help="batches per pipeline")
    parser.add_argument("--every", type=int, default=500, help="batches between samples")
    parser.add_argument(
        "--out", default=os.path.join(os.path.dirname(__file__), "results", "soak.json")
    )
    args = parser.parse_args(argv)
    if args.batches < 2 * args.every or args.every < 1:
        parser.error(
            f"--batches must be at least twice --every; received --batches "
            f"{args.batches} --every {args.every}"
        )
    results = {}
    for name, make in pipelines().items():
        results[name] = soak(make, args.batches, args.every)
        r = results[name]
        slope = "n/a" if r["slope_mb_per_1000"] is None else f"{r['slope_mb_per_1000']:+.3f}"
        print(
            f"| {name} | {slope} MB/1000 batches | {'flat' if r['flat'] else 'GROWS'} | "
            f"{r['seconds']:.0f} s | {r['error'] or 'no error'} |",
            flush=True,
        )
    out = {
        "environment": {
            "tensorflow": tf.__version__,
            "keras_specmix": ks.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "settings": {
            "batches": args.batches,
            "every": args.every,
            "shape": SHAPE,
            "fit_from_batch": args.batches // 10,
            "flat_below_mb_per_1000": FLAT_MB_PER_1000,
        },
        "results": results,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    print(f"Wrote {args.out}")
    return 1 if any(r["error"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
