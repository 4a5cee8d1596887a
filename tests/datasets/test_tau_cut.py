"""The TAU22 cut: TAU 2020 Mobile's 10-s clips as 1-s clips (``--clip-seconds 1``), on the fake
TAU tree in the dataset's exact layout."""

import numpy as np
import pytest

from keras_specmix import datasets
from keras_specmix.datasets import audio_io
from keras_specmix.datasets import fakes
from keras_specmix.datasets import pipeline
from keras_specmix.experiments import cli
from keras_specmix.experiments import presets
from keras_specmix.experiments import splits as splits_lib
from keras_specmix.features import FrontEndConfig


@pytest.fixture(scope="module")
def tau10(tmp_path_factory):
    """A fake TAU tree of 10-s clips (the real length)."""
    return fakes.write_fake_tau2020_mobile(tmp_path_factory.mktemp("tau") / "TAU", 10.0)


def test_each_piece_is_its_slice_of_the_clip(tmp_path):
    root = fakes.write_fake_tau2020_mobile(tmp_path / "TAU", clip_seconds=2.0)
    whole = datasets.tau2020_mobile(root, "train", clip_seconds=2.0, progress=False)
    cut = datasets.tau2020_mobile(
        root, "train", clip_seconds=2.0, segment_seconds=0.5, progress=False
    )
    n = len(whole.metadata["path"])
    assert len(cut.metadata["path"]) == 4 * n
    assert cut.metadata["cut"].tolist() == ["0", "1", "2", "3"] * n
    for column in ("path", "location", "device", "segment"):
        np.testing.assert_array_equal(cut.metadata[column], np.repeat(whole.metadata[column], 4))
    elements = list(cut.dataset.as_numpy_iterator())
    labels = [y for _, y in elements]
    np.testing.assert_array_equal(labels, np.repeat([y for _, y in whole.dataset], 4))
    config = FrontEndConfig()
    piece = int(0.5 * config.sample_rate)
    for row in (0, 5, 4 * n - 1):  # first piece, a middle one, the last
        path, k = cut.metadata["path"][row], int(cut.metadata["cut"][row])
        audio = audio_io.load_audio(path, config.sample_rate, 0, int(2.0 * config.sample_rate))
        expected = pipeline.waveform_features(audio[k * piece : (k + 1) * piece], config)
        # tf.data's graph and this eager call round differently (2.4e-7 measured).
        np.testing.assert_allclose(elements[row][0], expected.numpy(), rtol=0, atol=1e-5)
    assert elements[0][0].shape == (14, 128, 3)  # 0.5 s at hop 1024: 22 frames, 8 trimmed


def test_segment_table_refuses_a_cut_table_and_a_piece_longer_than_the_clip():
    table = datasets.ExampleTable.from_rows(["x.wav", "y.wav"], ["bus", "tram"])
    cut = pipeline.segment_table(table, 10.0, 1.0)
    assert len(cut) == 20 and cut.labels.tolist() == [0] * 10 + [1] * 10
    with pytest.raises(ValueError, match="already cut"):
        pipeline.segment_table(cut, 10.0, 1.0)
    with pytest.raises(ValueError, match="segment_seconds"):
        pipeline.segment_table(table, 10.0, 11.0)
    assert len(pipeline.segment_table(table, 10.0, 3.0)) == 6  # the last second dropped


def test_runner_cut_keeps_a_recordings_pieces_in_one_split(tau10, tmp_path):
    args, _ = cli.parse_args(
        ["--dataset", "tau2020_mobile", "--data-dir", str(tau10), "--clip-seconds", "1"]
    )
    config, load = presets.resolve(args)
    assert config.crop_frames is None  # 1-s clips are trained whole
    assert load["clip_seconds"] == 1.0
    load.update(cache_dir=str(tmp_path / "cache"), validation_fraction=0.34)
    s = splits_lib.load_splits(**load)
    train_files = len(fakes.TAU_TRAIN_ROWS)
    assert s.sizes["train"] + s.sizes["validation"] == 10 * train_files
    assert s.sizes["test"] == 10 * len(fakes.TAU_EVALUATE_ROWS)
    assert s.feature_shape == (36, 128, 3)  # 1 s at 44.1 kHz, hop 1024: 44 frames, 8 trimmed
    train_paths = set(s.train_metadata["path"].tolist())
    test_paths = set(s.test_metadata["path"].tolist())
    assert not train_paths & test_paths
    # Validation is carved by location: no location (so no recording) on both sides.
    loaded = datasets.tau2020_mobile(tau10, "train", segment_seconds=1.0, progress=False)
    kept, held = splits_lib.split_by_group(loaded.metadata["location"], 0.34, 0)
    assert len(kept) + len(held) == 10 * train_files
    kept_locations = set(loaded.metadata["location"][kept].tolist())
    held_locations = set(loaded.metadata["location"][held].tolist())
    assert len(held) and not kept_locations & held_locations
    assert set(s.train_metadata["location"].tolist()) == kept_locations
    for path in train_paths:  # all ten pieces of a training file are in training
        assert (s.train_metadata["path"] == path).sum() == 10


def test_clip_seconds_over_ten_is_refused_for_tau(tau10, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(
            ["--dataset", "tau2020_mobile", "--data-dir", str(tau10), "--clip-seconds", "12"]
        )
    assert "must be at most 10" in capsys.readouterr().err
