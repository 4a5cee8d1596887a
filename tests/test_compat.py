"""Each private TensorFlow/Keras hook in ``keras_specmix._compat`` still works.

If a release changes one of them, these tests fail instead of a layer
changing its behaviour without a word.
"""

import keras
import tensorflow as tf

from keras_specmix import _compat


def _probe(fn):
    seen = []

    def record(x):
        seen.append(fn())
        return x

    return seen, record


def test_tf_data_functions_are_recognised_also_through_a_nested_function():
    seen, record = _probe(_compat.in_tf_data_function)
    list(tf.data.Dataset.range(1).map(record))
    list(tf.data.Dataset.range(1).map(lambda i: tf.function(record)(i)))
    list(tf.data.Dataset.range(1).map(record, num_parallel_calls=2))
    list(tf.data.Dataset.range(2).filter(lambda i: record(i) >= 0))
    assert seen == [True, True, True, True]


def test_eager_code_and_plain_tf_functions_are_not_tf_data():
    seen, record = _probe(_compat.in_tf_data_function)
    record(1)
    tf.function(record)(tf.constant(1))
    assert seen == [False, False]


def test_xla_context_is_recognised():
    seen, record = _probe(_compat.in_xla_context)
    tf.function(record, jit_compile=True)(tf.constant(1.0))
    tf.function(record)(tf.constant(1.0))
    assert seen == [True, False]


def test_call_context_names_the_outermost_layer():
    entries = []

    class Probe(keras.layers.Layer):
        def call(self, x):
            entries.append(_compat.call_context(self).entry_layer)
            return x

    probe = Probe()
    model = keras.Sequential([keras.Input((2,)), probe])
    entries.clear()  # building the model called the probe symbolically
    model(tf.zeros([1, 2]))
    probe(tf.zeros([1, 2]))
    assert entries == [model, probe]


def test_sublayers_and_tf_variable():
    inner = keras.layers.Dense(2)
    model = keras.Sequential([keras.Input((2,)), inner])
    assert inner in _compat.sublayers(model) and model in _compat.sublayers(model)
    if keras.backend.backend() == "tensorflow":
        assert hasattr(_compat.tf_variable(inner.kernel), "handle")


def test_op_determinism_is_read_set_and_restored():
    before = _compat.op_determinism()
    try:
        assert _compat.op_determinism(True) is before
        assert _compat.op_determinism() is True
        assert _compat.op_determinism(False) is True
        assert _compat.op_determinism() is False
    finally:
        _compat.op_determinism(before)
    assert _compat.op_determinism() is before
