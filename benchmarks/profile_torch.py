"""Where each layer's time goes on PyTorch: graph breaks, and the costliest ops.

For each public layer (``bench_layers.layer_classes``) on the PyTorch backend:

* ``torch._dynamo.explain`` of ``layer.augment``: how many graphs
  ``torch.compile`` makes of it, how many graph breaks, and where (file:line);
* ``torch.profiler`` over ``--calls`` eager calls on the batch: the ops with
  the most self CPU time, with their input shapes;
* with ``--compile``: the same profile of ``torch.compile(layer.augment)``
  after warm-up: the time in the costliest compiled graph against the whole
  call (the rest is the small regions between graph breaks).

Usage:
    python benchmarks/profile_torch.py                      # every layer, (32, 400, 128, 3)
    python benchmarks/profile_torch.py --layers MixUp --compile --shape 256x100x256x1
"""

import argparse
import collections
import os
import sys

os.environ["KERAS_BACKEND"] = "torch"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_layers  # noqa: E402
import harness  # noqa: E402
import torch  # noqa: E402
from torch.profiler import ProfilerActivity  # noqa: E402
from torch.profiler import profile  # noqa: E402


def breaks(name):
    """(graphs, breaks, {file:line: count}) of torch.compile on a small batch."""
    shape = (8, 200, 16, 1)
    x, y, seed = bench_layers._inputs(shape)
    layer = bench_layers.build_layer(name, shape=shape)
    data = {"spectrograms": x, "labels": y} if layer.requires_labels else x
    torch._dynamo.reset()
    found = torch._dynamo.explain(lambda d, s: layer.augment(d, s))(data, seed)
    where = collections.Counter(
        f"{os.path.basename(b.user_stack[-1].filename)}:{b.user_stack[-1].lineno}"
        for b in found.break_reasons
        if b.user_stack
    )
    return found.graph_count, found.graph_break_count, dict(where)


def top_ops(fn, calls, top):
    """[(op, input shapes, self CPU ms per call)] of the costliest ops, and ms per call."""
    for _ in range(2):
        harness.finish(fn())
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(calls):
            harness.finish(fn())
    events = prof.key_averages(group_by_input_shape=True)
    rows = sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]
    total = sum(e.self_cpu_time_total for e in events) / calls / 1e3
    return [
        (e.key, str(e.input_shapes)[:80], e.self_cpu_time_total / calls / 1e3) for e in rows
    ], total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default=None)
    parser.add_argument("--shape", default="32x400x128x3")
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--top", type=int, default=4)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)"
    )
    parser.add_argument("--out", default=os.path.join(HERE, "results", "profile_torch.json"))
    args = parser.parse_args(argv)
    shape = bench_layers.parse_shape(args.shape)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = args.layers.split(",") if args.layers else list(bench_layers.layer_classes())
    x, y, seed = bench_layers._inputs(shape)
    copy_ms = top_ops(lambda: x * 1.0001, args.calls, 1)[1]
    print(f"copy of the batch: {copy_ms:.1f} ms CPU per call; load: {harness.uptime()}")
    result = {"copy_ms": copy_ms, "layers": {}}
    rows = []
    for name in names:
        layer = bench_layers.build_layer(name, shape=shape)
        data = {"spectrograms": x, "labels": y} if layer.requires_labels else x
        graphs, count, where = breaks(name)
        ops, eager_ms = top_ops(
            lambda layer=layer, data=data: layer.augment(data, seed), args.calls, args.top
        )
        entry = {"graphs": graphs, "breaks": count, "break_sites": where, "eager_ms": eager_ms}
        entry["eager_top_ops"] = ops
        if args.compile:
            compiled = torch.compile(lambda d, s, layer=layer: layer.augment(d, s), dynamic=False)
            cops, compiled_ms = top_ops(
                lambda compiled=compiled, data=data: compiled(data, seed), args.calls, 2
            )
            entry["compiled_ms"] = compiled_ms
            entry["compiled_top_ops"] = cops
        result["layers"][name] = entry
        rows.append(
            [
                name,
                f"{graphs} / {count}",
                ", ".join(f"{k} ×{v}" for k, v in where.items()),
                f"{eager_ms:.1f}",
                "; ".join(f"{op} {ms:.1f}" for op, _, ms in ops[:3]),
            ]
            + ([f"{entry['compiled_ms']:.1f}", f"{cops[0][2]:.1f}"] if args.compile else [])
        )
    headers = ["layer", "graphs / breaks", "break sites", "eager CPU ms", "top eager ops, ms"]
    if args.compile:
        headers += ["compiled CPU ms", "largest compiled op/graph ms"]
    print(harness.table(rows, headers))
    harness.write_json(
        args.out, {"environment": harness.environment(), "settings": vars(args), **result}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
