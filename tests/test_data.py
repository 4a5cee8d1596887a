"""tf.data helpers: reproducible under parallelism, new randomness per epoch."""

import numpy as np
import pytest
import tensorflow as tf

import keras_specmix as ks

X = tf.random.stateless_normal([48, 30, 16, 2], seed=[1, 1])
Y = tf.range(48) % 4


def _batches(dataset):
    return [tuple(np.asarray(t) for t in element) for element in dataset]


def _pipeline(parallel, seed=3):
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8)
    return ks.data.augment_dataset(
        ds, ks.SpecMix(num_classes=4), seed=seed, num_parallel_calls=parallel
    )


def test_same_batches_whatever_the_parallelism_and_new_ones_each_epoch():
    serial, parallel = _pipeline(1), _pipeline(tf.data.AUTOTUNE)
    epoch1, epoch1_again = _batches(serial), _batches(parallel)
    for a, b in zip(epoch1, epoch1_again):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    epoch2 = _batches(serial)
    assert not np.array_equal(epoch1[0][0], epoch2[0][0]), "epochs repeat"
    other_seed = _batches(_pipeline(1, seed=4))
    assert not np.array_equal(epoch1[0][0], other_seed[0][0])


def test_tuples_with_sample_weights_and_dicts_keep_their_structure():
    weights = tf.ones([48])
    ds = tf.data.Dataset.from_tensor_slices((X, Y, weights)).batch(8)
    x, y, w = next(iter(ks.data.augment_dataset(ds, ks.MixUp(num_classes=4), seed=0)))
    assert y.shape == (8, 4) and w.shape == (8,)
    ds = tf.data.Dataset.from_tensor_slices({"spectrograms": X, "labels": Y}).batch(8)
    out = next(iter(ks.data.augment_dataset(ds, ks.CutMix(num_classes=4), seed=0)))
    assert set(out) == {"spectrograms", "labels"}


def test_augment_dataset_rejects_non_layers_and_bad_seeds():
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8)
    with pytest.raises(TypeError, match="augmentation"):
        ks.data.augment_dataset(ds, lambda x: x, seed=0)
    with pytest.raises(ValueError, match="seed"):
        ks.data.augment_dataset(ds, ks.MixUp(num_classes=4), seed=-2)
