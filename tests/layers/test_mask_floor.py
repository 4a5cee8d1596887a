"""mask_value="floor": masking log features as the DCASE baseline masks the power.

The DCASE 2025 Task 1 baseline (``CPJKU/dcase2025_task1_baseline``,
``train_base.py``, ``mel_forward``) masks the mel *power* spectrogram with
torchaudio's ``FrequencyMasking(48, iid_masks=True)`` (fill 0) and then takes
``(x + 1e-5).log()``: a masked bin becomes ``log(1e-5)``. On log features,
``mask_value="floor", log_offset=1e-5`` gives the same numbers, bit for bit.

The test runs on the Keras backend in use (run it with ``KERAS_BACKEND=jax`` or
``torch`` too): the log is that backend's, on both sides.
"""

import keras
import numpy as np
import pytest

import keras_specmix as ks

EPS = 1e-5  # the baseline's log offset
MEL_BINS, FRAMES = 256, 65  # the baseline's 256 mel bins; 1 s at hop 500 / 32 kHz


def _power(batch=16, seed=0):
    rng = np.random.default_rng(seed)
    power = rng.lognormal(mean=-4.0, sigma=4.0, size=(batch, FRAMES, MEL_BINS, 1))
    power[:, :, :10] = 0.0  # silent bins sit on the floor already
    return power.astype("float32")


@pytest.mark.parametrize(
    "layer_cls, kwargs",
    [
        (ks.FrequencyMasking, {"freq_mask_param": 48, "num_freq_masks": 1}),  # the baseline
        (ks.TimeMasking, {"time_mask_param": 20, "num_time_masks": 2}),
        (
            ks.SpecAugment,
            {"time_warp_param": 0, "freq_mask_param": 48, "time_mask_param": 20},
        ),
    ],
)
def test_floor_masking_of_log_features_equals_masking_the_power_before_the_log(layer_cls, kwargs):
    power = keras.ops.convert_to_tensor(_power())
    log_features = keras.ops.log(power + EPS)
    floor = layer_cls(mask_value="floor", log_offset=EPS, **kwargs)
    zero = layer_cls(mask_value=0.0, **kwargs)
    for seed in range(4):
        masked_log = floor.augment(log_features, [seed, 9])
        reference = keras.ops.log(zero.augment(power, [seed, 9]) + EPS)
        masked_log = keras.ops.convert_to_numpy(masked_log)
        reference = keras.ops.convert_to_numpy(reference)
        np.testing.assert_array_equal(masked_log, reference)
        changed = masked_log != keras.ops.convert_to_numpy(log_features)
        assert changed.any(), "no cell was masked: the test would prove nothing"
        assert np.all(masked_log[changed] == np.float32(masked_log[changed][0]))
    # The fill is the floor log(1e-5) = -11.51, not 0 (what mask_value=0.0 gives).
    np.testing.assert_allclose(masked_log[changed][0], np.log(EPS), rtol=1e-6)


def test_floor_needs_a_log_offset_and_a_log_offset_needs_the_floor():
    with pytest.raises(ValueError, match="log_offset"):
        ks.FrequencyMasking(mask_value="floor")
    with pytest.raises(ValueError, match="ignored"):
        ks.TimeMasking(mask_value=0.0, log_offset=1e-5)
    with pytest.raises(ValueError, match="log_offset"):
        ks.SpecAugment(mask_value="floor", log_offset=0.0)
    with pytest.raises(ValueError, match="mask_value"):
        ks.SpecAugment(mask_value="minimum")


def test_floor_settings_round_trip_through_the_config():
    layer = ks.SpecAugment(mask_value="floor", log_offset=1e-8, policy="LB")
    config = layer.get_config()
    assert config["mask_value"] == "floor" and config["log_offset"] == 1e-8
    clone = ks.SpecAugment.from_config(config)
    assert clone.get_config() == config
    # Configs written before log_offset existed still load.
    old = {k: v for k, v in ks.FrequencyMasking(mask_value=-1.0).get_config().items()}
    old.pop("log_offset")
    assert ks.FrequencyMasking.from_config(old).log_offset is None


def test_floor_masking_in_a_tf_data_map_matches_too():
    """In tf.data (TensorFlow whatever the backend), with the library's
    augment_dataset-style explicit seeds: the same equality, bit for bit."""
    import tensorflow as tf

    power = _power(batch=8, seed=1)
    floor = ks.FrequencyMasking(48, 1, mask_value="floor", log_offset=EPS)
    zero = ks.FrequencyMasking(48, 1, mask_value=0.0)

    def both(p, seed):
        masked_log = floor.augment(tf.math.log(p + EPS), seed)
        return masked_log, tf.math.log(zero.augment(p, seed) + EPS)

    ds = tf.data.Dataset.from_tensors(power).repeat(3).enumerate()
    ds = ds.map(lambda i, p: both(p, tf.stack([tf.cast(i, tf.int32), 5])))
    unmasked = tf.math.log(power + EPS).numpy()
    for masked_log, reference in ds:
        np.testing.assert_array_equal(masked_log.numpy(), reference.numpy())
        assert np.any(masked_log.numpy() != unmasked), "nothing was masked"
