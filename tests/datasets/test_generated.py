"""The embedded sources: synthetic scenes (seeded) and espeak-ng digits."""

import numpy as np
import pytest

from keras_specmix import datasets as D
from keras_specmix.datasets import synthetic


def test_synthetic_is_deterministic_and_seed_dependent():
    a = D.generate_synthetic_scenes(
        "validation", seed=1, num_locations=3, clips_per_location=1, clip_seconds=0.5
    )
    b = D.generate_synthetic_scenes(
        "validation", seed=1, num_locations=3, clips_per_location=1, clip_seconds=0.5
    )
    c = D.generate_synthetic_scenes(
        "validation", seed=2, num_locations=3, clips_per_location=1, clip_seconds=0.5
    )
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], c[0])
    assert a[0].dtype == np.float32 and np.abs(a[0]).max() <= 1.0
    np.testing.assert_array_equal(a[1], np.arange(10))


def test_synthetic_splits_are_location_disjoint_and_hold_out_devices():
    metas = {
        s: D.generate_synthetic_scenes(
            s, seed=0, num_locations=4, clips_per_location=9, clip_seconds=0.25
        )[2]
        for s in synthetic.SPLITS
    }
    locs = {s: set(m["location"]) for s, m in metas.items()}
    assert not locs["train"] & locs["validation"]
    assert not locs["train"] & locs["test"] and not locs["validation"] & locs["test"]
    assert not set(synthetic.UNSEEN_DEVICES) & set(metas["train"]["device"])
    assert not set(synthetic.UNSEEN_DEVICES) & set(metas["validation"]["device"])
    assert set(metas["test"]["device"]) == set(synthetic.DEVICES)


def test_synthetic_test_scenes_are_recorded_by_a_seen_and_an_unseen_device():
    waves, labels, meta = D.generate_synthetic_scenes(
        "test", seed=0, num_locations=3, clips_per_location=3, clip_seconds=0.25
    )
    assert len(waves) == 10 * 3 * 2 and len(set(meta["segment"])) == 10 * 3
    seen, unseen = meta["device"][0::2], meta["device"][1::2]
    np.testing.assert_array_equal(meta["segment"][0::2], meta["segment"][1::2])
    assert set(seen) <= set(synthetic.SEEN_DEVICES)
    assert set(unseen) <= set(synthetic.UNSEEN_DEVICES)
    np.testing.assert_array_equal(labels[0::2], labels[1::2])


def _band_levels_db(x, sample_rate, num_bands=12):
    """Mean power (dB) in log-spaced bands from 100 Hz to 0.45 * sample_rate."""
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1.0 / sample_rate)
    edges = np.geomspace(100, 0.45 * sample_rate, num_bands + 1)
    bands = [power[(freqs >= lo) & (freqs < hi)].mean() for lo, hi in zip(edges, edges[1:])]
    levels = 10 * np.log10(np.array(bands) + 1e-20)
    return levels - levels.mean()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_unseen_devices_distort_a_scene_more_than_seen_devices(seed):
    sr = 16000
    scene = synthetic.render_scene(
        synthetic.location_params(seed, 4, 0), np.random.default_rng(0), sr, sr
    )
    reference = _band_levels_db(scene, sr)
    distance = {}  # RMS difference of band levels from the reference device's
    for device in synthetic.DEVICES[1:]:
        recorded = synthetic.record(
            scene, synthetic.device_params(seed, device), np.random.default_rng(1), sr
        )
        distance[device] = np.sqrt(np.mean((_band_levels_db(recorded, sr) - reference) ** 2))
    worst_seen = max(distance[d] for d in synthetic.SEEN_DEVICES[1:])
    best_unseen = min(distance[d] for d in synthetic.UNSEEN_DEVICES)
    assert best_unseen > 1.3 * worst_seen, distance
    assert worst_seen > 0.5, distance  # seen devices still colour the sound


def test_synthetic_dataset_shapes_and_errors():
    ds = D.synthetic_scenes("test", num_locations=3, clips_per_location=1, return_metadata=True)
    x, y, meta = next(iter(ds))
    assert x.shape == (118, 64, 3) and ds.class_names == synthetic.CLASS_NAMES
    assert meta["device"].numpy().decode() in synthetic.DEVICES
    with pytest.raises(ValueError, match="split"):
        D.synthetic_scenes("dev")
    with pytest.raises(ValueError, match="num_locations"):
        D.synthetic_scenes(num_locations=2)


def test_synthetic_paper_shape_path():
    ds = D.synthetic_scenes(
        "validation", num_locations=3, clips_per_location=1, paper_shape=True, clip_seconds=10.0
    )
    batch = next(iter(D.random_crop(ds.repeat(), 400, seed=0).batch(32)))
    assert batch[0].shape == (32, 400, 128, 3)


def test_spoken_digits_hold_out_voices(digits_dir):
    train = D.spoken_digits("train", data_dir=digits_dir)
    test = D.spoken_digits("test", data_dir=digits_dir, return_metadata=True)
    assert train.class_names[7] == "seven"
    assert not set(train.metadata["voice"]) & set(test.metadata["voice"])
    x, y, meta = next(iter(test))
    assert x.shape == (118, 64, 3) and np.isfinite(x.numpy()).all()
    assert x.numpy()[..., 0].max() > -5  # real speech energy, not silence
    assert len(train.metadata["path"]) == 4 * 8 * 10
