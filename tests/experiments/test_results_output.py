"""The runner's outputs a user relies on: a fresh folder per command, per-run
provenance, progress with time left, bit-identical reruns and the figures."""

import json
import os

import pytest

from keras_specmix.experiments import runner


def _runs(folder):
    return json.loads((folder / "synthetic_small.json").read_text())["runs"]


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_every_command_without_output_dir_trains_into_a_new_folder(tiny_comparison):
    folders = tiny_comparison.folders
    assert len(folders) == 2  # the second command found nothing to skip
    first, second = (sorted(r["condition"] for r in _runs(f)) for f in folders)
    assert (first, second) == (["none", "none", "specmix", "specmix"], ["none", "specmix"])
    for folder in folders:
        assert {p.name for p in folder.iterdir()} == {
            "synthetic_small.json",
            "synthetic_small.md",
            "synthetic_small.png",
            "synthetic_small_confusion.png",
        }


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_reruns_are_bit_identical(tiny_comparison):
    first, second = tiny_comparison.folders
    keys = (
        "accuracy",
        "per_class",
        "per_device",
        "confusion_matrix",
        "validation_accuracy_per_epoch",
        "train_loss_per_epoch",
    )
    again = {(r["condition"], r["seed"]): r for r in _runs(second)}
    assert set(again) == {("none", 0), ("specmix", 0)}
    for a in _runs(first):
        b = again.get((a["condition"], a["seed"]))
        assert a["provenance"]["op_determinism"] is True
        if b is not None:
            assert {k: a[k] for k in keys} == {k: b[k] for k in keys}


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_each_run_keeps_its_own_provenance(tiny_comparison, comparison_copy):
    # A later command adds a run to the same file with another command line.
    args = list(tiny_comparison.args)
    args[args.index("--seeds") + 1] = "2"
    args[args.index("--augmentation") + 1] = "none"
    argv = [*args, "--output-dir", str(comparison_copy), "--no-op-determinism"]
    assert runner.main(argv) == 0
    runs = _runs(comparison_copy)
    assert len(runs) == 5
    for run in runs:
        prov = run["provenance"]
        assert set(prov["versions"]) >= {"python", "tensorflow", "keras", "numpy", "keras_specmix"}
        assert {"git_commit", "git_dirty", "command", "cpu", "devices"} <= set(prov)
    assert [r["provenance"]["op_determinism"] for r in runs] == [True] * 4 + [False]
    assert "--no-op-determinism" in runs[4]["provenance"]["command"]
    assert "--no-op-determinism" not in runs[0]["provenance"]["command"]
    assert "environment" not in json.loads((comparison_copy / "synthetic_small.json").read_text())


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_runs_record_confusion_matrices_and_seen_devices(tiny_comparison):
    for run in _runs(tiny_comparison.folders[0]):
        matrix = run["confusion_matrix"]
        assert len(matrix) == len(run["per_class"]) == 10
        assert sum(map(sum, matrix)) == 20  # every test clip once (3 locations x 1 clip ...)
        assert set(run["seen_devices"]) < set(run["per_device"])


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_determinism_switch_is_restored(tiny_comparison):
    from keras_specmix import _compat

    assert not _compat.op_determinism()  # the commands turned it on, and back off


def test_progress_prints_elapsed_and_time_left():
    lines, now = [], [100.0]
    progress = runner.Progress(4, lines.append, clock=lambda: now[0])
    record = {
        "condition": "specmix",
        "seed": 2,
        "accuracy": 51.25,
        "best_epoch": 7,
        "wall_time_s": 30.0,
    }
    now[0] = 130.0
    assert progress.finished(record) == pytest.approx(90.0)
    now[0] = 190.0
    assert progress.finished(record) == pytest.approx(90.0)  # 45 s per run, 2 to go
    assert lines[0] == (
        "[1/4] specmix, seed 2: test accuracy 51.25% (best epoch 7), 30 s | "
        "elapsed 0:30, about 1:30 left"
    )
    assert lines[1].endswith("elapsed 1:30, about 1:30 left")


def test_default_output_dir_never_reuses_a_folder(tmp_path):
    a = runner.default_output_dir(str(tmp_path), now=0)
    b = runner.default_output_dir(str(tmp_path), now=0)
    assert a != b and b == a + "-2" and os.path.isdir(a) and os.path.isdir(b)
