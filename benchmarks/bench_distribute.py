"""Where to augment on JAX: in ``tf.data`` before the step, or inside it.

Issue 14 item 5. Times, interleaved over ``--repeats`` rounds, one ``fit``
epoch of ``--steps`` steps of the runner's ``small`` classifier on the
synthetic scenes' shape (random features ``(118, 64, 3)`` cropped to 112
frames, 10 classes), under the current Keras backend (run it with
``KERAS_BACKEND=jax``):

* ``none``: no augmentation (the floor);
* ``tf.data``: SpecMix on each batch in the input pipeline
  (:func:`keras_specmix.data.augment_dataset`), what ``--augment-in data`` does;
* ``in step``: :class:`keras_specmix.MixingModel` with SpecMix, mixing inside
  the compiled training step (``--augment-in model``).

Prints the median milliseconds per step and the ratio to ``none``, and writes
JSON. Usage:

    KERAS_BACKEND=jax python benchmarks/bench_distribute.py            # 20 steps, 5 rounds
    KERAS_BACKEND=jax python benchmarks/bench_distribute.py --steps 2 --repeats 1   # smoke
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_specmix as ks  # noqa: E402
from benchmarks import harness  # noqa: E402
from keras_specmix.experiments import models  # noqa: E402

SHAPE, CROP, CLASSES = (118, 64, 3), 112, 10


def _data(batch_size, examples=256):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(examples, *SHAPE)).astype("float32")
    y = np.eye(CLASSES, dtype="float32")[np.arange(examples) % CLASSES]
    ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat()
    ds = ds.map(lambda a, b: (tf.image.random_crop(a, (CROP, *SHAPE[1:]), seed=0), b))
    return ds.batch(batch_size, drop_remainder=True)


def _model(in_step, width, jit_compile):
    net = models.build_model("small", (None, *SHAPE[1:]), CLASSES, width)
    model = ks.MixingModel(net, ks.SpecMix(gamma=0.3, seed=0)) if in_step else net
    model.compile("adam", "categorical_crossentropy", jit_compile=jit_compile)
    return model


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=20, help="steps per timed epoch")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--no-jit", action="store_true", help="compile(jit_compile=False)")
    p.add_argument("--output", default="benchmarks/results/distribute.json")
    args = p.parse_args(argv)
    jit = not args.no_jit
    plain = _data(args.batch_size)
    augmented = ks.data.augment_dataset(plain, ks.SpecMix(gamma=0.3, seed=0), seed=0)
    setups = {
        "none": (_model(False, args.width, jit), plain),
        "tf.data": (_model(False, args.width, jit), augmented),
        "in step": (_model(True, args.width, jit), plain),
    }
    candidates = {
        name: (
            lambda m=model, d=ds.prefetch(tf.data.AUTOTUNE): m.fit(
                d, epochs=1, steps_per_epoch=args.steps, verbose=0
            ).history["loss"][-1]
        )
        for name, (model, ds) in setups.items()
    }
    times = harness.measure(candidates, repeats=args.repeats, warmup=1)
    floor = times["none"]["median_ms"] / args.steps
    rows = []
    for name, t in times.items():
        per_step = t["median_ms"] / args.steps
        rows.append([name, f"{per_step:.1f}", f"{per_step / floor:.2f}"])
    print(f"backend {keras.backend.backend()}, batch {args.batch_size}, jit_compile={jit}")
    print(harness.table(rows, ["augmentation", "ms / step (median)", "× none"]))
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    harness.write_json(
        args.output,
        {
            "environment": {**harness.environment(), "backend": keras.backend.backend()},
            "settings": vars(args),
            "ms_per_step": {n: t["median_ms"] / args.steps for n, t in times.items()},
            "raw": times,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
