"""Reproduces oneDNN's strided 1×1 backward-weights heap overflow, and times the workaround.

oneDNN's ``jit_1x1`` backward-weights kernel for a 1×1 convolution with
stride > 1 on channels-last input with fewer than 16 input channels writes
past its "reduce to unit stride" workspace (uxlfoundation/oneDNN#6035). In
TensorFlow (oneDNN on by default on x86) training such a layer aborts with
``double free``, ``corrupted size vs. prev_size`` or SIGSEGV on AVX-512 CPUs.
See ``docs/known_issues.md``.

    # the bare op, one child process per input-channel count (a crash is rc < 0):
    python scripts/onednn_strided_1x1.py op --channels 3,4,8,15,16,24
    # the experiment model, the old strided projection against the pooled one:
    python scripts/onednn_strided_1x1.py model --projection strided --width 4
    # seconds per training step (pooled projection; add TF_ENABLE_ONEDNN_OPTS=0 to compare):
    python scripts/onednn_strided_1x1.py model --projection pooled --width 16 --steps 30
"""

import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def run_op(channels, repeats=30):
    """``Conv2DBackpropFilter``: input (4, 80, 128, channels), 1×1 kernel, stride 2."""
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((4, 80, 128, channels), dtype="float32"))
    dy = tf.constant(rng.random((4, 40, 64, 8), dtype="float32"))

    @tf.function
    def backprop_filter(x, dy):
        return tf.raw_ops.Conv2DBackpropFilter(
            input=x,
            filter_sizes=[1, 1, channels, 8],
            out_backprop=dy,
            strides=[1, 2, 2, 1],
            padding="SAME",
        )

    for _ in range(repeats):
        backprop_filter(x, dy)


def run_model(projection, width, steps):
    """Fits ``small_resnet`` (input (None, 128, 3), 3 classes) with Adam, batch 4."""
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    from keras_specmix.experiments import models  # noqa: PLC0415

    if projection == "strided":  # the projection before the workaround

        def strided(x, filters, strides):
            x = keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
            return keras.layers.BatchNormalization()(x)

        models._projection = strided
    keras.utils.set_random_seed(0)
    model = models.build_model("small", (None, 128, 3), 3, width)
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((4 * steps, 80, 128, 3), dtype="float32")
    y = rng.integers(0, 3, 4 * steps)
    model.fit(x[:8], y[:8], batch_size=4, epochs=1, verbose=0)  # trace and warm up
    start = time.perf_counter()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    per_step = (time.perf_counter() - start) / steps
    print(
        f"projection={projection} width={width} oneDNN="
        f"{os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default')}: "
        f"{per_step * 1e3:.1f} ms per training step ({steps} steps)"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    op = sub.add_parser("op", help="the bare op in one child process per channel count")
    op.add_argument("--channels", default="3,4,8,15,16,24")
    op.add_argument("--child", type=int, help=argparse.SUPPRESS)
    model = sub.add_parser("model", help="fit the experiment model")
    model.add_argument("--projection", choices=("strided", "pooled"), default="pooled")
    model.add_argument("--width", type=int, default=4)
    model.add_argument("--steps", type=int, default=2)
    args = parser.parse_args(argv)
    if args.command == "model":
        run_model(args.projection, args.width, args.steps)
        return 0
    if args.child is not None:
        run_op(args.child)
        return 0
    for channels in (int(c) for c in args.channels.split(",")):
        done = subprocess.run(
            [sys.executable, __file__, "op", "--child", str(channels)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        verdict = "ok" if done.returncode == 0 else f"CRASHED (exit status {done.returncode})"
        print(f"input channels {channels:3d}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
