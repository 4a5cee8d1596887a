"""Freq-MixStyle's per-frequency statistics: the blockwise sums over time (a speed path on
TensorFlow) give the float64 statistics to float32 accuracy, for any time length."""

import numpy as np
import pytest
import tensorflow as tf

from keras_specmix.ops import mix_style


def reference(x, lengths, per_channel):
    axes = (0,) if per_channel else (0, 2)
    means, stds = [], []
    for b, n in enumerate(lengths):
        valid = x[b, :n].astype(np.float64)
        means.append(valid.mean(axis=axes, keepdims=True))
        stds.append(np.sqrt(valid.var(axis=axes, ddof=1, keepdims=True) + 1e-6))
    return np.stack(means), np.stack(stds)


@pytest.mark.parametrize("time_length", [7, 16, 37, 401])
@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("xla", [False, True])
def test_statistics_match_float64_for_every_time_length(time_length, per_channel, xla):
    rng = np.random.default_rng(time_length)
    # log-mel-like: offsets far from zero, a silent (floored) start in one clip
    x = rng.uniform(-25, 5, (3, 1, 5, 2)) + rng.normal(0, 3, (3, time_length, 5, 2))
    x[0, : time_length // 3] = -18.42
    x = x.astype(np.float32)
    lengths = np.array([time_length, max(time_length - 5, 2), 2], np.int32)
    valid = tf.range(time_length)[None, :] < lengths[:, None]

    def stats(t):
        return mix_style.frequency_statistics(t, valid, 1e-6, per_channel)[:2]

    fn = tf.function(stats, jit_compile=True) if xla else stats
    mean, std = (v.numpy() for v in fn(tf.constant(x)))
    want_mean, want_std = reference(x, lengths, per_channel)
    scale = np.abs(x).max()
    np.testing.assert_allclose(mean, want_mean, rtol=0, atol=4e-7 * scale)
    np.testing.assert_allclose(std, want_std, rtol=2e-5)
