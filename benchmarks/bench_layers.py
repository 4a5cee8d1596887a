"""Times every keras_specmix augmentation against a copy of the batch and the peers.

Usage:
    python benchmarks/bench_layers.py                 # (32, 400, 128, 3), 30 rounds
    python benchmarks/bench_layers.py --repeats 10 --modes graph,xla

Prints a Markdown table of median milliseconds and ratios (to the floor, a
real copy ``x * 1.0001`` of the same batch, and to each peer), checks the
targets of issue 6, and writes JSON with the machine, versions and settings.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import peers  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_specmix as ks  # noqa: E402

NUM_CLASSES = 10
# (layer factory, needs labels, target ratio under XLA, in tf.function)
OURS = {
    "MixUp": (lambda: ks.MixUp(alpha=0.4, seed=0), True, 2.5, 4.0),
    "CutMix": (lambda: ks.CutMix(alpha=0.4, seed=0), True, 2.5, 4.0),
    "SpecMix": (lambda: ks.SpecMix(gamma=0.3, seed=0), True, 2.5, 4.0),
    "FrequencyMasking": (
        lambda: ks.FrequencyMasking(27, num_freq_masks=2, seed=0),
        False,
        2.5,
        4.0,
    ),
    "TimeMasking": (lambda: ks.TimeMasking(100, num_time_masks=2, seed=0), False, 2.5, 4.0),
    "TimeWarp": (lambda: ks.TimeWarp(80, seed=0), False, 3.0, 5.0),
    "SpecAugment": (lambda: ks.SpecAugment(policy="LD", seed=0), False, 3.0, 5.0),
    # Two reductions over time (mean, then the centred variance) and the output pass.
    "FrequencyMixStyle": (lambda: ks.FrequencyMixStyle(prob=1.0, seed=0), False, 5.0, 6.0),
    "FilterAugment": (lambda: ks.FilterAugment(seed=0), False, 2.5, 4.0),
    "MixingPolicy": (
        lambda: ks.MixingPolicy([ks.MixUp(alpha=0.4), ks.CutMix(alpha=0.4)], seed=0),
        True,
        4.0,
        6.0,
    ),
}


def make_batch(batch, time, freq, channels):
    x = tf.random.stateless_normal([batch, time, freq, channels], seed=[0, 1])
    y = tf.one_hot(tf.range(batch) % NUM_CLASSES, NUM_CLASSES)
    return x, y


def our_candidates(x, y, modes, names=None):
    """name@mode -> callable, for each of our layers."""
    candidates = {}
    for name, (factory, needs_labels, _, _) in OURS.items():
        if names and name not in names:
            continue
        layer = factory()
        data = {"spectrograms": x, "labels": y} if needs_labels else x
        call = lambda d, layer=layer: layer(d, training=True)  # noqa: E731
        for mode in modes:
            fn = call if mode == "eager" else tf.function(call, jit_compile=mode == "xla")
            candidates[f"{name}@{mode}"] = lambda fn=fn, data=data: fn(data)
    return candidates


def breakdown_candidates(x, y, mode):
    """Where the time goes: sampling the params vs applying them, per layer."""
    candidates = {}
    for name, (factory, needs_labels, _, _) in OURS.items():
        layer = factory()
        data = layer._unpack({"spectrograms": x, "labels": y} if needs_labels else x)
        seed = tf.constant([1, 2])
        params = layer.sample_params(data, seed)
        jit = mode == "xla"
        sample = tf.function(
            lambda d, layer=layer, seed=seed: layer.sample_params(d, seed), jit_compile=jit
        )
        apply = tf.function(lambda d, p, layer=layer: layer.transform(d, p), jit_compile=jit)
        candidates[f"{name}.sample_params@{mode}"] = lambda f=sample, d=data: f(d)
        candidates[f"{name}.transform@{mode}"] = lambda f=apply, d=data, p=params: f(d, p)
    return candidates


def print_breakdown(results, mode):
    floor = results[f"copy@{mode}"]["median_ms"]
    rows = []
    for name in OURS:
        sample = results[f"{name}.sample_params@{mode}"]["median_ms"]
        apply = results[f"{name}.transform@{mode}"]["median_ms"]
        rows.append([name, f"{sample:.2f}", f"{apply:.2f}", f"{apply / floor:.2f}x"])
    print(f"\nBreakdown ({mode}): sampling vs applying; copy = {floor:.2f} ms")
    print(harness.table(rows, ["layer", "sample_params ms", "transform ms", "transform / copy"]))


def floor_candidates(x, modes):
    copy = lambda t: t * 1.0001  # noqa: E731 - not `* 1.0`: grappler drops that
    candidates = {}
    for mode in modes:
        fn = copy if mode == "eager" else tf.function(copy, jit_compile=mode == "xla")
        candidates[f"copy@{mode}"] = lambda fn=fn: fn(x)
    x_np = x.numpy()
    candidates["copy@numpy"] = lambda: x_np.copy()
    return candidates


def peer_candidates(x, y):
    candidates = {
        "keras.MixUp@graph": lambda fn=peers.keras_mixup(): fn(x, y),
        "keras.CutMix@graph": lambda fn=peers.keras_cutmix(): fn(x, y),
    }
    tfio_fn = peers.tfio_masks()
    if tfio_fn is not None:
        candidates["tfio.masks(1 channel)@graph"] = lambda: tfio_fn(x)
    x_np, y_np = x.numpy(), y.numpy()
    candidates["author_numpy.SpecMix@numpy"] = lambda: peers.numpy_specmix(x_np, y_np)[0]
    return candidates


def masks_pair(x, modes):
    """FrequencyMasking then TimeMasking on all channels (the tfio comparison)."""
    freq, time = ks.FrequencyMasking(27, seed=0), ks.TimeMasking(100, seed=0)
    call = lambda t: time(freq(t, training=True), training=True)  # noqa: E731
    return {
        f"masks(3 channels)@{m}": (lambda fn=tf.function(call, jit_compile=m == "xla"): fn(x))
        for m in modes
        if m != "eager"
    }


def report(results, modes):
    rows, checks = [], []
    for name, (_, _, xla_target, graph_target) in OURS.items():
        if not any(f"{name}@{mode}" in results for mode in modes):
            continue  # not asked for (--layers)
        row = [name]
        for mode in modes:
            key = f"{name}@{mode}"
            if key not in results:
                row += ["", ""]
                continue
            ms = results[key]["median_ms"]
            ratio = ms / results[f"copy@{mode}"]["median_ms"]
            row += [f"{ms:.2f}", f"{ratio:.2f}x"]
            target = {"xla": xla_target, "graph": graph_target}.get(mode)
            if target:
                checks.append((f"{key} <= {target}x copy", ratio <= target, f"{ratio:.2f}x"))
        rows.append(row)
    headers = ["layer"] + [h for m in modes for h in (f"{m} ms", f"{m} / copy")]
    floor_row = ["copy (floor)"] + [
        h for m in modes for h in (f"{results[f'copy@{m}']['median_ms']:.2f}", "1.00x")
    ]
    print(harness.table([floor_row] + rows, headers))
    print()
    peer_rows = []
    for peer, ours in (
        ("keras.MixUp@graph", "MixUp@graph"),
        ("keras.CutMix@graph", "CutMix@graph"),
        ("tfio.masks(1 channel)@graph", "masks(3 channels)@graph"),
        ("author_numpy.SpecMix@numpy", "SpecMix@graph"),
    ):
        if peer in results and ours in results:
            p, o = results[peer]["median_ms"], results[ours]["median_ms"]
            peer_rows.append([peer, f"{p:.2f}", ours, f"{o:.2f}", f"{p / o:.2f}x"])
    print(harness.table(peer_rows, ["peer", "ms", "ours", "ms", "peer / ours"]))
    speedups = {r[0]: float(r[4][:-1]) for r in peer_rows}
    for peer, need in (
        ("keras.MixUp@graph", 1.0),
        ("keras.CutMix@graph", 4.0),
        ("tfio.masks(1 channel)@graph", 1.0),
    ):
        if peer in speedups:
            checks.append(
                (f"{peer} / ours >= {need}", speedups[peer] >= need, f"{speedups[peer]:.2f}x")
            )
    print()
    for label, ok, value in checks:
        print(f"  [{'PASS' if ok else 'MISS'}] {label}: {value}")
    return rows, peer_rows, checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--time", type=int, default=400)
    parser.add_argument("--freq", type=int, default=128)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--modes", default="eager,graph,xla")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--layers", default=None, help="comma-separated subset of our layers (default: all)"
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time sample_params and transform separately (graph mode)",
    )
    parser.add_argument(
        "--out", default=os.path.join(os.path.dirname(__file__), "results", "layers.json")
    )
    args = parser.parse_args()
    modes = args.modes.split(",")
    unknown = set(modes) - {"eager", "graph", "xla"}
    if unknown:
        parser.error(f"--modes must be among eager,graph,xla. Received: {args.modes}")
    x, y = make_batch(args.batch, args.time, args.freq, args.channels)
    candidates = floor_candidates(x, modes)
    names = args.layers.split(",") if args.layers else None
    if names and set(names) - set(OURS):
        parser.error(f"--layers must be among {','.join(OURS)}. Received: {args.layers}")
    candidates.update(our_candidates(x, y, modes, names))
    candidates.update(masks_pair(x, modes))
    if not args.no_peers:
        candidates.update(peer_candidates(x, y))
    print(
        f"{len(candidates)} candidates on a {tuple(x.shape)} float32 batch, "
        f"{args.repeats} interleaved rounds"
    )
    if args.breakdown:
        candidates.update(breakdown_candidates(x, y, "graph"))
        if "graph" not in modes:
            candidates.update(floor_candidates(x, ["graph"]))
    results = harness.measure(candidates, repeats=args.repeats)
    rows, peer_rows, checks = report(results, modes)
    if args.breakdown:
        print_breakdown(results, "graph")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    harness.write_json(
        args.out,
        {
            "environment": harness.environment(),
            "settings": vars(args),
            "results": results,
            "checks": [{"check": c, "pass": bool(ok), "value": v} for c, ok, v in checks],
        },
    )


if __name__ == "__main__":
    main()
