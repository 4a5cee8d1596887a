"""Every public keras_specmix layer on every Keras backend, against a copy of the same batch.

Usage:
    python benchmarks/bench_layers.py     # the full table of docs/performance.md
    python benchmarks/bench_layers.py --backends tensorflow --shapes 32x400x128x3 --repeats 10
    python benchmarks/bench_layers.py --backends jax --layers SpecMix,TimeWarp
    python benchmarks/bench_layers.py --backends tensorflow --modes tensorflow=graph --peers

The layers are discovered from the package (every ``SpectrogramAugmentation``
subclass in ``keras_specmix.__all__``), so a new layer gets a row without an
edit here; ``LAYER_ARGS`` holds the benchmark settings of the layers that
need some (per batch shape where they depend on it: the mel bins). A layer
not listed is built with its defaults, ``prob=1.0`` when it takes one, and
``num_classes`` when it mixes labels; one that cannot be built so gets an
error row naming the fix.

Each backend runs in its own process (``KERAS_BACKEND`` is read at import),
and in it, for each batch shape, every layer and a copy of the batch
(``x * 1.0001``; not ``x * 1.0``, which TensorFlow's optimiser removes) are
compiled the backend's way and timed in interleaved rounds after a warm-up:

* TensorFlow: ``tf.function`` (``graph``) and ``tf.function(jit_compile=True)`` (``xla``);
* JAX: ``jax.jit`` (``jit``);
* PyTorch: eager (``eager``) and ``torch.compile`` (``compile``; a layer it
  cannot compile gets an error row).

What is timed is ``layer.augment(data, seed)`` (the explicit-seed call that
``keras_specmix.data`` maps), each call ending with a host read of one output
value (``benchmarks/harness.py``), so GPU timings are synchronised. With
``--calls-per-sync N`` each sample is N calls issued back to back and read
once, divided by N: on a GPU that times the device's work rather than the
host's per-call dispatch and the read. Reported
per layer and mode: median, 10th-90th percentile and minimum ms, the ratio of
the medians to the copy's in the same process and mode, and the effective
bandwidth ``2 × batch bytes / time`` (what a copy moves; the copy's own
figure is the machine's bandwidth). ``floor`` is the least a layer must move
in multiples of a copy's bytes: 1.5 for a mixer and Freq-MixStyle (two
inputs read per output), 1 for the others.

Peak memory of one call, in multiples of the input batch, from XLA's own
buffer assignment of the compiled call (output + temporaries + constants,
the input not counted; a copy is 1.0):

* TensorFlow XLA: the ``*buffer-assignment.txt`` that ``XLA_FLAGS=--xla_dump_to``
  writes for the compiled function (``tf.config.experimental.get_memory_info``
  has no CPU implementation); on a GPU also the allocator's peak;
* JAX: ``jit(...).lower(...).compile().memory_analysis()``;
* PyTorch on CUDA: ``torch.cuda.max_memory_allocated`` over the call (no
  allocator statistics on CPU: not measured there).

Writes ``benchmarks/results/layers.json`` (with the machine's ``uptime``
load) and prints a Markdown table per batch shape.
"""

import argparse
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

