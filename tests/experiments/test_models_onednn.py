"""The experiment models avoid oneDNN's strided 1×1 backward-weights overflow.

oneDNN's ``jit_1x1`` backward-weights kernel for a 1×1 convolution with
stride > 1 on channels-last input with fewer than 16 input channels writes
past its workspace (uxlfoundation/oneDNN#6035; docs/known_issues.md): on an
AVX-512 CPU ``small`` at ``--width 4`` or ``8`` aborted inside ``fit``
(double free, SIGSEGV) and took pytest down with it. The fit runs in a child
process so that a regression fails one test instead of killing the suite.
"""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_specmix.experiments import models

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Below this many input channels oneDNN's strided 1x1 kernel overflows (its block).
ONEDNN_IC_BLOCK = 16


def _strided_1x1_convs(model):
    return [
        (layer.name, layer.input.shape[-1])
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D)
        and layer.kernel_size == (1, 1)
        and layer.strides != (1, 1)
    ]


@pytest.mark.parametrize(
    "name, width", [("small", 4), ("small", 8), ("small", 12), ("two_path", 4)]
)
def test_no_strided_1x1_convolution_on_few_channels(name, width):
    model = models.build_model(name, (None, 128, 3), 3, width)
    bad = [(n, c) for n, c in _strided_1x1_convs(model) if c < ONEDNN_IC_BLOCK]
    assert not bad, f"strided 1x1 convolutions on < 16 channels: {bad}"


@pytest.mark.parametrize("strides", [2, (2, 1)])
def test_pooled_projection_equals_the_strided_convolution(strides):
    x = np.random.default_rng(0).normal(size=(2, 9, 7, 4)).astype("float32")
    inputs = keras.Input((9, 7, 4))
    pooled = keras.Model(inputs, models._projection(inputs, 8, strides))
    conv = keras.layers.Conv2D(8, 1, strides=strides, use_bias=False)
    reference = keras.Sequential([inputs, conv, keras.layers.BatchNormalization()])
    reference.set_weights(pooled.get_weights())
    np.testing.assert_allclose(pooled(x), reference(x), rtol=1e-6, atol=1e-6)
    assert pooled.count_params() == reference.count_params()


def test_small_widths_train_without_crashing():
    # Widths 4 and 8 in one child process (one TensorFlow start-up); it says which finished.
    code = textwrap.dedent("""
        import numpy as np
        from keras_specmix.experiments import models
        for width in (4, 8):
            m = models.build_model("small", (None, 128, 3), 3, width)
            m.compile("adam", "sparse_categorical_crossentropy")
            x = np.random.default_rng(0).random((8, 80, 128, 3), dtype="float32")
            m.fit(x, np.arange(8) % 3, batch_size=4, epochs=2, verbose=0)
            print("trained", width, flush=True)
    """)
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("TF_ENABLE_ONEDNN_OPTS", None)  # the default (oneDNN on) is what users get
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0 and done.stdout.split() == ["trained", "4", "trained", "8"], (
        f"exit status {done.returncode}, finished: {done.stdout!r}: {done.stderr[-2000:]}"
    )
