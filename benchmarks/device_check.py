"""The first thing to run on a lent accelerator: devices, layers on every backend, training.

Usage:
    python benchmarks/device_check.py                  # GPU: under 8 minutes, one JSON
    python benchmarks/device_check.py --tiny           # CPU, a minute or two: keeps it alive in CI

Sections, each recorded in ONE JSON file (``--out``), in this order:

1. ``devices``: what TensorFlow sees (and ``nvidia-smi`` where present).
2. ``layers``: every public layer against a copy of the same batch on
   TensorFlow (XLA), JAX (``jax.jit``) and PyTorch (eager), each backend in
   its own process (``bench_layers.py``'s children: per-round ratios to the
   copy, GB/s, and peak memory of one call: XLA's buffer assignment on
   TensorFlow plus the GPU allocator's peak, JAX's ``memory_analysis``,
   ``torch.cuda.max_memory_allocated``), on the talk's and the DCASE batch.
   Each timed sample is 10 calls issued back to back (2 with ``--tiny``),
   ended by a host read of the output, which synchronises the device.
3. ``backends``: JAX and PyTorch on the device (issue 20): every public
   layer called twice as a model calls it (``training=True``) and twice with
   one explicit seed; recorded per layer: the device of the output against
   the input's, whether the two calls drew differently, whether the seeded
   calls agree, shape, dtype and finiteness. This answers whether the
   ``torch.Generator`` and device code work on CUDA.
4. ``training``: ResNet-101 training steps/s at the paper's shape (batch 32,
   400x128x3) for ``none`` and every augmentation condition of the runner,
   mixed precision and XLA on first, then the other settings while the
   budget lasts; each condition's ``augmentation_share`` is the part of its
   step that the augmentation costs, ``1 - steps/s / steps/s of none`` in
   the same setting; on a GPU also the allocator's peak memory of the run.
   The steps of a warm-up epoch (tracing, compilation) are not timed.
5. ``paper``: the runner's paper configuration (``--paper``) on synthetic
   scenes at the paper's shape for a fixed number of steps.

A time budget (``--budget-s``, default 420 s) keeps the whole check under 8
minutes on one GPU: what is left when it runs out is recorded as
``"skipped"`` with the reason (never silently dropped), most informative
first. A backend that is not installed or fails is recorded with its error
and the other sections still run; the JSON is always written, and the exit
status is 1 when a section, backend or configuration failed.

``--sections`` runs some of the five (the others are recorded as skipped)
and ``--backends`` some of the three backends; the budget's shares are then
spread over the sections chosen. On a machine whose TensorFlow has no GPU
build (a CPU wheel beside CUDA builds of JAX and PyTorch),
``--sections devices,layers,backends --backends jax,torch`` times the layers
on the device without training on the CPU.
"""

import argparse
import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_layers  # noqa: E402
import harness  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_specmix.experiments import conditions as conditions_lib  # noqa: E402
from keras_specmix.experiments import models  # noqa: E402
from keras_specmix.experiments import optim  # noqa: E402
from keras_specmix.experiments import report  # noqa: E402
from keras_specmix.experiments import runner  # noqa: E402