NUM_CLASSES = 10
SHAPES = ((32, 400, 128, 3), (256, 100, 256, 1))
BACKENDS = ("tensorflow", "jax", "torch")
MODES = {"tensorflow": ("graph", "xla"), "jax": ("jit",), "torch": ("eager", "compile")}
#: The mode whose ratios the targets apply to, per backend.
COMPILED = {"tensorflow": "xla", "jax": "jit", "torch": "compile"}
#: Benchmark settings (the talk's and the papers'); other layers use their defaults.
#: A callable value is called with the package and the batch shape.
LAYER_ARGS = {
    "MixUp": {"alpha": 0.4},
    "CutMix": {"alpha": 0.4},
    "SpecMix": {"gamma": 0.3},
    "MixingPolicy": {"mixers": lambda ks, shape: [ks.MixUp(alpha=0.4), ks.CutMix(alpha=0.4)]},
    "FrequencyMasking": {"freq_mask_param": 27, "num_freq_masks": 2},
    "TimeMasking": {"time_mask_param": 100, "num_time_masks": 2},
    "TimeWarp": {"time_warp_param": 80},
    "SpecAugment": {"policy": "LD"},
    "FrequencyMixStyle": {"prob": 1.0},
    # On log-mel spectrograms (the batches here): the bank's mel gains, one per bin.
    "DeviceImpulseResponse": {
        "prob": 1.0,
        "domain": "log",
        "frontend": lambda ks, shape: {"n_mels": shape[2]},
    },
    # The DCASE baseline's 0.1 s roll, as a share of the clip.
    "TimeRoll": {"max_shift_ratio": 0.1},
}
#: Layers that read two inputs per output besides the mixers.
TWO_READS = {"FrequencyMixStyle"}
#: Targets (issue 23), ratio to the copy in the backend's compiled mode.
TARGET_MIXER = 1.8
TARGET_OTHER = 2.0
TARGET_MEMORY = 1.5


def shape_tag(shape):
    return "x".join(str(s) for s in shape)


def parse_shape(text):
    try:
        shape = tuple(int(s) for s in text.split("x"))
    except ValueError:
        shape = ()
    if len(shape) not in (3, 4) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"a shape is BATCHxTIMExFREQ[xCHANNELS], e.g. 32x400x128x3. Received: {text!r}"
        )
    return shape


# ----------------------------------------------------------------- layers
def layer_classes():
    """name -> class of every public augmentation layer, in ``keras_specmix.__all__``'s order.

    The public API is ``keras_specmix.__all__``: base classes that
    ``keras_specmix.layers`` also exports (``MixingLayer``) are not layers to time.
    """
    import keras_specmix as ks
    from keras_specmix.layers.base import SpectrogramAugmentation

    found = {}
    for name in ks.__all__:
        value = getattr(ks, name, None)
        if (
            isinstance(value, type)
            and issubclass(value, SpectrogramAugmentation)
            and not inspect.isabstract(value)
        ):
            found[name] = value
    return found


def build_layer(name, seed=0, shape=SHAPES[0]):
    """The layer ``name`` with its benchmark settings (``LAYER_ARGS``) for batches of ``shape``."""
    import keras_specmix as ks

    cls = layer_classes()[name]
    kwargs = {
        k: (v(ks, tuple(shape)) if callable(v) else v) for k, v in LAYER_ARGS.get(name, {}).items()
    }
    parameters = inspect.signature(cls.__init__).parameters
    if name not in LAYER_ARGS and "prob" in parameters:
        kwargs["prob"] = 1.0  # the worst case: every example augmented
    if cls.requires_labels:
        kwargs.setdefault("num_classes", NUM_CLASSES)
    try:
        return cls(seed=seed, **kwargs)
    except TypeError as error:
        raise TypeError(
            f"{name} cannot be built with {kwargs}: add its benchmark settings to "
            f"LAYER_ARGS in benchmarks/bench_layers.py ({error})"
        ) from error


def is_mixer(name):
    return layer_classes()[name].requires_labels


def floor(name):
    """The least bytes a layer moves, in multiples of a copy's."""
    return 1.5 if is_mixer(name) or name in TWO_READS else 1.0


def target(name):
    return TARGET_MIXER if is_mixer(name) else TARGET_OTHER


# ---------------------------------------------------- one backend, in-process
def _inputs(shape):
    """``x`` float32 and one-hot ``y`` on the current Keras backend (its default device)."""
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = keras.ops.convert_to_tensor(rng.standard_normal(shape, dtype=np.float32))
    y = keras.ops.convert_to_tensor(
        np.eye(NUM_CLASSES, dtype=np.float32)[np.arange(shape[0]) % NUM_CLASSES]
    )
    seed = keras.ops.convert_to_tensor(np.array([1, 2], np.int32))
    return x, y, seed


