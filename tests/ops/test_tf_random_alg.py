"""TensorFlow draws name Philox: the same numbers as TensorFlow's default algorithm.

``ops.random`` passes ``alg="philox"`` (the default, ``"auto_select"``, is
slow under ``jit_compile=True``); TensorFlow's kernels resolve the default to
Philox, so every eager, ``tf.function`` and ``tf.data`` draw must be unchanged.
"""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_specmix.ops import _backend

_SEEDS = st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31), 2**31 - 1))


@settings(max_examples=25, deadline=None)
@given(seed=_SEEDS, shape=st.lists(st.integers(1, 9), min_size=1, max_size=3))
def test_uniform_and_normal_equal_the_default_algorithm_bit_for_bit(seed, shape):
    seed = tf.constant(seed, tf.int32)
    xp = _backend.namespace(seed)
    ours = xp.uniform(seed, tuple(shape), minval=-2.0, maxval=3.0)
    default = tf.random.stateless_uniform(shape, seed=seed, minval=-2.0, maxval=3.0)
    np.testing.assert_array_equal(ours.numpy(), default.numpy())
    ours = xp.normal(seed, tuple(shape))
    np.testing.assert_array_equal(ours.numpy(), tf.random.stateless_normal(shape, seed).numpy())


@pytest.mark.parametrize("in_function", [False, True])
def test_draws_in_and_out_of_tf_function_equal_the_default(in_function):
    seed = tf.constant([7, -3], tf.int32)
    xp = _backend.namespace(seed)
    draw = lambda s: xp.uniform(s, (4, 50, 3))  # noqa: E731
    if in_function:
        draw = tf.function(draw)
    default = tf.random.stateless_uniform((4, 50, 3), seed=seed)
    np.testing.assert_array_equal(draw(seed).numpy(), default.numpy())


def test_per_cell_draws_are_threefry_under_xla_and_philox_elsewhere():
    # cells=True (AddNoise's full-size noise): XLA's Philox is several times slower there.
    seed = tf.constant([7, -3], tf.int32)
    xp = _backend.namespace(seed)
    shape = (4, 50, 3)

    def draws(alg=None, cells=False, jit=False):
        if alg is None:
            fn = lambda s: xp.uniform(s, shape, cells=cells)  # noqa: E731
        else:
            fn = lambda s: tf.random.stateless_uniform(shape, s, alg=alg)  # noqa: E731
        return tf.function(fn, jit_compile=jit)(seed).numpy()

    np.testing.assert_array_equal(draws(cells=True, jit=True), draws("threefry", jit=True))
    np.testing.assert_array_equal(draws(cells=True), draws("philox"))
    np.testing.assert_array_equal(draws(jit=True), draws("philox", jit=True))
    assert not np.array_equal(draws(cells=True, jit=True), draws(jit=True))


def test_add_noise_under_xla_draws_exponential_noise_reproducibly():
    import keras_specmix as ks

    x = tf.ones((2, 400, 64, 1))  # power 1: the noise is 0.1·e, e ~ Exp(1), at 10 dB
    layer = ks.AddNoise(snr_db_range=(10, 10), domain="power", seed=3)
    fn = tf.function(lambda d: layer.augment(d, [5, 6]), jit_compile=True)
    first, second = fn(x).numpy(), fn(x).numpy()
    np.testing.assert_array_equal(first, second)
    e = ((first - 1.0) / 0.1).ravel()
    # 51,200 draws of Exp(1): mean and variance 1; 5 standard errors of each.
    assert abs(e.mean() - 1.0) < 5 * 1.0 / np.sqrt(e.size), e.mean()
    assert abs(e.var() - 1.0) < 5 * np.sqrt(8.0 / e.size), e.var()
    assert e.min() >= 0.0
