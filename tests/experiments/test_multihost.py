"""The runner over two JAX processes (``--strategy keras-distribution``).

Two local processes (localhost coordinator, one CPU device each,
``KERAS_BACKEND=jax`` set here for the subprocesses whatever the test
process's backend) train on a small folder of WAV files:

1. ``--augmentation none`` without shuffling or cropping;
2. the same command with ``none,specmix``: process 0's results file says
   ``none`` is done, so both processes resume with ``specmix`` only;
3. one process (``keras-distribution`` without the variables), ``none``
   (alongside 2).

Checked: both processes finish; the two-process loss curve equals the
one-process one with the same global batch and seeds (relative tolerance
1e-4: only the order of float32 sums differs); the processes' augmentation
draws differ while their un-augmented batches agree; each process decoded its
own half of the training files and no other's (and only process 0 the test
files); process 0 alone wrote result files, recording 2 processes and 2
devices.
"""

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

from keras_specmix.datasets import fakes

pytest.importorskip("jax", reason="the keras-distribution path runs on JAX (CI leg 2)")
# Minutes of two-process training: CI's leg 2 runs it (`pytest -m slow` on this file).
pytestmark = pytest.mark.slow

SCRIPT = pathlib.Path(__file__).with_name("_multihost_check.py")
ROOT = SCRIPT.parents[2]
CLASSES, PER_CLASS = 4, 10  # 40 files: 8 test, 8 validation, 24 training
RTOL = 1e-4


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _start(num_processes, logs, output_dirs, args):
    """Starts the processes of one job; their output goes to ``logs/stdout-<i>.txt``."""
    port = _free_port()
    procs = []
    for index in range(num_processes):
        env = {
            **os.environ,
            "KERAS_BACKEND": "jax",
            "JAX_PLATFORMS": "cpu",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": str(ROOT),
        }
        for name in ("JOB_ADDRESSES", "NUM_PROCESSES", "PROCESS_ID"):
            env.pop(f"KERAS_DISTRIBUTION_{name}", None)
        if num_processes > 1:
            env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] = f"localhost:{port}"
            env["KERAS_DISTRIBUTION_NUM_PROCESSES"] = str(num_processes)
            env["KERAS_DISTRIBUTION_PROCESS_ID"] = str(index)
        command = [sys.executable, str(SCRIPT), str(logs), *args]
        command += ["--output-dir", str(output_dirs[index])]
        # Files, not pipes: a full pipe would stall one process inside a collective.
        stdout = open(logs / f"stdout-{index}.txt", "w", encoding="utf-8")  # noqa: SIM115
        procs.append(
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=stdout, stderr=subprocess.STDOUT)
        )
        stdout.close()
    return procs


def _finish(procs, logs):
    """Waits for a job's processes; returns their output (asserting success)."""
    try:
        for proc in procs:
            proc.wait(timeout=400)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    outputs = [(logs / f"stdout-{i}.txt").read_text(encoding="utf-8") for i in range(len(procs))]
    for index, (proc, out) in enumerate(zip(procs, outputs)):
        assert proc.returncode == 0, f"process {index} failed:\n{out[-4000:]}"
    return outputs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("multihost")
    data = root / "audio"
    for c in range(CLASSES):
        (data / f"class{c}").mkdir(parents=True)
        for k in range(PER_CLASS):
            audio = fakes.tone(0.5, 44100, 200.0 * (c + 1) + 10 * k, seed=c * PER_CLASS + k)
            fakes.write_wav(data / f"class{c}" / f"clip{k}.wav", audio, 44100)
    args = [
        "--strategy", "keras-distribution", "--dataset", "folder", "--data-dir", str(data),
        "--no-cache", "--validation-fraction", "0.25", "--batch-size", "8",
        "--eval-batch-size", "8", "--epochs", "2", "--steps-per-epoch", "3",
        "--shuffle-buffer", "1", "--seeds", "0", "--quiet",
    ]  # fmt: skip
    jobs = {
        "two": (2, "none"),
        "two_resumed": (2, "none,specmix"),  # after "two", in the same folders
        "one": (1, "none"),  # alongside "two_resumed", to save time
    }
    out, started = {}, {}
    for name, (n, conditions) in jobs.items():
        logs = root / f"logs-{name}"
        logs.mkdir()
        dirs = [root / f"out-{'one' if n == 1 else 'two'}-{i}" for i in range(n)]
        started[name] = _start(n, logs, dirs, [*args, "--augmentation", conditions])
        out[name] = {"logs_dir": logs, "dirs": dirs}
        if name == "two":
            out[name]["stdout"] = _finish(started.pop(name), logs)
    for name, procs in started.items():
        out[name]["stdout"] = _finish(procs, out[name]["logs_dir"])
    for run in out.values():
        run["logs"] = [
            json.loads((run["logs_dir"] / f"process-{i}.json").read_text())
            for i in range(len(run["dirs"]))
        ]
    return out


