"""``--strategy keras-distribution`` over several devices of one process.

A validation batch that does not divide across the devices used to stop the
first validation pass (``IndivisibleError``). The runner pads such batches
with zero-weight examples: every real example counts exactly once, and the
record says how many were padded. Run in a subprocess (``KERAS_BACKEND=jax``
with 2 forced CPU devices) whatever the test process's backend.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("jax", reason="the keras-distribution path runs on JAX")
# Trainings in JAX subprocesses: CI's leg 2 runs it (`pytest -m slow` on this file).
pytestmark = pytest.mark.slow

SCRIPT = pathlib.Path(__file__).with_name("_device_padding_check.py")
ROOT = SCRIPT.parents[2]


def _run(tmp_path, val_size, eval_batch, devices=2):
    out = tmp_path / f"record-{val_size}-{eval_batch}.json"
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "JAX_PLATFORMS": "cpu",
        "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("JOB_ADDRESSES", "NUM_PROCESSES", "PROCESS_ID"):
        env.pop(f"KERAS_DISTRIBUTION_{name}", None)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(out), str(val_size), str(eval_batch)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("val_size, eval_batch", [(5, 4), (7, 3)])
def test_validation_counts_every_example_once_on_two_devices(tmp_path, val_size, eval_batch):
    record = _run(tmp_path, val_size, eval_batch)
    assert record["devices"] == 2
    # keras.distribution takes the mean loss over the sharded global batch: one
    # SGD step moves the weights as one device's step on the whole batch does
    # (ratio 1: averaged, not summed over the devices).
    assert record["step_change_ratio"] == pytest.approx(1.0, abs=1e-4)
    # The best checkpoint's validation accuracy is the share of the real examples
    # it classifies right (steps of 100 / val_size), not of a padded count.
    assert record["best_validation_accuracy"] == pytest.approx(
        record["recomputed_validation_accuracy"], abs=1e-4
    )
    padded = sum((-min(eval_batch, val_size - k)) % 2 for k in range(0, val_size, eval_batch))
    assert record["validation_padding"] == {
        "devices": 2,
        "padded_examples_per_pass": padded,
        "weight": 0.0,
    }
