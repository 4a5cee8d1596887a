"""XLA fusion of the apply_* functions gives the results of the plain ops."""

import numpy as np
import pytest
import tensorflow as tf

from keras_specmix.ops import fusion
from keras_specmix.ops import mixing
from keras_specmix.ops import spec_augment
from keras_specmix.ops import warp

X = tf.random.stateless_normal([6, 50, 20, 3], seed=[3, 3])
Y = tf.one_hot(tf.range(6) % 3, 3)


def _pairs():
    specmix = mixing.sample_specmix_params([1, 1], 6, 50, 20, gamma=(0.0, 1.0))
    cutmix = mixing.sample_cutmix_params([1, 2], 6, 50, 20)
    mixup = mixing.sample_mixup_params([1, 3], 6)
    augment = spec_augment.sample_spec_augment_params(
        [1, 4],
        tf.shape(X),
        time_warp_param=5,
        freq_mask_param=5,
        num_freq_masks=2,
        time_mask_param=10,
        num_time_masks=2,
    )
    return [
        (mixing.apply_region_mix, (X, Y, specmix, "union"), True),
        (mixing.apply_region_mix, (X, Y, cutmix, "intersection"), True),
        (mixing.apply_mixup, (X, Y, mixup), False),  # XLA may fuse a*b+c
        (spec_augment.apply_spec_augment, (X, augment, "mean"), False),
        (warp.apply_time_warp, (X, augment), False),
    ]


@pytest.mark.parametrize("index", range(5))
def test_fused_equals_plain_ops(index):
    fn, args, exact = _pairs()[index]
    fused, plain = fn(*args), fn.uncompiled(*args)
    fused, plain = tf.nest.flatten(fused), tf.nest.flatten(plain)
    if exact:  # mask blends select values: the spectrograms are bit-identical
        np.testing.assert_array_equal(fused[0], plain[0])
    for a, b in zip(fused, plain):  # λ and labels may differ by an ulp
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_unknown_shapes_and_disabled_fusion_use_plain_ops():
    calls = []
    probe = fusion.fused(lambda x: (calls.append(tf.executing_eagerly()), x * 2.0)[1])
    probe(X)  # static shape: runs as a compiled tf.function (traced, not eager)
    assert calls == [False]
    fn = tf.function(lambda x: probe(x), input_signature=[tf.TensorSpec([None, None, 20, 3])])
    fn(X)  # unknown dims: traced once as plain ops inside the outer function
    with fusion.disabled():
        assert not fusion.is_enabled()
        probe(X)
        assert calls[-1] is True  # plain eager call
    assert fusion.is_enabled()
