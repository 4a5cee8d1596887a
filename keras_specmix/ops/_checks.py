"""Run-time checks of tensor values, written once for every backend.

A check raises eagerly (``ValueError``) on any backend, becomes a
``tf.debugging.Assert`` in a TensorFlow graph, and is skipped where nothing
can raise at run time (XLA, ``jax.jit``, a tensor PyTorch is compiling).
"""

import keras
import numpy as np
import tensorflow as tf

from keras_specmix import _compat
from keras_specmix._keys import PADDING_MASK
from keras_specmix.ops import _backend


def leading_mask(xp, mask, name):
    """``mask`` after checking that each row's True entries come first.

    Checked eagerly (``ValueError``) on every backend and in TensorFlow
    graphs (``InvalidArgumentError``); XLA and ``jax.jit`` have no run-time
    assertions, so a traced mask there is taken as it is.
    """
    message = (
        f"{name}: `{PADDING_MASK}` must be True on the valid frames, which come "
        "first, then False on the padding (pass `lengths` instead for other "
        "layouts). Received a mask with a False frame before a True one."
    )
    return assert_all(xp, ~xp.any(mask[:, 1:] & ~mask[:, :-1]), message, mask)


def assert_all(xp, condition, message, value, data=()):
    """``value``, after checking the scalar bool ``condition`` where possible.

    Eagerly (any backend) a False ``condition`` raises ``ValueError(message)``;
    in a TensorFlow graph the check becomes a ``tf.debugging.Assert`` that
    ``value`` depends on (``InvalidArgumentError`` at run time, with
    ``data`` printed). Under XLA and inside ``jax.jit`` nothing can raise at
    run time, so ``value`` is returned unchecked.

    Args:
        xp: the backend namespace (``keras_specmix.ops._backend``).
        condition: scalar bool tensor.
        message: the error message.
        value: the tensor to return.
        data: extra tensors shown by a failing graph assertion.

    Returns:
        ``value``.

    Raises:
        ValueError: eagerly, when ``condition`` is False.
    """
    if xp.name == _backend.TENSORFLOW:
        if tf.executing_eagerly():
            if not bool(condition):
                raise ValueError(message + _shown(data))
            return value
        if _compat.in_xla_context():
            return value
        check = tf.debugging.Assert(condition, [message, *data], summarize=64)
        with tf.control_dependencies([check]):
            return tf.identity(value)
    if _compat.is_traced(condition):
        return value
    if not bool(np.asarray(keras.ops.convert_to_numpy(condition))):
        raise ValueError(message + _shown(data))
    return value


def _shown(data):
    return "".join(str(np.asarray(keras.ops.convert_to_numpy(d)).tolist()) for d in data)