def function_name(tag, key):
    """The compiled function's name (XLA's dumps are found by it)."""
    name, mode = key.split("@")
    return re.sub(r"\W", "_", f"bench_{tag}_{mode}_{name}")


def _compile(backend, mode, fn, name):
    """``fn`` compiled the way ``mode`` says; ``name`` names the compiled function."""
    fn.__name__ = fn.__qualname__ = name
    if backend == "tensorflow":
        import tensorflow as tf

        if mode == "eager":
            return fn
        return tf.function(fn, jit_compile=mode == "xla", autograph=False)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if mode == "compile":
        import torch

        return torch.compile(fn, dynamic=False)
    return fn


def candidates(backend, shape, modes, names):
    """(name@mode -> (compiled fn, args), errors) for the copy and each layer."""
    x, y, seed = _inputs(shape)
    tag = shape_tag(shape)
    out, errors = {}, {}
    layers = {}
    for name in names:
        try:
            layer = build_layer(name, shape=shape)
        except Exception as error:  # noqa: BLE001 - recorded as the layer's row
            errors.update({f"{name}@{m}": f"{type(error).__name__}: {error}" for m in modes})
            continue
        data = {"spectrograms": x, "labels": y} if layer.requires_labels else x
        layers[name] = (layer, data)
    for mode in modes:
        key = f"copy@{mode}"
        fn = _compile(backend, mode, lambda t: t * 1.0001, function_name(tag, key))
        out[key] = (fn, (x,))
        for name, (layer, data) in layers.items():
            key = f"{name}@{mode}"
            fn = _compile(
                backend,
                mode,
                lambda d, s, layer=layer: layer.augment(d, s),
                function_name(tag, key),
            )
            out[key] = (fn, (data, seed))
    return out, errors


def _warm(cands, errors, warmup):
    """Calls each candidate ``warmup`` times; drops (and records) the ones that fail."""
    compile_s = {}
    for key, (fn, args) in list(cands.items()):
        start = time.perf_counter()
        try:
            for _ in range(warmup):
                harness.finish(fn(*args))
        except Exception as error:  # noqa: BLE001 - recorded, the others still run
            errors[key] = f"{type(error).__name__}: {str(error)[:400]}"
            del cands[key]
        compile_s[key] = time.perf_counter() - start
    return compile_s


def _jax_memory(fn, args):
    stats = fn.lower(*args).compile().memory_analysis()
    return stats.output_size_in_bytes + stats.temp_size_in_bytes - stats.alias_size_in_bytes


def _torch_cuda_memory(fn, args):
    import torch

    x = args[0]["spectrograms"] if isinstance(args[0], dict) else args[0]
    if not x.is_cuda:
        return None
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    out = fn(*args)
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - base
    del out
    return peak


def xla_dump_memory(dump_dir, compiled_name):
    """Bytes XLA assigns to one compiled call besides its parameters, from a dump.

    Sums the allocations of the buffer assignment (output, temporaries,
    constants) that are not parameters; None when no dump matches.
    """
    if not dump_dir or not os.path.isdir(dump_dir):
        return None
    pattern = re.compile(rf"\.a_inference_{re.escape(compiled_name)}_\d+_.*buffer-assignment\.txt$")
    matches = sorted(f for f in os.listdir(dump_dir) if pattern.search(f))
    if not matches:
        return None
    total = 0
    with open(os.path.join(dump_dir, matches[-1])) as f:
        for line in f:
            found = re.match(r"allocation \d+: size (\d+), (.*)", line)
            if found and not found.group(2).startswith("parameter"):
                total += int(found.group(1))
    return total


def _tf_gpu_peak(fn, args):
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if not gpus:
        return None
    tf.config.experimental.reset_memory_stats(gpus[0].name)
    base = tf.config.experimental.get_memory_info(gpus[0].name)["current"]
    harness.finish(fn(*args))
    return tf.config.experimental.get_memory_info(gpus[0].name)["peak"] - base


