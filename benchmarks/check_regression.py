"""CI check: fails when a layer's time, as a ratio to a copy, regresses by more than 50 %.

Usage:
    python benchmarks/check_regression.py                # the current KERAS_BACKEND's modes
    python benchmarks/check_regression.py --update       # rewrite the committed baseline
    KERAS_BACKEND=jax python benchmarks/check_regression.py

Every public layer (``bench_layers.layer_classes``) runs in this process
beside a copy of the same small batch, ``(16, 200, 128, 2)`` float32 (3.3 MB:
data-bound, not call-overhead-bound, and a round of every layer takes well
under a second), in the backend's modes (TensorFlow: ``graph`` and ``xla``;
JAX: ``jit``; PyTorch: ``eager``). A layer passes when its ratio is at most
``1 + --tolerance`` (default 0.5) times the ratio committed in
``benchmarks/results/regression_baseline.json`` for the same backend and mode,
or times the layer's floor (``bench_layers.floor``: 1, or 1.5 for the
mixers and Freq-MixStyle) when the committed ratio is below it: a ratio under
the floor was measured while load slowed the copy, and would make the limit
one that a quiet machine fails.

Robust to a loaded machine, because only ratios measured in one process are
compared, never times, and because:

* every call of a layer is timed right after a call of the copy, and the
  ratio of the pair is kept (``harness.measure_paired``): a burst of load
  that slows one slows the other, and the median of the per-pair ratios
  ignores the bursts that hit only one;
* a layer over the limit is measured again, up to ``--attempts`` times in
  all, and its best (lowest) ratio counts: load only ever slows a call, so a
  real regression fails every attempt while a burst of load does not;
* the tolerance is wide (+50 %); the targets themselves are checked by
  ``bench_layers.py`` on a quiet machine, not here.

A layer with no committed ratio (new) is reported and passes; commit a
baseline for it with ``--update`` (on a quiet machine).
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_layers  # noqa: E402
import harness  # noqa: E402

SHAPE = (16, 200, 128, 2)
MODES = {"tensorflow": ("graph", "xla"), "jax": ("jit",), "torch": ("eager",)}
BASELINE = os.path.join(HERE, "results", "regression_baseline.json")


def ratios(backend, modes, names, repeats, only=None):
    """{name@mode: paired ratio to the copy} for each layer (or just ``only``)."""
    cands, errors = bench_layers.candidates(backend, SHAPE, modes, names)
    if only is not None:
        cands = {k: v for k, v in cands.items() if k in only or k.startswith("copy@")}
    bench_layers._warm(cands, errors, warmup=2)
    fns = {key: (lambda f=fn, a=args: f(*a)) for key, (fn, args) in cands.items()}
    floors = {key: fn for key, fn in fns.items() if key.startswith("copy@")}
    others = {key: fn for key, fn in fns.items() if key not in floors}
    floor_of = {key: bench_layers._floor_key(key, floors) for key in others}
    timings = harness.measure_paired(others, floors, floor_of, repeats=repeats, warmup=1)
    return {key: timings[key]["paired_ratio"] for key in others}, errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--update", action="store_true", help="write the baseline instead")
    parser.add_argument("--layers", default=None, help="comma-separated subset (default: all)")
    args = parser.parse_args(argv)
    import keras

    backend = keras.backend.backend()
    modes = MODES[backend]
    names = args.layers.split(",") if args.layers else list(bench_layers.layer_classes())
    start = time.perf_counter()
    print(f"{backend} {', '.join(modes)}: {len(names)} layers on {SHAPE}; load: {harness.uptime()}")
    best, errors = ratios(backend, modes, names, args.repeats)
    if errors:
        for key, error in errors.items():
            print(f"  [ERROR] {key}: {error}")

    baseline = {}
    if os.path.exists(args.baseline):
        with open(args.baseline) as f:
            baseline = json.load(f)
    if args.update:
        old = baseline.get(backend, {}).get("ratios", {})
        baseline[backend] = {
            "ratios": {**old, **{k: round(v, 3) for k, v in sorted(best.items())}},
            "shape": list(SHAPE),
            "uptime": harness.uptime(),
            "environment": harness.environment(),
        }
        harness.write_json(args.baseline, baseline)
        return 1 if errors else 0

    committed = baseline.get(backend, {}).get("ratios", {})
    # Never below the layer's floor: a ratio under it (a copy slowed by load) is noise.
    limit = {
        k: max(committed[k], bench_layers.floor(k.split("@")[0])) * (1 + args.tolerance)
        for k in best
        if k in committed
    }
    for attempt in range(2, args.attempts + 1):
        over = [k for k in limit if best[k] > limit[k]]
        if not over:
            break
        print(f"  attempt {attempt}: measuring {', '.join(over)} again")
        again, _ = ratios(backend, modes, names, args.repeats, only=set(over))
        best.update({k: min(best[k], again[k]) for k in over})

    failed = []
    rows = []
    for key in sorted(best):
        if key not in committed:
            rows.append([key, f"{best[key]:.2f}", "", "", "new: no baseline (run --update)"])
            continue
        ok = best[key] <= limit[key]
        failed += [] if ok else [key]
        rows.append(
            [
                key,
                f"{best[key]:.2f}",
                f"{committed[key]:.2f}",
                f"{limit[key]:.2f}",
                "ok" if ok else "REGRESSED",
            ]
        )
    print(harness.table(rows, ["layer@mode", "ratio now", "committed", "limit", ""]))
    print(
        f"{len(best)} ratios in {time.perf_counter() - start:.0f} s; "
        + (f"FAILED: {', '.join(failed)}" if failed else "no regression")
        + f"; load after: {harness.uptime()}"
    )
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
