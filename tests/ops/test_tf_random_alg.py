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
