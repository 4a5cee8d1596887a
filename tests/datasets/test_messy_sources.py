"""Messy folders through the runner's sources: mixed formats, rates, channels and
lengths, unreadable files skipped and reported, and the feature cache's temporary
folders never leaking."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from keras_specmix import datasets
from keras_specmix.datasets import cache as cache_lib
from keras_specmix.datasets import fakes
from keras_specmix.experiments import runner
from keras_specmix.experiments import splits as splits_lib

TONES = {"beep": 300, "hum": 700, "whine": 1500}
# (extension, libsndfile format, subtype, sample rate, channels, seconds)
MIXED = [
    (".wav", "WAV", "PCM_16", 16000, 1, 0.4),
    (".flac", "FLAC", "PCM_24", 22050, 2, 0.6),
    (".mp3", "MP3", "MPEG_LAYER_III", 44100, 1, 0.5),
    (".ogg", "OGG", "VORBIS", 48000, 2, 0.3),
    (".aiff", "AIFF", "PCM_16", 8000, 1, 0.7),
]


def messy_folder(root, per_class=5, corrupt=True):
    """Class folders whose files differ in format, rate, channels and length,
    plus (optionally) one corrupt ``.wav``."""
    for c, label in enumerate(TONES):
        for k in range(per_class):
            ext, fmt, subtype, rate, channels, seconds = MIXED[(k + c) % len(MIXED)]
            (root / label).mkdir(parents=True, exist_ok=True)
            sf.write(
                root / label / f"{label}{k}{ext}",
                fakes.tone(seconds, rate, TONES[label] + 5 * k, channels, seed=k),
                rate,
                format=fmt,
                subtype=subtype,
            )
    if corrupt:
        (root / "hum" / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    return root


def test_select_covers_every_element_when_tf_data_does_not_know_the_length():
    ds = tf.data.Dataset.range(6).filter(lambda x: True)  # cardinality unknown
    assert int(ds.cardinality()) < 0
    assert list(splits_lib._select(ds, [0, 2], 6).as_numpy_iterator()) == [0, 2]
    # Before: the keep-mask was max(indices) + 1 long, and tf.gather ran past it.
    assert list(splits_lib._select(ds, [1, 3], 6).as_numpy_iterator()) == [1, 3]
    with pytest.raises(tf.errors.FailedPreconditionError, match="7 elements"):  # too short
        list(splits_lib._select(ds, [1], 7).as_numpy_iterator())


def test_mixed_folder_without_cache_reads_every_split_and_reports_the_corrupt_file(tmp_path):
    root = messy_folder(tmp_path / "sounds")
    with pytest.raises(
        datasets.AudioFileError, match="broken.wav.*on_error='skip'.*--skip-unreadable"
    ):
        splits_lib.load_splits("folder", str(root), clip_seconds=0.5)
    splits = splits_lib.load_splits("folder", str(root), clip_seconds=0.5, on_error="skip")
    assert [p for p, _ in splits.skipped] == [str(root / "hum" / "broken.wav")]
    assert sum(splits.sizes.values()) == 15
    for name in ("train", "validation", "test"):
        items = list(getattr(splits, name).as_numpy_iterator())
        assert len(items) == splits.sizes[name]
        assert {x.shape for x, _ in items} == {splits.feature_shape}
    assert "Skipped 1 unreadable file(s)" in datasets.skip_report(splits.skipped)
    assert "broken.wav" in datasets.skip_report(splits.skipped)


def test_runner_over_a_mixed_folder_skips_and_records_the_corrupt_file(tmp_path, capsys):
    root = messy_folder(tmp_path / "sounds")
    argv = [
        "--dataset",
        "folder",
        "--data-dir",
        str(root),
        "--no-cache",
        "--clip-seconds",
        "0.5",
        "--model",
        "small",
        "--width",
        "16",
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
        "none",
        "--quiet",
        "--output-dir",
        str(tmp_path / "out"),
    ]
    with pytest.raises(SystemExit) as exit_info:  # an argparse message, not a traceback
        runner.main(argv)
    assert exit_info.value.code == 2
    assert re.search("broken.wav.*--skip-unreadable", capsys.readouterr().err, re.S)
    assert runner.main([*argv, "--skip-unreadable"]) == 0
    out = capsys.readouterr().out
    assert "Skipped 1 unreadable file(s) of 'folder':" in out and "broken.wav" in out
    data = json.loads((tmp_path / "out" / "folder_small.json").read_text())
    assert data["skipped_files"] == [
        [str(root / "hum" / "broken.wav"), data["skipped_files"][0][1]]
    ]
    assert "libsndfile" in data["skipped_files"][0][1]
    assert data["runs"][0]["settings"]["data"]["on_error"] == "skip"


def test_skip_unreadable_is_refused_where_no_file_is_read(capsys):
    with pytest.raises(SystemExit):
        runner.main(["--skip-unreadable", "--epochs", "1"])
    assert "--skip-unreadable applies to --dataset tau2020_mobile, secl_umons, folder or csv" in (
        capsys.readouterr().err
    )


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporary_folders_are_removed_and_live_ones_kept(tmp_path):
    host = cache_lib._host()
    stale = tmp_path / f".x-1.tmp-{host}-{_dead_pid()}-{'a' * 32}"
    live = tmp_path / f".y-2.tmp-{host}-{os.getpid()}-{'b' * 32}"
    foreign = tmp_path / f".z-3.tmp-otherhost-1-{'c' * 32}"
    old_unnamed = tmp_path / f".w-4.tmp-{'d' * 32}"
    for folder in (stale, live, foreign, old_unnamed):
        folder.mkdir()
        (folder / "shard-00000.tfrecord").write_bytes(b"x" * 10)
    week = cache_lib.STALE_SECONDS + 60
    os.utime(old_unnamed, (os.path.getmtime(old_unnamed) - week,) * 2)
    removed = cache_lib.remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([str(stale), str(old_unnamed)])
    assert live.exists() and foreign.exists()


def test_a_killed_extraction_leaves_nothing_after_the_next_run(tmp_path):
    # A child process writes a cache slowly and is killed with SIGKILL (no
    # cleanup runs); the next extraction in the same cache_dir removes its
    # temporary folder.
    script = textwrap.dedent(f"""
        import time, tensorflow as tf
        from keras_specmix.datasets import cache
        def slow():
            for i in range(1000):
                if i == 2:
                    print("writing", flush=True)
                time.sleep(0.05)
                yield tf.zeros([2]), i
        cache.write_feature_cache(slow(), {str(tmp_path / "c" / "a-1")!r}, progress=False)
    """)
    env = dict(os.environ, PYTHONPATH=os.getcwd(), TF_CPP_MIN_LOG_LEVEL="3")
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True
    )
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait()
    leftovers = [e for e in os.listdir(tmp_path / "c") if ".tmp-" in e]
    assert len(leftovers) == 1  # what a killed writer leaves behind
    ds = cache_lib.cached_dataset(
        lambda: tf.data.Dataset.from_tensor_slices((np.zeros((3, 2), np.float32), np.arange(3))),
        tmp_path / "c",
        "b",
        "2",
        progress=False,
    )
    assert sum(1 for _ in ds) == 3
    assert sorted(os.listdir(tmp_path / "c")) == ["b-2"]
