"""The peers measured beside keras_specmix, on the same batch.

* Keras 3 ``keras.layers.MixUp`` and ``keras.layers.CutMix`` (image layers,
  called on ``{"images", "labels"}``; they do not compile under XLA).
* tensorflow-io ``tfio.audio.freq_mask`` + ``time_mask``: one 2-D
  spectrogram at a time, so over a batch they need ``tf.map_fn``; one
  channel only.
* A NumPy version of the SpecMix authors' generator (GT-KIM/specmix,
  ``masking``): a Python loop that builds one mask per example.
"""

import numpy as np
import tensorflow as tf


def keras_mixup(alpha=0.4):
    import keras

    layer = keras.layers.MixUp(alpha=alpha, seed=0)
    return tf.function(lambda x, y: layer({"images": x, "labels": y}, training=True))


def keras_cutmix():
    import keras

    layer = keras.layers.CutMix(seed=0)
    return tf.function(lambda x, y: layer({"images": x, "labels": y}, training=True))


def tfio_masks(freq_param=27, time_param=100):
    """tfio freq + time masks over the batch, on channel 0 only; None if
    tensorflow-io's ops cannot load (TF 2.18+)."""
    try:
        import tensorflow_io as tfio
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None

    def one(spectrogram):
        return tfio.audio.time_mask(tfio.audio.freq_mask(spectrogram, freq_param), time_param)

    return tf.function(lambda x: tf.map_fn(one, x[..., 0]))


def numpy_specmix(x, y, gamma=0.3, rng=np.random.default_rng(0)):
    """The authors' per-example NumPy loop (clean axes), mixing with the
    next example: x and y are NumPy arrays (batch, time, freq, channels)."""
    batch, time, freq = x.shape[:3]
    out_x, out_y = np.empty_like(x), np.empty_like(y)
    for b in range(batch):
        mask = np.ones((time, freq), x.dtype)
        for _ in range(rng.integers(3)):
            start = rng.integers(int((1 - gamma) * freq))
            mask[:, start : start + int(gamma * freq)] = 0
        for _ in range(rng.integers(3)):
            start = rng.integers(int((1 - gamma) * time))
            mask[start : start + int(gamma * time), :] = 0
        lam = mask.mean()
        partner = (b + 1) % batch
        out_x[b] = mask[..., None] * x[b] + (1 - mask[..., None]) * x[partner]
        out_y[b] = lam * y[b] + (1 - lam) * y[partner]
    return out_x, out_y
