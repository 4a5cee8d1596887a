"""The embedded sources: synthetic scenes (seeded) and espeak-ng digits."""

import numpy as np
import pytest

from keras_specmix import datasets as D
from keras_specmix.datasets import synthetic


def test_synthetic_is_deterministic_and_seed_dependent():
    a = D.generate_synthetic_scenes("validation", seed=1, num_locations=3,
                                    clips_per_location=1, clip_seconds=0.5)
    b = D.generate_synthetic_scenes("validation", seed=1, num_locations=3,
                                    clips_per_location=1, clip_seconds=0.5)
    c = D.generate_synthetic_scenes("validation", seed=2, num_locations=3,
                                    clips_per_location=1, clip_seconds=0.5)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], c[0])
    assert a[0].dtype == np.float32 and np.abs(a[0]).max() <= 1.0
    np.testing.assert_array_equal(a[1], np.arange(10))


def test_synthetic_splits_are_location_disjoint_and_hold_out_devices():
    metas = {s: D.generate_synthetic_scenes(s, seed=0, num_locations=4,
                                            clips_per_location=9,
                                            clip_seconds=0.25)[2]
             for s in synthetic.SPLITS}
    locs = {s: set(m["location"]) for s, m in metas.items()}
    assert not locs["train"] & locs["validation"]
    assert not locs["train"] & locs["test"] and not locs["validation"] & locs["test"]
    assert not set(synthetic.UNSEEN_DEVICES) & set(metas["train"]["device"])
    assert set(metas["test"]["device"]) == set(synthetic.DEVICES)


def test_synthetic_dataset_shapes_and_errors():
    ds = D.synthetic_scenes("test", num_locations=3, clips_per_location=1,
                            return_metadata=True)
    x, y, meta = next(iter(ds))
    assert x.shape == (118, 64, 3) and ds.class_names == synthetic.CLASS_NAMES
    assert meta["device"].numpy().decode() in synthetic.DEVICES
    with pytest.raises(ValueError, match="split"):
        D.synthetic_scenes("dev")
    with pytest.raises(ValueError, match="num_locations"):
        D.synthetic_scenes(num_locations=2)


def test_synthetic_paper_shape_path():
    ds = D.synthetic_scenes("validation", num_locations=3, clips_per_location=1,
                            paper_shape=True, clip_seconds=10.0)
    batch = next(iter(D.random_crop(ds.repeat(), 400, seed=0).batch(32)))
    assert batch[0].shape == (32, 400, 128, 3)


def test_spoken_digits_hold_out_voices(tmp_path):
    train = D.spoken_digits("train", data_dir=tmp_path)
    test = D.spoken_digits("test", data_dir=tmp_path, return_metadata=True)
    assert train.class_names[7] == "seven"
    assert not set(train.metadata["voice"]) & set(test.metadata["voice"])
    x, y, meta = next(iter(test))
    assert x.shape == (118, 64, 3) and np.isfinite(x.numpy()).all()
    assert x.numpy()[..., 0].max() > -5  # real speech energy, not silence
    assert len(train.metadata["path"]) == 4 * 8 * 10