def memory(backend, key, fn, args, input_bytes, dump_dir, compiled_name):
    """{"peak_over_input", "method"} of one compiled call, or {} where not measured."""
    name = key.split("@")[0]
    mode = key.split("@")[1]
    out = {}
    try:
        if backend == "jax":
            out = {"peak_over_input": _jax_memory(fn, args) / input_bytes, "method": "jax"}
        elif backend == "tensorflow" and mode == "xla":
            found = xla_dump_memory(dump_dir, compiled_name)
            if found is not None:
                out = {"peak_over_input": found / input_bytes, "method": "xla buffer assignment"}
            gpu = _tf_gpu_peak(fn, args)
            if gpu is not None:
                out["allocator_peak_over_input"] = gpu / input_bytes
        elif backend == "torch":
            found = _torch_cuda_memory(fn, args)
            if found is not None:
                out = {"peak_over_input": found / input_bytes, "method": "torch.cuda"}
    except Exception as error:  # noqa: BLE001 - a missing statistic is not fatal
        out = {"memory_error": f"{type(error).__name__}: {str(error)[:300]} ({name})"}
    return out


def run_backend(
    backend, shapes, modes, names, repeats, warmup, dump_dir=None, peers=False, calls_per_sync=1
):
    """Every layer of ``names`` on the current backend: the child's work."""
    import keras

    assert keras.backend.backend() == backend, (keras.backend.backend(), backend)
    result = {"environment": _backend_environment(backend), "shapes": {}}
    for shape in shapes:
        tag = shape_tag(shape)
        input_bytes = 4 * int(__import__("numpy").prod(shape))
        print(f"  {backend} {tag}: compiling ...", file=sys.stderr, flush=True)
        cands, errors = candidates(backend, shape, modes, names)
        if peers and backend == "tensorflow":
            cands.update(peer_candidates(shape))
        compile_s = _warm(cands, errors, warmup)
        fns = {key: (lambda f=fn, a=args: f(*a)) for key, (fn, args) in cands.items()}
        floors = {key: fn for key, fn in fns.items() if key.startswith("copy@")}
        others = {key: fn for key, fn in fns.items() if key not in floors}
        floor_of = {key: _floor_key(key, floors) for key in others}
        print(f"  {backend} {tag}: {repeats} rounds ", end="", file=sys.stderr, flush=True)
        timings = harness.measure_paired(
            others, floors, floor_of, repeats=repeats, warmup=1, calls=calls_per_sync
        )
        print("done", file=sys.stderr, flush=True)
        rows = {}
        for key, (fn, args) in cands.items():
            rows[key] = {
                **timings[key],
                "compile_s": round(compile_s.get(key, 0.0), 2),
                **memory(backend, key, fn, args, input_bytes, dump_dir, function_name(tag, key)),
            }
        for key, error in errors.items():
            rows[key] = {"error": error}
        _ratios(rows, input_bytes)
        result["shapes"][tag] = {
            "input_bytes": input_bytes,
            "calls_per_sync": calls_per_sync,
            "results": rows,
        }
    return result


def _floor_key(key, floors):
    """The copy a candidate is paired with: the same mode's (a peer's: any)."""
    mode = key.split("@")[1]
    return f"copy@{mode}" if f"copy@{mode}" in floors else next(iter(floors))


def _ratios(rows, input_bytes):
    """Adds the ratios to the copy and ``gb_s`` to each row.

    ``ratio``: the median of the per-round ratios to the copy timed just
    before (``harness.measure_paired``); ``ratio_of_medians`` and
    ``ratio_of_mins``: over the whole run.
    """
    for key, row in rows.items():
        mode = key.split("@")[1]
        copy = rows.get(f"copy@{mode}")
        if "median_ms" not in row:
            continue
        row["gb_s"] = 2 * input_bytes / (row["median_ms"] * 1e-3) / 1e9
        if key.startswith("copy@"):
            row["ratio"] = 1.0
        elif copy and "median_ms" in copy:
            row["ratio"] = row.get("paired_ratio", row["median_ms"] / copy["median_ms"])
            row["ratio_of_medians"] = row["median_ms"] / copy["median_ms"]
            row["ratio_of_mins"] = row["min_ms"] / copy["min_ms"]


