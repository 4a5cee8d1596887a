"""The runner end to end on the other data sources and under multi-worker.

test_runner.py covers the synthetic scenes and ``--smoke`` (fake TAU); here
each of ``--dataset secl_umons``, ``folder``, ``csv`` and ``digits`` trains
one tiny run on a few short clips, and ``--strategy multi-worker`` trains one
in a fresh process (no TF_CONFIG: a single local worker).
"""

import json
import os
import pathlib
import subprocess
import sys
import warnings

import pytest

from keras_specmix import datasets
from keras_specmix.datasets import digits
from keras_specmix.datasets import fakes
from keras_specmix.experiments import runner
from keras_specmix.experiments import sources

ROOT = pathlib.Path(__file__).parents[2]
TINY = [
    "--model",
    "small",
    "--width",
    "4",
    "--epochs",
    "1",
    "--steps-per-epoch",
    "2",
    "--batch-size",
    "4",
    "--eval-batch-size",
    "4",
    "--seeds",
    "0",
    "--augmentation",
    "specmix",
    "--quiet",
]
TONES = {"beep": 300, "hum": 700, "whine": 1500}  # class -> tone frequency (Hz)


def _run(out, argv):
    """Runs the runner in this process; returns the one run of its JSON file."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert runner.main([*TINY, "--output-dir", str(out), *argv]) == 0
    # Every split states its length: Keras must not run off the end of one.
    assert not [w for w in caught if "ran out of data" in str(w.message)]
    dataset = argv[argv.index("--dataset") + 1]
    data = json.loads((out / f"{dataset}_small.json").read_text())
    assert len(data["runs"]) == 1
    run = data["runs"][0]
    assert (run["condition"], run["seed"]) == ("specmix", 0)
    assert 0.0 <= run["accuracy"] <= 100.0
    assert run["steps_per_epoch"] == 2 and len(run["validation_accuracy_per_epoch"]) == 1
    assert run["num_replicas"] == 1
    assert (out / f"{dataset}_small.md").read_text().count("(ours)") == 1
    return run, data


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_secl_umons(tmp_path):
    root = fakes.write_fake_secl_umons(tmp_path / "SECL-UMONS", "flat")
    cache_args = ["--cache-dir", str(tmp_path / "cache")]
    run, data = _run(
        tmp_path / "out", ["--dataset", "secl_umons", "--data-dir", str(root), *cache_args]
    )
    assert set(run["per_class"]) == set(fakes.SECL_CLASSES)
    # 6 training recordings, one held out for validation; 3 test recordings.
    assert data["data_sizes"] == {"train": 5, "validation": 1, "test": 3}
    assert run["settings"]["crop_frames"] is None  # whole 2-s clips, as the author
    # One microphone and no device column: no device breakdown.
    assert run["per_device"] is None and run["unseen_devices_accuracy"] is None


def test_secl_umons_nested_layout_splits_alike(tmp_path):
    # Both layouts are read by the same reader (tests/datasets); the runner's splits agree.
    root = fakes.write_fake_secl_umons(tmp_path / "SECL-UMONS", "nested")
    splits = sources.load_splits("secl_umons", str(root))
    assert splits.sizes == {"train": 5, "validation": 1, "test": 3}
    assert splits.class_names == tuple(sorted(fakes.SECL_CLASSES))


def test_secl_umons_features_state_their_channels(tmp_path):
    # Reading one microphone (an int channel) must keep the channel axis
    # static, or the model's input layer cannot be built (without a cache).
    root = fakes.write_fake_secl_umons(tmp_path / "SECL-UMONS")
    ds = datasets.secl_umons(root, "train")
    assert ds.element_spec[0].shape[1:] == (128, 3)


def _write_clips(folder, names, sample_rate, seconds=0.5):
    for k, (name, label) in enumerate(names):
        fakes.write_wav(
            folder / name,
            fakes.tone(seconds, sample_rate, TONES[label] + 7 * k, seed=k),
            sample_rate,
            bits=16,
        )


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_folder_of_class_subfolders(tmp_path):
    root = tmp_path / "sounds"
    # 16-kHz files: the runner resamples them to its 44.1-kHz front end.
    _write_clips(
        root, [(f"{label}/{label}{i}.wav", label) for label in TONES for i in range(5)], 16000
    )
    run, data = _run(
        tmp_path / "out", ["--dataset", "folder", "--data-dir", str(root), "--no-cache"]
    )
    assert set(run["per_class"]) == set(TONES)
    # 20% of the 15 files are the test split, 10% of the rest validation
    # (no group column: every file is its own group).
    assert data["data_sizes"] == {"train": 11, "validation": 1, "test": 3}
    assert run["per_device"] is None


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_folder_of_clips_of_different_lengths_needs_clip_seconds(tmp_path):
    root = tmp_path / "sounds"
    for k, label in enumerate(sorted(TONES) * 4):  # 0.3 to 0.6 s
        fakes.write_wav(
            root / label / f"{label}{k}.wav",
            fakes.tone(0.3 + 0.1 * (k % 4), 16000, TONES[label], seed=k),
            16000,
            bits=16,
        )
    with pytest.raises(
        ValueError,
        match=r"differ in length \(0\.300 s.*0\.600 s.*"
        r"--clip-seconds",
    ):
        sources.load_splits("folder", str(root))
    run, data = _run(
        tmp_path / "out",
        ["--dataset", "folder", "--data-dir", str(root), "--no-cache", "--clip-seconds", "0.45"],
    )
    assert data["runs"][0]["settings"]["data"]["clip_seconds"] == 0.45
    assert set(run["per_class"]) == set(TONES)


def test_clip_seconds_is_refused_for_fixed_length_datasets(capsys):
    with pytest.raises(SystemExit):
        runner.main([*TINY, "--clip-seconds", "2"])
    message = "--clip-seconds applies to --dataset tau2020_mobile, folder or csv"
    assert message in capsys.readouterr().err


def test_multi_worker_with_two_workers_stops_with_the_keras_limitation(monkeypatch, capsys):
    monkeypatch.setenv(
        "TF_CONFIG",
        json.dumps(
            {
                "cluster": {"worker": ["localhost:12345", "localhost:12346"]},
                "task": {"type": "worker", "index": 0},
            }
        ),
    )
    with pytest.raises(SystemExit):
        runner.main([*TINY, "--strategy", "multi-worker"])
    err = capsys.readouterr().err
    assert "TF_CONFIG lists 2 workers" in err and "keras-team/keras#20585" in err


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_csv_with_groups(tmp_path):
    root = tmp_path / "mine"
    rows = [(f"clips/{label}_{g}.wav", label, f"mic{g}") for g in range(5) for label in TONES]
    _write_clips(root, [(path, label) for path, label, _ in rows], 22050)
    (root / "list.csv").write_text(
        "path,label,group\n" + "".join(f"{p},{label},{g}\n" for p, label, g in rows)
    )
    run, data = _run(
        tmp_path / "out", ["--dataset", "csv", "--data-dir", str(root / "list.csv"), "--no-cache"]
    )
    assert set(run["per_class"]) == set(TONES)
    # 5 groups of 3 clips: 1 group tests, 1 validates, 3 train.
    assert data["data_sizes"] == {"train": 9, "validation": 3, "test": 3}
    assert run["per_device"] is None
    splits = sources.load_splits("csv", str(root / "list.csv"), validation_fraction=0.1)
    assert not set(splits.train_metadata["group"]) & set(splits.test_metadata["group"])


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_spoken_digits(tmp_path, monkeypatch, digits_dir):
    # The WAVs go where --data-dir says (default ~/.keras/datasets, which
    # must not be touched here); the session renders them once.
    monkeypatch.setattr(digits, "_default_dir", lambda: pytest.fail("rendered to the default"))
    wavs = digits_dir
    run, data = _run(
        tmp_path / "out", ["--dataset", "digits", "--no-cache", "--data-dir", str(wavs)]
    )
    assert list(wavs.glob("wav-*/index.csv"))  # rendered under --data-dir
    assert list(run["per_class"]) == list(digits.CLASS_NAMES)
    assert data["data_sizes"] == {"train": 320, "validation": 80, "test": 160}
    # Devices are voice+variant; the test voices are never heard in training.
    assert set(run["per_device"]) == {
        f"{voice}+{variant}" for voice in digits.VOICES["test"] for variant in digits.VARIANTS
    }
    assert run["seen_devices_accuracy"] is None
    assert run["unseen_devices_accuracy"] == pytest.approx(run["accuracy"])


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_multi_worker_strategy_as_one_local_worker(tmp_path):
    # MultiWorkerMirroredStrategy configures collective ops, which must happen
    # before TensorFlow starts: a fresh process. Without TF_CONFIG it is one
    # worker with one replica.
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "always",
            "-m",
            "keras_specmix.experiments",
            "--strategy",
            "multi-worker",
            "--num-locations",
            "3",
            "--clips-per-location",
            "1",
            *TINY,
            "--output-dir",
            str(out),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "ran out of data" not in proc.stdout + proc.stderr
    # The command's quiet TensorFlow start-up: no absl, oneDNN or CUDA notices.
    for noise in ("absl::InitializeLog", "I0000", "oneDNN custom operations", "rebuild TensorFlow"):
        assert noise not in proc.stderr, proc.stderr
    data = json.loads((out / "synthetic_small.json").read_text())
    assert len(data["runs"]) == 1
    run = data["runs"][0]
    assert run["num_replicas"] == 1 and run["per_replica_batch_size"] == 4
    assert 0.0 <= run["accuracy"] <= 100.0
    assert len(run["per_class"]) == 10
    assert run["unseen_devices_accuracy"] is not None
