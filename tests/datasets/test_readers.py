"""TAU 2020 Mobile and SECL-UMONS readers on fake trees in the exact layout."""

import os
import shutil

import numpy as np
import pytest

from keras_specmix import datasets as D
from keras_specmix.datasets.fakes import TAU_TRAIN_ROWS as TAU_TRAIN
from keras_specmix.datasets.fakes import write_wav
from keras_specmix.features import FrontEndConfig

CLIP = 0.3
PAPER = FrontEndConfig()


def test_tau_train_labels_devices_and_shapes(fake_tau):
    ds = D.tau2020_mobile(fake_tau, "train", clip_seconds=CLIP, return_metadata=True)
    assert ds.class_names == ("airport", "bus", "tram")  # from meta.csv, sorted
    elements = list(ds.as_numpy_iterator())
    assert len(elements) == len(TAU_TRAIN)
    x, y, meta = elements[0]
    assert x.shape == PAPER.output_shape(int(CLIP * 44100)) and x.dtype == np.float32
    assert np.isfinite(x).all() and x[..., 0].max() > np.log(1e-8) + 1
    labels = [ds.class_names[e[1]] for e in elements]
    assert labels == [r[0] for r in TAU_TRAIN]
    assert list(ds.metadata["device"]) == [r[4] for r in TAU_TRAIN]
    assert meta["city"] == b"lyon" and meta["location"] == b"lyon-1"
    assert not {"s4", "s5", "s6"} & set(ds.metadata["device"])


def test_tau_splits_are_location_disjoint_and_test_joins_meta(fake_tau):
    train = D.tau2020_mobile_table(fake_tau, "train")
    evaluate = D.tau2020_mobile_table(fake_tau, "evaluate")
    test = D.tau2020_mobile_table(fake_tau, "test")
    assert not set(train.metadata["location"]) & set(evaluate.metadata["location"])
    assert {"s4", "s6"} <= set(evaluate.metadata["device"])
    np.testing.assert_array_equal(test.labels, evaluate.labels)
    every = D.tau2020_mobile_table(fake_tau, "all")
    assert "s10" in set(every.metadata["device"])  # not confused with s1


@pytest.mark.parametrize(
    "name, device",
    [
        ("bus-paris-3-30-s10.wav", "s10"),
        ("audio/x-y-1-2-S1.wav", "s1"),
        ("metro_station-milan-5-9-a.wav", "a"),
    ],
)
def test_parse_tau_filename(name, device):
    assert D.parse_tau_filename(name)["device"] == device


def test_tau_wrong_root_suggests_the_right_one(fake_tau):
    with pytest.raises(FileNotFoundError, match="meta.csv.*Did you mean"):
        D.tau2020_mobile_table(fake_tau.parent, "train")
    with pytest.raises(ValueError, match="split"):
        D.tau2020_mobile_table(fake_tau, "dev")


def test_tau_broken_tree_errors_name_the_file(fake_tau):
    os.remove(fake_tau / "evaluation_setup" / "fold1_evaluate.csv")
    with pytest.raises(FileNotFoundError, match="fold1_evaluate.csv"):
        D.tau2020_mobile_table(fake_tau, "evaluate")
    missing = fake_tau / "audio" / ("-".join(TAU_TRAIN[2]) + ".wav")
    os.remove(missing)
    with pytest.raises(D.AudioFileError, match=missing.name):
        D.tau2020_mobile(fake_tau, "train", clip_seconds=CLIP)
    ds = D.tau2020_mobile(fake_tau, "train", clip_seconds=CLIP, on_error="skip")
    assert len(ds.skipped) == 1 and missing.name in ds.skipped[0][0]
    assert sum(1 for _ in ds) == len(TAU_TRAIN) - 1


def test_tau_comma_separated_meta_is_rejected(fake_tau):
    meta = fake_tau / "meta.csv"
    meta.write_text(meta.read_text().replace("\t", ","))
    with pytest.raises(ValueError, match="meta.csv.*lacks column"):
        D.tau2020_mobile_table(fake_tau)


def test_tau_wrong_rate_is_an_error_unless_resampled(fake_tau):
    victim = fake_tau / "audio" / ("-".join(TAU_TRAIN[0]) + ".wav")
    write_wav(str(victim), np.zeros((4800, 1)) + 0.1, 48000, 24)
    with pytest.raises(D.AudioFileError, match="48000 Hz.*"):
        D.tau2020_mobile(fake_tau, "train", clip_seconds=CLIP)


def test_secl_labels_microphones_and_all_channels(fake_secl):
    ds = D.secl_umons(fake_secl, "train", clip_seconds=0.25, return_metadata=True)
    assert ds.class_names == ("chair_movement", "knock", "whistle")
    items = list(ds.as_numpy_iterator())
    assert len(items) == 6
    assert {ds.class_names[i[1]] for i in items} == set(ds.class_names)
    assert items[0][0].shape[-1] == 3
    mic3 = D.secl_umons_table(fake_secl, "train", microphone=3)
    assert all("_micro3_" in p for p in mic3.paths)
    every = D.secl_umons(fake_secl, "test", clip_seconds=0.25, microphone="all")
    x, y = next(iter(every))
    assert x.shape[-1] == 21
    single = next(iter(D.secl_umons(fake_secl, "test", clip_seconds=0.25, microphone=2)))
    np.testing.assert_allclose(x[..., 6:9], single[0], atol=1e-5)
    assert not np.allclose(x[..., 0:3], single[0])


def test_secl_wrong_root_and_bad_args(fake_secl):
    with pytest.raises(FileNotFoundError, match="unilabel_split1_train.csv"):
        D.secl_umons_table(fake_secl / "Unilabel")
    with pytest.raises(ValueError, match="microphone"):
        D.secl_umons_table(fake_secl, microphone=7)
    shutil.rmtree(fake_secl / "Unilabel")
    with pytest.raises(D.AudioFileError, match="micro0"):
        D.secl_umons(fake_secl, "train", clip_seconds=0.25)
