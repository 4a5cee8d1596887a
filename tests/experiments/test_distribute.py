"""MirroredStrategy over two logical CPU devices, in a fresh process.

Logical devices must be configured before TensorFlow initialises, which has
already happened in the pytest process, so ``_mirrored_check.py`` runs in a
subprocess: it checks the per-replica augmentation randomness and batch size,
then runs the comparison runner under ``--strategy mirrored --cpu-replicas 2``.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from keras_specmix.experiments import distribute

SCRIPT = pathlib.Path(__file__).with_name("_mirrored_check.py")
ROOT = SCRIPT.parents[2]


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    out = tmp_path_factory.mktemp("mirrored")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--num-locations",
            "3",
            "--clips-per-location",
            "1",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "2",
            "--seeds",
            "0",
            "--augmentation",
            "specmix",
            "--width",
            "4",
            "--quiet",
            "--output-dir",
            str(out),
            "--cache-dir",
            str(out / "cache"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MIRRORED_CHECK "))
    record = json.loads((out / "synthetic_small.json").read_text())
    return json.loads(line[len("MIRRORED_CHECK ") :]), record


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_global_batch_of_32_gives_16_per_replica(mirrored):
    check, _ = mirrored
    assert check["num_replicas"] == 2
    assert len(check["devices"]) == 2
    assert check["batch_size"] == [16, 16]


def test_a_step_on_two_replicas_is_the_step_on_the_global_batch():
    # Each replica's loss is its mean divided by 2 and the gradients are summed:
    # the update is one device's on the whole batch (averaged, not doubled).
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--step"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("STEP_CHECK "))
    check = json.loads(line[len("STEP_CHECK ") :])
    assert check["ratio"] == pytest.approx(1.0, abs=1e-4)
    assert check["max_abs_diff"] < 1e-5


@pytest.mark.slow  # an end-to-end training (CI leg 3)
@pytest.mark.parametrize("layer", ["specmix", "mixup", "cutmix", "specaugment"])
def test_replicas_draw_different_augmentations(mirrored, layer):
    check, _ = mirrored
    # Both replicas received the same 16 examples; the outputs differ only if
    # each replica folded its id into the seed.
    assert check[layer]["changed_input"] > 0
    assert check[layer]["max_abs_diff_between_replicas"] > 1e-3


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_runner_trains_under_mirrored_strategy(mirrored):
    _, record = mirrored
    run = record["runs"][0]
    assert run["num_replicas"] == 2
    assert run["per_replica_batch_size"] == 16
    assert run["settings"]["batch_size"] == 32
    assert 0.0 <= run["accuracy"] <= 100.0


def test_cpu_replicas_needs_mirrored():
    with pytest.raises(ValueError, match="cpu_replicas"):
        distribute.make_strategy("default", cpu_replicas=2)
    with pytest.raises(ValueError, match="strategy"):
        distribute.make_strategy("tpu")