_SETTINGS = ((True, True), (False, False), (True, False), (False, True))
_ALL = tuple(
    (c, mp, xla) for mp, xla in _SETTINGS for c in conditions_lib.CONDITIONS
)  # mixed precision and XLA first: the setting a GPU user runs
LAYER_BACKENDS = ("tensorflow", "jax", "torch")
LAYER_MODES = {"tensorflow": ["xla"], "jax": ["jit"], "torch": ["eager"]}
SECTIONS = ("devices", "layers", "backends", "training", "paper")
# Each section's share of --budget-s, the most informative first; the shares of the
# sections run are scaled to the whole budget.
_SHARES = {"devices": 0.0, "layers": 0.40, "backends": 0.15, "training": 0.30, "paper": 0.15}
FULL = {
    "layer_shapes": [(32, 400, 128, 3), (256, 100, 256, 1)],
    "layer_repeats": 15,
    "layer_names": None,  # every public layer
    "layer_timeout_s": 100,
    # Each timed sample: 10 calls issued back to back, synchronised once, so the device's
    # time is measured rather than the host's dispatch and read of one synchronised call.
    "layer_calls_per_sync": 10,
    "check_shape": (8, 200, 64, 3),  # long enough for SpecAugment LD's W = 80
    "check_layers": None,  # every public layer
    "matrix": _ALL,
    "model": "resnet101",
    "train_shape": (400, 128, 3),
    "batch": 32,
    "warmup_steps": 5,
    "timed_steps": 20,
    "paper_steps": 50,
    "paper_args": ["--num-locations", "3", "--clips-per-location", "2"],
}
# Tiny: every code path (every backend's children, graph, XLA, mixed precision, a mixing
# and a masking condition, the runner's --paper preset) at sizes a CPU runs in seconds.
TINY = {
    "layer_shapes": [(4, 40, 16, 1)],
    "layer_repeats": 1,
    "layer_names": ["SpecMix", "SpecAugment", "FrequencyMixStyle", "DeviceImpulseResponse"],
    "layer_timeout_s": 300,
    "layer_calls_per_sync": 2,
    "check_shape": (4, 200, 16, 2),
    "check_layers": ["SpecMix", "SpecAugment", "FrequencyMixStyle", "DeviceImpulseResponse"],
    "matrix": (("none", False, False), ("specmix", True, True), ("specaugment", False, False)),
    "model": "small",
    "train_shape": (40, 16, 3),
    "batch": 4,
    "warmup_steps": 1,
    "timed_steps": 2,
    "paper_steps": 2,
    "paper_args": [
        "--num-locations",
        "3",
        "--clips-per-location",
        "1",
        "--model",
        "small",
        "--width",
        "16",
        "--crop-frames",
        "100",
        "--eval-batch-size",
        "8",
    ],
}
NUM_CLASSES = 10