def _backend_environment(backend):
    env = harness.environment()
    env["backend"] = backend
    if backend == "jax":
        import jax

        env["jax"] = jax.__version__
        env["device"] = str(jax.devices()[0])
    elif backend == "torch":
        import torch
        from keras.src.backend.torch.core import get_device

        env["torch"] = torch.__version__
        env["device"] = str(get_device())
        env["torch_threads"] = torch.get_num_threads()
    return env


def peer_candidates(shape):
    """The peers on the same batch, in ``tf.function`` (TensorFlow only)."""
    import peers
    import tensorflow as tf

    x, y, _ = _inputs(shape)
    out = {
        "keras.MixUp@graph": (peers.keras_mixup(), (x, y)),
        "keras.CutMix@graph": (peers.keras_cutmix(), (x, y)),
    }
    tfio_fn = peers.tfio_masks()
    if tfio_fn is not None and len(shape) == 4:
        out["tfio.masks(1 channel)@graph"] = (tfio_fn, (x,))
    x_np, y_np = x.numpy(), y.numpy()
    out["author_numpy.SpecMix@numpy"] = (lambda a, b: peers.numpy_specmix(a, b)[0], (x_np, y_np))
    del tf
    return out


# ------------------------------------- TensorFlow helpers for the other scripts
def make_batch(batch, time, freq, channels=None):
    """A TensorFlow float32 batch and its one-hot labels (``bench_scaling``, ``device_check``)."""
    import tensorflow as tf

    shape = [batch, time, freq] + ([channels] if channels else [])
    x = tf.random.stateless_normal(shape, seed=[0, 1])
    y = tf.one_hot(tf.range(batch) % NUM_CLASSES, NUM_CLASSES)
    return x, y


def tf_candidates(x, y, modes, names=None):
    """``copy@mode`` and ``name@mode`` -> zero-argument callables on TensorFlow tensors.

    The layers are called as a model calls them, ``layer(data, training=True)``
    (a fresh seed from the layer's state on every call); ``mode`` is
    ``"eager"``, ``"graph"`` (``tf.function``) or ``"xla"``.
    """
    import tensorflow as tf

    out = {}
    for mode in modes:
        copy = lambda t: t * 1.0001  # noqa: E731 - not `* 1.0`: grappler drops that
        fn = copy if mode == "eager" else tf.function(copy, jit_compile=mode == "xla")
        out[f"copy@{mode}"] = lambda fn=fn: fn(x)
    for name in names or layer_classes():
        layer = build_layer(name, shape=x.shape)
        data = {"spectrograms": x, "labels": y} if layer.requires_labels else x
        call = lambda d, layer=layer: layer(d, training=True)  # noqa: E731
        for mode in modes:
            fn = call if mode == "eager" else tf.function(call, jit_compile=mode == "xla")
            out[f"{name}@{mode}"] = lambda fn=fn, data=data: fn(data)
    return out


