"""Where each layer's time goes on PyTorch: graph breaks, and the costliest ops.

For each public layer (``bench_layers.layer_classes``) on the PyTorch backend:

* ``torch._dynamo.explain`` of ``layer.augment``: how many graphs
  ``torch.compile`` makes of it, how many graph breaks, and where (file:line);
* ``torch.profiler`` over ``--calls`` eager calls on the batch: the ops with
  the most self CPU time, with their input shapes;
* on a CUDA device, also the device's busy time, the kernels launched and
  the host-device waits and copies (``SYNC_OPS``) of one call;
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


# Host-side calls that wait for a CUDA device or copy between host and device: each one
# stalls the eager stream, so their count per call explains an eager layer's time on a GPU.
SYNC_OPS = (
    "aten::_local_scalar_dense",
    "aten::item",
    "aten::_to_copy",
    "aten::nonzero",
    "cudaStreamSynchronize",
    "cudaDeviceSynchronize",
    "cudaMemcpyAsync",
)


def _sites(prof, calls):
    """{"op @ file:line": times per call} of the ``SYNC_OPS`` made from keras_specmix code.

    The line is the innermost Python frame of the package above the op in
    the profile's call tree (``with_stack=True`` records Python calls as
    events: ``.../keras_specmix/ops/random.py(519): _generator``); ops with
    no such frame are grouped under "elsewhere".
    """
    marker = f"keras_specmix{os.sep}"
    sites = collections.Counter()
    for event in prof.events():
        if event.name not in SYNC_OPS:
            continue
        parent = event.cpu_parent
        while parent is not None and marker not in parent.name:
            parent = parent.cpu_parent
        where = parent.name.split(marker, 1)[1] if parent is not None else "elsewhere"
        sites[f"{event.name} @ {where}"] += 1 / calls
    return dict(sites.most_common())


def top_ops(fn, calls, top, on_gpu=False, stack=False):
    """The costliest ops, the CPU ms per call, and what else was asked for.

    Returns ``(ops, ms, extra)``: ``ops`` is ``[(op, input shapes, self CPU ms
    per call)]``. On a CUDA device (``on_gpu``) the profile also records the
    device's activity, and ``extra`` holds the device's busy ms per call
    (``device_ms``), the kernels launched per call and, per op of
    ``SYNC_OPS``, how many times a call makes it (``sync_ops``). With
    ``stack``, ``extra["sync_sites"]`` says where in the package those ops
    are made (``_sites``).
    """
    for _ in range(2):
        harness.finish(fn())
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_gpu else [])
    with profile(activities=activities, record_shapes=True, with_stack=stack) as prof:
        for _ in range(calls):
            harness.finish(fn())
    events = prof.key_averages(group_by_input_shape=True)
    rows = sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]
    total = sum(e.self_cpu_time_total for e in events) / calls / 1e3
    ops = [(e.key, str(e.input_shapes)[:80], e.self_cpu_time_total / calls / 1e3) for e in rows]
    extra = {}
    if on_gpu:
        flat = prof.key_averages()
        try:
            extra = {
                "device_ms": sum(e.self_device_time_total for e in flat) / calls / 1e3,
                "kernels": sum(e.count for e in flat if e.key.startswith("cudaLaunch")) / calls,
                "sync_ops": {e.key: e.count / calls for e in flat if e.key in SYNC_OPS},
            }
        except AttributeError as error:  # a profiler that names its statistics differently
            extra = {"device_ms": float("nan"), "kernels": float("nan"), "sync_ops": {}}
            extra["error"] = str(error)
    if stack:
        extra["sync_sites"] = _sites(prof, calls)
    return ops, total, extra


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default=None)
    parser.add_argument("--shape", default="32x400x128x3")
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--top", type=int, default=4)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument(
        "--stack",
        action="store_true",
        help="also record where in keras_specmix each copy (aten::_to_copy), scalar read "
        "and, on a CUDA device, stream wait is made (torch.profiler's with_stack; "
        "torch 2.11 with CUDA activity on the H200 recorded no Python frames)",
    )
    parser.add_argument(
        "--no-breaks",
        dest="breaks",
        action="store_false",
        help="skip torch._dynamo.explain (the graph breaks do not depend on the device; "
        "where Triton's native library clashes with TensorFlow's in one process, "
        "importing it crashes)",
    )
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
    on_gpu = x.is_cuda
    copy_ms = top_ops(lambda: x * 1.0001, args.calls, 1)[1]
    print(f"copy of the batch: {copy_ms:.1f} ms CPU per call; load: {harness.uptime()}")
    result = {"copy_ms": copy_ms, "device": str(x.device), "layers": {}}
    rows = []
    for name in names:
        layer = bench_layers.build_layer(name, shape=shape)
        data = {"spectrograms": x, "labels": y} if layer.requires_labels else x
        graphs, count, where = breaks(name) if args.breaks else (None, None, {})
        ops, eager_ms, extra = top_ops(
            lambda layer=layer, data=data: layer.augment(data, seed),
            args.calls,
            args.top,
            on_gpu,
            args.stack,
        )
        entry = {"graphs": graphs, "breaks": count, "break_sites": where, "eager_ms": eager_ms}
        entry["eager_top_ops"] = ops
        if on_gpu:
            entry["cuda"] = {k: v for k, v in extra.items() if k != "sync_sites"}
        if "sync_sites" in extra:
            entry["sync_sites"] = extra["sync_sites"]
        if args.compile:
            compiled = torch.compile(lambda d, s, layer=layer: layer.augment(d, s), dynamic=False)
            cops, compiled_ms, _ = top_ops(
                lambda compiled=compiled, data=data: compiled(data, seed), args.calls, 2, on_gpu
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
            + (
                [
                    f"{extra['device_ms']:.3f}",
                    f"{extra['kernels']:.0f}",
                    ", ".join(f"{k} ×{v:g}" for k, v in extra["sync_ops"].items()),
                ]
                if on_gpu
                else []
            )
        )
    headers = ["layer", "graphs / breaks", "break sites", "eager CPU ms", "top eager ops, ms"]
    if args.compile:
        headers += ["compiled CPU ms", "largest compiled op/graph ms"]
    if on_gpu:
        headers += ["CUDA busy ms", "kernels / call", "host-device waits and copies / call"]
    print(harness.table(rows, headers))
    for name, entry in result["layers"].items():
        sites = entry.get("sync_sites")
        if sites:
            top = "; ".join(f"{site} ×{count:g}" for site, count in list(sites.items())[:6])
            print(f"{name}: {top}")
    harness.write_json(
        args.out, {"environment": harness.environment(), "settings": vars(args), **result}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
