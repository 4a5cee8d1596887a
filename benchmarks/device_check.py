"""The first thing to run on a lent accelerator: devices, layer timings, training speed.

Usage:
    python benchmarks/device_check.py                  # GPU: under 8 minutes, one JSON
    python benchmarks/device_check.py --tiny           # CPU, seconds: keeps the script alive in CI

Sections, each recorded in ONE JSON file (``--out``), in this order:

1. ``devices``: what TensorFlow sees (and ``nvidia-smi`` where present).
2. ``layers``: every augmentation against a real copy of the batch
   (``bench_layers.py``'s candidates and harness: interleaved rounds, each
   timing ends with a host read of the output, which synchronises the GPU),
   in ``tf.function`` and XLA.
3. ``training``: ResNet-101 training steps/s at the paper's shape (batch 32,
   400x128x3) for each condition (none, MixUp, CutMix, SpecAugment, SpecMix)
   with mixed precision and XLA on and off; the steps of a warm-up epoch
   (tracing, compilation) are not timed, and the timed epoch ends with the
   synchronising read Keras does for its logs.
4. ``paper``: the runner's paper configuration (``--paper``: ResNet-101,
   400-frame crops, whole clips at test, the paper's optimiser) on synthetic
   scenes at the paper's shape for a fixed number of steps.

A time budget (``--budget-s``) keeps the whole check under 8 minutes on one
GPU: configurations left when it runs out are recorded as ``"skipped"`` with
the reason (never silently dropped), most informative ones first. A section or
configuration that raises is recorded with its error, the others still run, the
JSON is written, and the exit status is 1.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_layers  # noqa: E402
import harness  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_specmix.experiments import conditions as conditions_lib  # noqa: E402
from keras_specmix.experiments import models  # noqa: E402
from keras_specmix.experiments import optim  # noqa: E402
from keras_specmix.experiments import report  # noqa: E402
from keras_specmix.experiments import runner  # noqa: E402

_ALL = tuple(
    (c, mp, xla)
    for mp, xla in ((True, True), (False, False), (True, False), (False, True))
    for c in ("none", "specmix", "mixup", "cutmix", "specaugment")
)
FULL = {
    "layer_shape": (32, 400, 128, 3),
    "layer_repeats": 20,
    "layer_names": None,
    "matrix": _ALL,
    "model": "resnet101",
    "train_shape": (400, 128, 3),
    "batch": 32,
    "warmup_steps": 5,
    "timed_steps": 30,
    "paper_steps": 50,
    "paper_args": ["--num-locations", "3", "--clips-per-location", "2"],
}
# Tiny: every code path (graph, XLA, mixed precision, a mixing and a masking condition,
# the runner's --paper preset) at sizes a CPU runs in seconds.
TINY = {
    "layer_shape": (4, 40, 16, 1),
    "layer_repeats": 1,
    "layer_names": ["SpecMix", "SpecAugment"],
    "matrix": (("none", False, False), ("specmix", True, True), ("specaugment", False, True)),
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


def layers(shape, repeats, names=None):
    """bench_layers' floors and our layers in graph and XLA mode, synchronised."""
    x, y = bench_layers.make_batch(*shape)
    modes = ["graph", "xla"]
    candidates = bench_layers.floor_candidates(x, modes)
    candidates.update(bench_layers.our_candidates(x, y, modes, names))
    results = harness.measure(candidates, repeats=repeats, warmup=2)
    with contextlib.redirect_stdout(io.StringIO()) as text:
        bench_layers.report(results, modes)
    print(text.getvalue())
    return {"shape": list(shape), "repeats": repeats, "results": results}


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
        return {
            "steps_per_second": cfg["timed_steps"] / clock.seconds[-1],
            "timed_steps": cfg["timed_steps"],
            "warmup_s": warm,
        }
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
            f"  {condition:12s} mixed_precision={mp!s:5s} xla={xla!s:5s} "
            + (f"{speed:8.2f} steps/s" if speed else row.get("skipped", row.get("error"))),
            flush=True,
        )
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tiny", action="store_true", help="tiny shapes and the small model: for CI on a CPU"
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        help="stop starting new training configurations after this many "
        "seconds (default 330; --tiny: no limit)",
    )
    parser.add_argument(
        "--out",
        default=os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "results", "device_check.json"
        ),
    )
    args = parser.parse_args(argv)
    if args.budget_s is not None and args.budget_s <= 0:
        parser.error(f"--budget-s must be > 0. Received: {args.budget_s}")
    cfg = TINY if args.tiny else FULL
    start = time.perf_counter()
    budget = args.budget_s or (float("inf") if args.tiny else 330.0)
    # The paper run goes last and is short: keep ~60 s for it after the training matrix.
    deadline = start + budget - (0 if args.tiny else 60.0)
    result = {"mode": "tiny" if args.tiny else "full", "settings": json.loads(json.dumps(cfg))}
    sections = [
        ("devices", "devices", devices),
        (
            "layers",
            "layers (median ms, ratio to a copy of the batch)",
            lambda: layers(cfg["layer_shape"], cfg["layer_repeats"], cfg["layer_names"]),
        ),
        (
            "training",
            f"training steps/s, {cfg['model']}, batch {cfg['batch']}, "
            f"{'x'.join(map(str, cfg['train_shape']))}",
            lambda: training(cfg, deadline),
        ),
        ("paper", "paper configuration on synthetic scenes", lambda: paper(cfg, start + budget)),
    ]
    result["section_s"] = {}
    for key, heading, run in sections:
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
    failed = [
        k
        for k in ("devices", "layers", "training", "paper")
        if isinstance(result[k], dict) and "error" in result[k]
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