# ------------------------------------------------------------ the parent
def run_child(backend, args, names, out_json, dump_dir):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    if dump_dir:
        flags = f"--xla_dump_to={dump_dir} --xla_dump_hlo_module_re=.*bench_.*"
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flags).strip()
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        out_json,
        "--backends",
        backend,
        "--shapes",
        ",".join(shape_tag(s) for s in args.shapes),
        "--modes",
        ",".join(f"{backend}={m}" for m in args.modes[backend]),
        "--layers",
        ",".join(names),
        "--repeats",
        str(args.repeats),
        "--warmup",
        str(args.warmup),
    ]
    if dump_dir:
        cmd += ["--dump-dir", dump_dir]
    if args.peers:
        cmd.append("--peers")
    if getattr(args, "torch_threads", None):
        cmd += ["--torch-threads", str(args.torch_threads)]
    if getattr(args, "calls_per_sync", 1) != 1:
        cmd += ["--calls-per-sync", str(args.calls_per_sync)]
    try:
        done = subprocess.run(
            cmd, env=env, text=True, stdout=subprocess.PIPE, timeout=args.timeout_s
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout_s:.0f} s (--timeout-s)"}
    if done.returncode != 0 or not os.path.exists(out_json):
        return {"error": f"exit status {done.returncode}: {done.stdout[-2000:]}"}
    with open(out_json) as f:
        return json.load(f)


