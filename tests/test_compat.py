"""Each private TensorFlow/Keras hook in ``keras_specmix._compat`` still works.

If a release changes one of them, these tests fail instead of a layer
changing its behaviour without a word; each failure names the hook and the
installed TensorFlow and Keras versions.
"""

import contextlib
import inspect
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_specmix as ks
from keras_specmix import _compat
from keras_specmix.ops import _backend

VERSIONS = f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
TENSORFLOW_ONLY = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="a TensorFlow-backend hook"
)


def _moved(hook):
    """The failure message: which hook stopped working, on which versions."""
    return (
        f"the private hook `{hook}` no longer works on {VERSIONS}: update keras_specmix/_compat.py"
    )


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
    assert seen == [True, True, True, True], _moved("tf.data graph names `Dataset_*`")


def test_eager_code_and_plain_tf_functions_are_not_tf_data():
    seen, record = _probe(_compat.in_tf_data_function)
    record(1)
    tf.function(record)(tf.constant(1))
    assert seen == [False, False], _moved("tf.data graph names `Dataset_*`")


def test_xla_context_is_recognised():
    seen, record = _probe(_compat.in_xla_context)
    tf.function(record, jit_compile=True)(tf.constant(1.0))
    tf.function(record)(tf.constant(1.0))
    assert seen == [True, False], _moved(
        "tensorflow.python.ops.control_flow_util.GraphOrParentsInXlaContext"
    )


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
    assert entries == [model, probe], _moved("keras.layers.Layer._get_call_context")


def test_sublayers_and_tf_variable():
    inner = keras.layers.Dense(2)
    model = keras.Sequential([keras.Input((2,)), inner])
    layers = _compat.sublayers(model)
    assert inner in layers and model in layers, _moved("keras.layers.Layer._flatten_layers")
    if keras.backend.backend() == "tensorflow":
        assert hasattr(_compat.tf_variable(inner.kernel), "handle"), _moved(
            "keras.Variable.value (a tf.Variable)"
        )


@pytest.mark.parametrize("backend", _backend.BACKENDS)
def test_keras_backend_modules_hold_every_function_of_the_table(backend):
    if backend != "tensorflow":
        pytest.importorskip(backend)  # installed by the JAX and PyTorch CI legs
    try:
        functions = _backend.BackendFunctions.load(backend)
    except ImportError as error:
        pytest.fail(_moved(f"keras.src.backend.{backend}.*") + f": {error}")
    assert callable(functions.where), _moved(f"keras.src.backend.{backend}.numpy")


def test_torch_device_names_a_device():
    pytest.importorskip("torch")
    try:
        device = _compat.torch_device()
    except ImportError as error:
        pytest.fail(_moved("keras.src.backend.torch.core.get_device") + f": {error}")
    assert str(device) in ("cpu", "cuda", "mps") or str(device).startswith("cuda:"), _moved(
        "keras.src.backend.torch.core.get_device"
    )


def test_op_determinism_is_read_and_switched_both_ways():
    hook = "tensorflow.python.framework.config.*_op_determinism"
    try:
        was = _compat.op_determinism()
    except (ImportError, AttributeError) as error:
        pytest.fail(_moved(hook) + f": {error}")
    try:
        tf.config.experimental.enable_op_determinism()  # the public switch
        assert _compat.op_determinism() is True, _moved(hook)
        _compat.op_determinism(False)
        assert _compat.op_determinism() is False, _moved(hook)
        _compat.op_determinism(True)
        assert _compat.op_determinism() is True, _moved(hook)
    finally:
        _compat.op_determinism(was)


def test_raw_inputs_keep_their_dtype_and_dicts_pass():
    hook = "keras.layers.Layer._convert_input_args / _allow_non_tensor_positional_args"

    class Probe(keras.layers.Layer):
        def __init__(self):
            super().__init__(dtype="float32")
            _compat.accept_raw_inputs(self)

        def call(self, inputs):
            return inputs

    out = Probe()(np.zeros([2], "float64"))
    assert keras.backend.standardize_dtype(out.dtype) == "float64", _moved(hook)
    out = Probe()({"spectrograms": np.zeros([2], "float64")})
    assert keras.backend.standardize_dtype(out["spectrograms"].dtype) == "float64", _moved(hook)