def devices():
    """What TensorFlow sees, and nvidia-smi's summary where it exists."""
    out = {
        "physical": [d.name for d in tf.config.list_physical_devices()],
        "gpus": [
            tf.config.experimental.get_device_details(g)
            for g in tf.config.list_physical_devices("GPU")
        ],
        "environment": report.environment(),
    }
    try:
        out["nvidia_smi"] = subprocess.run(
            [
                "nvidia-smi",
                "--query-gpu=name,memory.total,driver_version,clocks.max.sm",
                "--format=csv",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        out["nvidia_smi"] = None
    print(json.dumps({k: out[k] for k in ("physical", "gpus", "nvidia_smi")}, indent=1))
    return out


def _missing(backend):
    """Why ``backend`` cannot run here (its package is not installed), or None."""
    package = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    if importlib.util.find_spec(package) is None:
        return f"{package} is not installed: recorded, not a failure"
    return None


def layers(cfg, deadline, chosen=LAYER_BACKENDS):
    """Every layer against a copy on each backend, one child process per (shape, backend).

    The talk's batch on every backend first, then the DCASE batch while the
    budget lasts; a backend that is missing or fails is recorded, the
    others go on. ``chosen`` (``--backends``) says which are timed.
    """
    names = cfg["layer_names"] or list(bench_layers.layer_classes())
    results = {b: {"shapes": {}} for b in chosen}
    for shape in cfg["layer_shapes"]:
        tag = bench_layers.shape_tag(shape)
        for backend in chosen:
            left = deadline - time.perf_counter()
            if _missing(backend):
                results[backend]["missing"] = _missing(backend)
                continue
            if left <= 10:
                results[backend]["shapes"][tag] = {"skipped": "time budget (--budget-s) spent"}
                continue
            args = types.SimpleNamespace(
                shapes=[shape],
                modes=LAYER_MODES,
                repeats=cfg["layer_repeats"],
                warmup=2,
                peers=False,
                timeout_s=min(cfg["layer_timeout_s"], left),
                calls_per_sync=cfg["layer_calls_per_sync"],
            )
            with tempfile.TemporaryDirectory() as tmp:
                dump = os.path.join(tmp, "xla") if backend == "tensorflow" else None
                out = bench_layers.run_child(
                    backend, args, names, os.path.join(tmp, "out.json"), dump
                )
            if "error" in out:
                results[backend]["shapes"][tag] = {"error": out["error"][-1500:]}
                print(f"  {backend} {tag}: FAILED {out['error'][-300:]}", flush=True)
                continue
            results[backend].setdefault("environment", out["environment"])
            results[backend]["shapes"][tag] = out["shapes"][tag]
    done = {}
    for backend, r in results.items():
        measured = {t: v for t, v in r["shapes"].items() if "results" in v}
        if measured:
            done[backend] = {"environment": r.get("environment"), "shapes": measured}
    tags = {t for r in done.values() for t in r["shapes"]}
    shapes = [s for s in cfg["layer_shapes"] if bench_layers.shape_tag(s) in tags]
    text, checks = bench_layers.tables(done, shapes, names, LAYER_MODES)
    print(text)
    return {
        "names": names,
        "modes": LAYER_MODES,
        "repeats": cfg["layer_repeats"],
        "backends": results,
        "checks": [{"check": c, "pass": bool(ok), "value": v} for c, ok, v in checks],
    }


# Runs in a child process per backend (KERAS_BACKEND set): prints one JSON line.
_BACKEND_CHECK = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import keras
import bench_layers

shape = tuple(json.loads(sys.argv[2]))
names = json.loads(sys.argv[3]) or list(bench_layers.layer_classes())
backend = keras.backend.backend()
rng = np.random.default_rng(0)
x = keras.ops.convert_to_tensor(rng.standard_normal(shape).astype("float32"))
y = keras.ops.convert_to_tensor(np.eye(10, dtype="float32")[np.arange(shape[0]) % 10])

def device_of(t):
    if backend == "torch":
        return str(t.device)
    if backend == "jax":
        return ",".join(sorted(str(d) for d in t.devices()))
    return getattr(t, "device", "")

def host(t):
    return np.asarray(keras.ops.convert_to_numpy(t))

out = {"backend": backend, "input_device": device_of(x), "layers": {}}
if backend == "torch":
    import torch
    from keras.src.backend.torch.core import get_device
    out["cuda_available"] = torch.cuda.is_available()
    out["keras_device"] = str(get_device())
if backend == "jax":
    import jax
    out["jax_devices"] = [str(d) for d in jax.devices()]
for name in names:
    row = {}
    try:
        layer = bench_layers.build_layer(name, seed=0, shape=shape)
        data = {"spectrograms": x, "labels": y} if layer.requires_labels else x
        pick = (lambda o: o["spectrograms"]) if layer.requires_labels else (lambda o: o)
        first = pick(layer(data, training=True))
        second = pick(layer(data, training=True))
        seed = keras.ops.convert_to_tensor(np.array([3, 4], "int32"))
        seeded = [pick(layer.augment(data, seed)) for _ in range(2)]
        row = {
            "device": device_of(first),
            "on_input_device": device_of(first) == out["input_device"],
            "shape_kept": tuple(first.shape) == shape,
            "dtype_kept": str(first.dtype) == str(x.dtype),
            "calls_differ": bool(np.any(host(first) != host(second))),
            "seeded_equal": bool(np.array_equal(host(seeded[0]), host(seeded[1]))),
            "changed_input": bool(np.any(host(first) != host(x))),
            "finite": bool(np.all(np.isfinite(host(first)))),
        }
        if layer.requires_labels:
            labels = layer(data, training=True)["labels"]
            row["labels_device"] = device_of(labels)
        checked = ("on_input_device", "shape_kept", "dtype_kept", "calls_differ",
                   "seeded_equal", "changed_input", "finite")
        row["ok"] = all(row[k] for k in checked)
    except Exception as error:  # recorded: the other layers still run
        row = {"ok": False, "error": f"{type(error).__name__}: {str(error)[:500]}"}
    out["layers"][name] = row
print(json.dumps(out))
"""


def backends(cfg, deadline, chosen=("jax", "torch")):
    """JAX and PyTorch on the device: every layer called, draws, devices.

    ``chosen`` (``--backends``) limits the check to some of the two.
    """
    out = {}
    for backend in (b for b in ("jax", "torch") if b in chosen):
        left = deadline - time.perf_counter()
        if _missing(backend):
            out[backend] = {"missing": _missing(backend)}
            print(f"  {backend}: {out[backend]['missing']}")
            continue
        if left <= 5:
            out[backend] = {"skipped": "time budget (--budget-s) spent"}
            continue
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        cmd = [
            sys.executable,
            "-c",
            _BACKEND_CHECK,
            HERE,
            json.dumps(list(cfg["check_shape"])),
            json.dumps(cfg["check_layers"]),
        ]
        try:
            done = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=min(left, 240)
            )
        except subprocess.TimeoutExpired:
            out[backend] = {"error": f"timed out after {min(left, 240):.0f} s"}
            continue
        if done.returncode != 0:
            out[backend] = {"error": done.stderr[-1500:] or f"exit status {done.returncode}"}
        else:
            out[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        result = out[backend]
        if "layers" in result:
            bad = [n for n, r in result["layers"].items() if not r.get("ok")]
            print(
                f"  {backend}: {len(result['layers'])} layers on {result['input_device']}"
                + (f"; FAILED: {', '.join(bad)}" if bad else ": all on the device, draws differ")
            )
        else:
            print(f"  {backend}: {result.get('error', result.get('skipped'))[-300:]}")
    return out


class _EpochClock(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):  # Keras has read the logs: the GPU is done
        self.seconds.append(time.perf_counter() - self._start)


def train_speed(condition, mixed_precision, xla, cfg):
    """Training steps/s of one configuration (warm-up epoch untimed)."""
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed_precision else "float32")
    try:
        keras.utils.set_random_seed(0)
        classifier = models.build_model(
            cfg["model"],
            cfg["train_shape"],
            NUM_CLASSES,
            width=16 if cfg["model"] == "small" else None,
        )
        params = conditions_lib.AugmentationParams(
            freq_mask_param=cfg["train_shape"][1] // 5, time_mask_param=cfg["train_shape"][0] // 5
        )
        model = conditions_lib.wrap_model(
            classifier, conditions_lib.make_augmentation(condition, params, 0)
        )
        model.compile(
            optimizer=optim.make_optimizer(1e-3, 1e-3, "l2"),
            loss=keras.losses.CategoricalCrossentropy(),
            jit_compile=xla,
        )
        x, y = bench_layers.make_batch(cfg["batch"], *cfg["train_shape"])
        data = tf.data.Dataset.from_tensors((x, y)).repeat().prefetch(2)
        clock = _EpochClock()
        gpus = tf.config.list_logical_devices("GPU")
        if gpus:
            tf.config.experimental.reset_memory_stats(gpus[0].name)
        start = time.perf_counter()
        model.fit(
            data,
            epochs=2,
            steps_per_epoch=cfg["warmup_steps"],
            verbose=0,
            shuffle=False,
            callbacks=[clock],
        )  # epoch 1: trace/compile; epoch 2: warm
        warm = time.perf_counter() - start
        model.fit(
            data,
            epochs=1,
            steps_per_epoch=cfg["timed_steps"],
            verbose=0,
            shuffle=False,
            callbacks=[clock],
        )
        out = {
            "steps_per_second": cfg["timed_steps"] / clock.seconds[-1],
            "timed_steps": cfg["timed_steps"],
            "warmup_s": warm,
        }
        if gpus:
            out["peak_memory_gib"] = (
                tf.config.experimental.get_memory_info(gpus[0].name)["peak"] / 2**30
            )
        return out
    finally:
        keras.mixed_precision.set_global_policy("float32")


def training(cfg, deadline):
    """Each condition x mixed precision x XLA of ``cfg["matrix"]``, in its order
    (the most informative first)."""
    rows = []
    for condition, mp, xla in cfg["matrix"]:
        row = {"condition": condition, "mixed_precision": mp, "xla": xla}
        if time.perf_counter() > deadline:
            row["skipped"] = "time budget (--budget-s) spent"
        else:
            try:
                row.update(train_speed(condition, mp, xla, cfg))
            except Exception as error:  # recorded, and the check goes on  # noqa: BLE001
                row["error"] = f"{type(error).__name__}: {str(error)[:500]}"
        rows.append(row)
        speed = row.get("steps_per_second")
        print(
            f"  {condition:13s} mixed_precision={mp!s:5s} xla={xla!s:5s} "
            + (f"{speed:8.2f} steps/s" if speed else row.get("skipped", row.get("error"))),
            flush=True,
        )
    for row in rows:  # the share of a step the augmentation costs, beside `none`
        none = [
            r
            for r in rows
            if r["condition"] == "none"
            and (r["mixed_precision"], r["xla"]) == (row["mixed_precision"], row["xla"])
            and "steps_per_second" in r
        ]
        if row["condition"] != "none" and none and "steps_per_second" in row:
            row["augmentation_share"] = 1.0 - row["steps_per_second"] / none[0]["steps_per_second"]
    shares = [
        f"{r['condition']} {r['augmentation_share']:+.1%}"
        for r in rows
        if "augmentation_share" in r and r["mixed_precision"] and r["xla"]
    ]
    if shares:
        print("  share of a step (mixed precision, XLA): " + ", ".join(shares))
    return rows


def paper(cfg, deadline):
    """The runner's --paper configuration on synthetic scenes, a fixed number of steps."""
    if time.perf_counter() > deadline:
        return {"skipped": "time budget (--budget-s) spent"}
    with tempfile.TemporaryDirectory() as out:
        argv = [
            "--paper",
            "--augmentation",
            "specmix",
            "--seeds",
            "0",
            "--epochs",
            "1",
            "--steps-per-epoch",
            str(cfg["paper_steps"]),
            "--quiet",
            "--no-cache",
            "--output-dir",
            out,
            *cfg["paper_args"],
        ]
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            runner.main(argv)
        with open(os.path.join(out, f"synthetic_{cfg['model']}.json"), encoding="utf-8") as f:
            run = json.load(f)["runs"][0]
    keep = ("accuracy", "steps_per_epoch", "train_steps_per_second", "wall_time_s", "settings")
    print(
        f"  paper configuration: {run['train_steps_per_second']:.2f} steps/s, "
        f"{time.perf_counter() - start:.0f} s in all"
    )
    return {"argv": argv, **{k: run[k] for k in keep}}


def _choices(allowed, flag):
    """An argparse type: a comma-separated subset of ``allowed``, kept in its order."""

    def parse(text):
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"{flag} takes a comma-separated subset of {','.join(allowed)}. Received: {text!r}"
            )
        return tuple(n for n in allowed if n in names)

    return parse


def _deadlines(start, budget, sections):
    """When each section of ``sections`` must stop starting new work.

    The shares of ``_SHARES`` of the chosen sections add up to the whole
    budget: all five give layers 40 %, backends to 55 %, training to 85 %
    and the paper run the rest.
    """
    total = sum(_SHARES[k] for k in sections) or 1.0
    out, used = {}, 0.0
    for key in SECTIONS:
        if key in sections:
            used += _SHARES[key]
        out[key] = start + budget * used / total
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tiny", action="store_true", help="tiny shapes and the small model: for CI on a CPU"
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        help="stop starting new sections and configurations after this many "
        "seconds (default 420, under 8 minutes in all; --tiny: no limit)",
    )
    parser.add_argument(
        "--out",
        default=os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "results", "device_check.json"
        ),
    )
    parser.add_argument(
        "--sections",
        type=_choices(SECTIONS, "--sections"),
        default=SECTIONS,
        help="comma-separated sections to run, in their fixed order (default: all of "
        f"{','.join(SECTIONS)}); the others are recorded as skipped. On a machine whose "
        "TensorFlow has no GPU build, 'devices,layers,backends' times JAX and PyTorch "
        "on the device without training on the CPU",
    )
    parser.add_argument(
        "--backends",
        type=_choices(LAYER_BACKENDS, "--backends"),
        default=LAYER_BACKENDS,
        help="comma-separated backends the layers and backends sections time "
        f"(default: all of {','.join(LAYER_BACKENDS)})",
    )
    args = parser.parse_args(argv)
    if args.budget_s is not None and args.budget_s <= 0:
        parser.error(f"--budget-s must be > 0. Received: {args.budget_s}")
    cfg = TINY if args.tiny else FULL
    start = time.perf_counter()
    budget = args.budget_s or (float("inf") if args.tiny else 420.0)
    deadline = _deadlines(start, budget, args.sections)

    result = {
        "mode": "tiny" if args.tiny else "full",
        "settings": json.loads(json.dumps(cfg)),
        "sections": list(args.sections),
        "backends_chosen": list(args.backends),
    }
    runs = {
        "devices": ("devices", devices),
        "layers": (
            "layers on each backend (time / a copy's, peak memory / input)",
            lambda: layers(cfg, deadline["layers"], args.backends),
        ),
        "backends": (
            "JAX and PyTorch on the device: every layer, draws, devices",
            lambda: backends(cfg, deadline["backends"], args.backends),
        ),
        "training": (
            f"training steps/s, {cfg['model']}, batch {cfg['batch']}, "
            f"{'x'.join(map(str, cfg['train_shape']))}",
            lambda: training(cfg, deadline["training"]),
        ),
        "paper": (
            "paper configuration on synthetic scenes",
            lambda: paper(cfg, deadline["paper"]),
        ),
    }
    result["section_s"] = {}
    for key in SECTIONS:
        heading, run = runs[key]
        if key not in args.sections:
            result[key] = {"skipped": "not among --sections"}
            continue
        print(f"== {heading}", flush=True)
        begin = time.perf_counter()
        try:
            result[key] = run()
        except Exception as error:  # the other sections still run and the JSON is written  # noqa: BLE001
            result[key] = {"error": f"{type(error).__name__}: {str(error)[:2000]}"}
            print(f"  FAILED: {result[key]['error']}", flush=True)
        result["section_s"][key] = time.perf_counter() - begin
    result["total_s"] = time.perf_counter() - start
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    harness.write_json(args.out, result)
    failed = [k for k in SECTIONS if isinstance(result[k], dict) and "error" in result[k]]
    if isinstance(result["layers"], dict) and "backends" in result["layers"]:
        failed += [
            f"layers {backend} {tag}"
            for backend, r in result["layers"]["backends"].items()
            for tag, v in r["shapes"].items()
            if "error" in v
        ]
    if "backends" in args.sections and "error" not in result["backends"]:
        for backend, r in result["backends"].items():
            if "error" in r:
                failed.append(f"backends {backend}")
            failed += [
                f"backends {backend} {name}"
                for name, row in r.get("layers", {}).items()
                if not row.get("ok")
            ]
    if isinstance(result["training"], list):
        failed += [
            f"training {r['condition']} mp={r['mixed_precision']} xla={r['xla']}"
            for r in result["training"]
            if "error" in r
        ]
    print(
        f"done in {result['total_s']:.0f} s" + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
