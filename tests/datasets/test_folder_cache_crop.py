"""The user's folder/CSV reader, the feature cache and the random crop."""

import os

import numpy as np
import pytest
import tensorflow as tf

from keras_specmix import datasets as D
from keras_specmix.datasets import cache as cache_lib
from keras_specmix.datasets.fakes import tone
from keras_specmix.datasets.fakes import write_wav
from keras_specmix.features import FrontEndConfig

SMALL = FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16)


def _folder(tmp_path, classes=("dog", "cat"), per_class=4):
    for c, name in enumerate(classes):
        for i in range(per_class):
            write_wav(
                str(tmp_path / "data" / name / f"{i}.wav"),
                tone(0.2, 16000, 200 + 300 * c + 20 * i),
                16000,
                16,
            )
    return tmp_path / "data"


def test_from_directory_labels_and_split(tmp_path):
    root = _folder(tmp_path)
    ds = D.from_directory(root, config=SMALL, clip_seconds=0.2)
    assert ds.class_names == ("cat", "dog")
    labels = [int(y) for _, y in ds]
    assert labels == [0] * 4 + [1] * 4
    train, val = D.from_directory(root, config=SMALL, validation_split=0.25, subset="both", seed=3)
    assert len(train.metadata["path"]) == 6 and len(val.metadata["path"]) == 2
    assert not set(train.metadata["path"]) & set(val.metadata["path"])
    with pytest.raises(ValueError, match="seed"):
        D.from_directory(root, config=SMALL, validation_split=0.25, subset="training")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        D.from_directory(tmp_path / "nowhere")


def test_from_csv_splits_by_group(tmp_path):
    root = _folder(tmp_path)
    rows = ["path,label,device"]
    for name in ("cat", "dog"):
        rows += [f"{name}/{i}.wav,{name},dev{i % 4}" for i in range(4)]
    (root / "list.csv").write_text("\n".join(rows) + "\n")
    train, val = D.from_csv(
        root / "list.csv", config=SMALL, validation_split=0.5, subset="both", seed=0
    )
    assert not set(train.metadata["group"]) & set(val.metadata["group"])
    assert len(set(val.metadata["group"])) == 2
    assert len(train.metadata["group"]) + len(val.metadata["group"]) == 8
    (root / "bad.csv").write_text("path,label\ncat/0.wav\n")
    with pytest.raises(ValueError, match="bad.csv.*line 2"):
        D.from_csv(root / "bad.csv")


def test_from_csv_refuses_a_first_row_that_names_an_existing_file(tmp_path):
    # Without a header the first example would be read as one and dropped, silently.
    root = _folder(tmp_path)
    (root / "no_header.csv").write_text("cat/0.wav,cat\ncat/1.wav,cat\ndog/0.wav,dog\n")
    with pytest.raises(ValueError, match=r"no_header.csv.*first row.*cat/0.wav.*header"):
        D.from_csv(root / "no_header.csv", config=SMALL)


def test_cache_round_trip_and_key(tmp_path):
    root = _folder(tmp_path)
    fresh = list(D.from_directory(root, config=SMALL).as_numpy_iterator())
    cached = D.from_directory(root, config=SMALL, cache_dir=tmp_path / "c", progress=False)
    again = D.from_directory(root, config=SMALL, cache_dir=tmp_path / "c", progress=False)
    for (x0, y0), (x1, y1), (x2, y2) in zip(
        fresh, cached.as_numpy_iterator(), again.as_numpy_iterator()
    ):
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(x1, x2)
        assert y0 == y1 == y2
    assert len(os.listdir(tmp_path / "c")) == 1
    other = FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=8)
    D.from_directory(root, config=other, cache_dir=tmp_path / "c", progress=False)
    assert len(os.listdir(tmp_path / "c")) == 2  # keyed by the front end


def test_interrupted_cache_never_loads(tmp_path):
    def source():  # any iterable of (features, label) works; Ctrl-C at item 3
        for i in range(5):
            if i == 3:
                raise KeyboardInterrupt
            yield tf.fill([4, 2], float(i)), i

    with pytest.raises(KeyboardInterrupt):
        cache_lib.cached_dataset(source, tmp_path, "demo", "k", progress=False)
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="demo-k"):
        D.read_feature_cache(tmp_path / "demo-k")
    ok = tf.data.Dataset.from_tensor_slices((np.ones([3, 4, 2], np.float32), [0, 1, 2]))
    ds = cache_lib.cached_dataset(lambda: ok, tmp_path, "demo", "k", progress=False)
    assert [int(y) for _, y in ds] == [0, 1, 2]
    os.remove(tmp_path / "demo-k" / "manifest.json")  # a half-written cache
    assert cache_lib.read_manifest(tmp_path / "demo-k") is None


def test_random_crop_is_seeded_and_paper_shaped():
    x = tf.reshape(tf.range(423 * 128 * 3, dtype=tf.float32), [423, 128, 3])
    ds = tf.data.Dataset.from_tensors((x, 1)).repeat(64)
    a = [e[0][0, 0, 0] for e in D.random_crop(ds, 400, seed=7).as_numpy_iterator()]
    b = [e[0][0, 0, 0] for e in D.random_crop(ds, 400, seed=7).as_numpy_iterator()]
    c = [e[0][0, 0, 0] for e in D.random_crop(ds, 400, seed=8).as_numpy_iterator()]
    assert a == b and a != c
    offsets = np.array(a) / (128 * 3)
    assert offsets.min() >= 0 and offsets.max() <= 23 and len(set(offsets)) > 10
    batch = next(iter(D.random_crop(ds, 400, seed=0).batch(32)))
    assert batch[0].shape == (32, 400, 128, 3)
    with pytest.raises(ValueError, match="length"):
        D.random_crop(ds, 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="fewer frames"):
        next(iter(D.random_crop(ds, 500)))


def test_a_second_writer_of_the_same_cache_uses_the_first_ones(tmp_path):
    # Two processes of one job, one cache folder: the one that renames second
    # finds the cache in place (same key, same features) and keeps it.
    from keras_specmix.datasets import cache as cache_lib

    ds = tf.data.Dataset.from_tensor_slices((tf.zeros([3, 2]), tf.range(3, dtype=tf.int64)))
    path = str(tmp_path / "c")
    cache_lib.write_feature_cache(ds, path, progress=False)
    assert cache_lib.write_feature_cache(ds, path, progress=False) == path
    assert [p.name for p in tmp_path.iterdir()] == ["c"]  # no temporary folder left
    assert [int(y) for _, y in cache_lib.read_feature_cache(path)] == [0, 1, 2]