def test_own_variables_are_in_the_order_keras_saves_them():
    hook = "keras.layers.Layer._trainable_variables + _non_trainable_variables"
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    own = _compat.own_variables(layer)
    store = {}
    layer.save_own_variables(store)
    assert list(store) == [str(i) for i in range(len(own))], _moved(hook)
    for i, variable in enumerate(own):
        np.testing.assert_array_equal(
            store[str(i)], keras.ops.convert_to_numpy(variable), err_msg=_moved(hook)
        )
    assert own[0] is layer.gamma and own[-1] is layer.moving_variance, _moved(hook)


@TENSORFLOW_ONLY
def test_keras_export_is_recognised_on_the_stack(tmp_path):
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, x):
            seen.append(_compat.in_keras_export())
            return x

    model = keras.Sequential([keras.Input((2,)), Probe()])
    seen.clear()
    model(tf.zeros([1, 2]))
    model.export(str(tmp_path / "exported"), verbose=False)
    assert seen and seen[0] is False, _moved(_compat._KERAS_EXPORT_MODULE)
    assert seen[1:] and all(seen[1:]), _moved(_compat._KERAS_EXPORT_MODULE)


def test_traced_values_are_recognised():
    jax = pytest.importorskip("jax")
    seen = []

    def record(x):
        seen.append(_compat.is_traced(x))
        return x

    jax.jit(record)(jax.numpy.zeros([2]))
    record(jax.numpy.zeros([2]))
    assert seen == [True, False], _moved("jax.core.Tracer")
    torch = sys.modules.get("torch") or pytest.importorskip("torch")
    assert callable(torch.compiler.is_compiling), _moved("torch.compiler.is_compiling")
    assert _compat.is_traced(torch.zeros([2])) is False, _moved("torch.compiler.is_compiling")


def test_overridden_private_methods_are_still_keras_methods():
    for path in _compat.OVERRIDDEN:
        owner_name, method = path.rsplit(".", 1)
        owner = {"keras.layers.Layer": keras.layers.Layer, "keras.Model": keras.Model}[owner_name]
        if method == "_trackable_children" and keras.backend.backend() != "tensorflow":
            continue  # TensorFlow's tracking, only on that backend's layers
        assert callable(getattr(owner, method, None)), _moved(path)
    parameters = inspect.signature(keras.Model._symbolic_build).parameters
    assert {"iterator", "data_batch"} <= set(parameters), _moved("keras.Model._symbolic_build")


@TENSORFLOW_ONLY
def test_a_checkpoint_of_a_module_holds_the_seed_state(tmp_path):
    module = tf.Module()
    module.layer = ks.SpecAugment(seed=0)
    path = tf.train.Checkpoint(module=module).write(str(tmp_path / "ckpt"))
    names = [name for name, _ in tf.train.list_variables(path)]
    assert any("seed_state_variable" in name for name in names), _moved(
        "keras.layers.Layer._trackable_children"
    )


def test_fit_builds_through_symbolic_build_and_first_batch_reads_the_batch():
    """Keras calls ``_symbolic_build`` from ``fit``: with the epoch iterator on
    JAX and PyTorch (read by ``first_batch``), with a batch on TensorFlow under
    a distribution strategy (without one TensorFlow builds when tracing)."""
    hook = "keras.Model._symbolic_build / epoch iterator (begin, end, data)"
    batches = []

    class Probe(keras.Sequential):
        def _symbolic_build(self, iterator=None, data_batch=None):
            if data_batch is None and iterator is not None:
                data_batch = _compat.first_batch(iterator)
            batches.append(data_batch)
            return super()._symbolic_build(data_batch=data_batch)

    scope = contextlib.nullcontext()
    if keras.backend.backend() == "tensorflow":
        scope = tf.distribute.OneDeviceStrategy("/cpu:0").scope()
    with scope:
        model = Probe([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile("sgd", "mse")
    x, y = np.zeros([4, 3], "float32"), np.zeros([4, 2], "float32")
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert len(batches) == 1 and batches[0] is not None, _moved(hook)
    bx, by = batches[0][:2]
    assert tuple(bx.shape) == (2, 3) and tuple(by.shape) == (2, 2), _moved(hook)