def run_all(args, names):
    """backend -> the child's result (or {"error": ...}); one process per backend."""
    results = {}
    for backend in args.backends:
        print(f"[{backend}] {len(names)} layers, modes {args.modes[backend]}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            dump = os.path.join(tmp, "xla") if backend == "tensorflow" and args.memory else None
            results[backend] = run_child(backend, args, names, os.path.join(tmp, "out.json"), dump)
        if "error" in results[backend]:
            print(f"  {backend} FAILED: {results[backend]['error'][-500:]}", flush=True)
    return results


def _cell(row, key="ratio"):
    if row is None:
        return ""
    if "error" in row:
        return "error"
    value = row.get(key)
    return "" if value is None else f"{value:.2f}×"


def tables(results, shapes, names, modes):
    """Markdown tables (one per shape) and the list of target checks."""
    lines, checks = [], []
    columns = [(b, m) for b in results if "shapes" in results[b] for m in modes[b]]
    memory_columns = [b for b in results if "shapes" in results[b] and b in ("tensorflow", "jax")]
    for shape in shapes:
        tag = shape_tag(shape)
        headers = ["layer", "floor", "target"]
        headers += [f"{b} {m}" for b, m in columns]
        headers += [
            f"peak mem / input ({'TF XLA' if b == 'tensorflow' else 'JAX'})" for b in memory_columns
        ]
        rows = []
        gb_headers = ["layer"] + [f"{b} {m} GB/s" for b, m in columns]
        gb_rows = []
        for name in ["copy"] + names:
            row = [name, "1.0" if name == "copy" else f"{floor(name):.1f}"]
            row.append("" if name == "copy" else f"≤ {target(name):.1f}×")
            gb_row = [name]
            for backend, mode in columns:
                r = results[backend]["shapes"][tag]["results"].get(f"{name}@{mode}")
                cell = _cell(r)
                if name != "copy" and mode == COMPILED[backend] and r and "ratio" in r:
                    ok = r["ratio"] <= target(name)
                    label = f"{backend} {mode} {tag} {name} ≤ {target(name)}× copy"
                    checks.append((label, ok, r["ratio"]))
                    cell += "" if ok else " ✗"
                row.append(cell)
                gb_row.append(f"{r['gb_s']:.3g}" if r and "gb_s" in r else _cell(r))
            for backend in memory_columns:
                mode = COMPILED[backend]
                r = results[backend]["shapes"][tag]["results"].get(f"{name}@{mode}", {})
                peak = r.get("peak_over_input")
                cell = "" if peak is None else f"{peak:.2f}×"
                if peak is not None and name != "copy":
                    ok = peak <= TARGET_MEMORY
                    label = f"{backend} {mode} {tag} {name} peak ≤ {TARGET_MEMORY}× input"
                    checks.append((label, ok, peak))
                    cell += "" if ok else " ✗"
                row.append(cell)
            rows.append(row)
            gb_rows.append(gb_row)
        lines.append(
            f"\nBatch {tag} float32, time / a copy's (same backend, mode and process; "
            "median of per-round ratios):"
        )
        lines.append(harness.table(rows, headers))
        lines.append(f"\nBatch {tag}: effective bandwidth, 2 × batch bytes / median time:")
        lines.append(harness.table(gb_rows, gb_headers))
    return "\n".join(lines), checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument(
        "--shapes",
        default=",".join(shape_tag(s) for s in SHAPES),
        help="comma-separated BATCHxTIMExFREQ[xCHANNELS]",
    )
    parser.add_argument(
        "--modes",
        default=None,
        help="backend=mode pairs, e.g. tensorflow=xla,torch=eager (default: every mode)",
    )
    parser.add_argument("--layers", default=None, help="comma-separated subset (default: all)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--calls-per-sync",
        type=int,
        default=1,
        help="calls issued back to back per timed sample, synchronised once (default 1: "
        "each call's latency; on a GPU, 10 or more times the device, not the dispatch)",
    )
    parser.add_argument("--no-memory", dest="memory", action="store_false")
    parser.add_argument("--peers", action="store_true", help="also time the peers (TensorFlow)")
    parser.add_argument("--timeout-s", type=float, default=3600.0, help="per backend")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="torch.set_num_threads in the PyTorch process (default: PyTorch's own). On a "
        "machine shared with other jobs, 1 avoids OpenMP threads waiting on each other",
    )
    parser.add_argument("--out", default=os.path.join(HERE, "results", "layers.json"))
    parser.add_argument("--child", metavar="JSON", help=argparse.SUPPRESS)
    parser.add_argument("--dump-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.calls_per_sync < 1:
        parser.error(f"--calls-per-sync must be >= 1. Received: {args.calls_per_sync}")
    args.backends = [b for b in args.backends.split(",") if b]
    if set(args.backends) - set(BACKENDS):
        parser.error(f"--backends takes {','.join(BACKENDS)}. Received: {args.backends}")
    args.shapes = [parse_shape(s) for s in args.shapes.split(",") if s]
    modes = {b: list(MODES[b]) for b in args.backends}
    if args.modes:
        modes = {b: [] for b in args.backends}
        for pair in args.modes.split(","):
            backend, _, mode = pair.partition("=")
            if backend not in modes or mode not in MODES.get(backend, ()):
                parser.error(
                    "--modes takes backend=mode pairs among "
                    + ", ".join(f"{b}={m}" for b in BACKENDS for m in MODES[b])
                    + f". Received: {pair!r}"
                )
            modes[backend].append(mode)
        args.backends = [b for b in args.backends if modes[b]]
    args.modes = modes
    known = list(layer_classes())
    names = args.layers.split(",") if args.layers else known
    if set(names) - set(known):
        parser.error(f"--layers must be among {','.join(known)}. Received: {args.layers}")

    if args.child:  # one backend, in this process
        backend = args.backends[0]
        if backend == "torch" and args.torch_threads:
            import torch

            torch.set_num_threads(args.torch_threads)
        result = run_backend(
            backend,
            args.shapes,
            args.modes[backend],
            names,
            args.repeats,
            args.warmup,
            args.dump_dir,
            args.peers,
            args.calls_per_sync,
        )
        harness.write_json(args.child, result)
        return 0

    started = time.time()
    results = run_all(args, names)
    text, checks = tables(results, args.shapes, names, args.modes)
    print(text)
    print()
    for label, ok, value in checks:
        print(f"  [{'PASS' if ok else 'MISS'}] {label}: {value:.2f}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    harness.write_json(
        args.out,
        {
            "environment": harness.environment(),
            "settings": {
                "backends": args.backends,
                "modes": args.modes,
                "shapes": [list(s) for s in args.shapes],
                "layers": names,
                "repeats": args.repeats,
                "warmup": args.warmup,
                "torch_threads": args.torch_threads,
            },
            "floors": {n: floor(n) for n in names},
            "targets": {n: target(n) for n in names},
            "backends": results,
            "checks": [{"check": c, "pass": bool(ok), "value": v} for c, ok, v in checks],
            "seconds": round(time.time() - started, 1),
            "uptime_after": harness.uptime(),
        },
    )
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