def _record(run, condition):
    results = json.loads((run["dirs"][0] / "folder_small.json").read_text())
    (record,) = [r for r in results["runs"] if r["condition"] == condition]
    return record


def test_both_processes_finish_and_process_0_alone_writes(runs):
    for name in ("two", "two_resumed"):
        run = runs[name]
        assert "Process 1 of 2 done; process 0 wrote the results." in run["stdout"][1]
        assert sorted(os.listdir(run["dirs"][0])) == [
            "folder_small.json",
            "folder_small.md",
            "folder_small.png",
            "folder_small_confusion.png",
        ]
        assert not run["dirs"][1].exists() or not os.listdir(run["dirs"][1])
    record = _record(runs["two"], "none")
    assert record["num_processes"] == 2
    assert record["num_devices"] == 2
    assert record["per_process_batch_size"] == 4


def test_a_restarted_job_resumes_on_every_process(runs):
    # Process 1's own output folder is empty: it learns what is done from process 0.
    assert "1 of 2 runs already there (skipped); 1 to do." in runs["two_resumed"]["stdout"][0]
    results = json.loads((runs["two"]["dirs"][0] / "folder_small.json").read_text())
    assert sorted(r["condition"] for r in results["runs"]) == ["none", "specmix"]


def test_loss_curve_matches_one_process(runs):
    two = _record(runs["two"], "none")["train_loss_per_epoch"]
    one = _record(runs["one"], "none")["train_loss_per_epoch"]
    assert len(two) == len(one) == 2
    np.testing.assert_allclose(two, one, rtol=RTOL)
    assert _record(runs["one"], "none")["num_processes"] == 1


def test_processes_draw_different_augmentations(runs):
    first, second = runs["two"]["logs"]
    # Identical inputs on both processes: the un-augmented batches agree ...
    np.testing.assert_array_equal(first["clean_batch"], second["clean_batch"])
    # ... and the SpecMix draws differ (each process has its own seed).
    diff = np.abs(np.subtract(first["augmented_batch"], second["augmented_batch"]))
    assert diff.max() > 1e-3
    assert np.abs(np.subtract(first["augmented_batch"], first["clean_batch"])).max() > 1e-3


def test_each_process_decodes_only_its_shard(runs):
    (everything,) = [set(log["decoded"]) for log in runs["one"]["logs"]]
    assert len(everything) == CLASSES * PER_CLASS
    first, second = (set(log["decoded"]) for log in runs["two"]["logs"])
    # Both evaluate the 8 validation files whole; process 0 alone scores the 8 test files.
    shared = first & second
    assert len(shared) == 8
    # The 24 training files: 12 each, none decoded by both.
    assert len(second - shared) == 12
    assert len(first - shared) == 12 + 8
    assert (first | second) == everything
    for out in runs["two"]["stdout"]:
        assert "trains on its shard, 12 of 24 training examples" in out
