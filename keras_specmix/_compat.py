"""Every private TensorFlow and Keras hook the package relies on, in one place.

Public APIs do not expose these facts; each hook below says what it reads,
why, and what happens if a future release removes it. ``tests/test_compat.py``
checks each one on the installed versions, so a release that breaks one
fails CI, naming the hook and the versions, instead of changing behaviour
silently.

Two private Keras methods are overridden rather than called, so they cannot
live here; ``OVERRIDDEN`` names them and the tests check that Keras still
defines and calls them.
"""

import importlib
import sys
import types

import tensorflow as tf

#: Private Keras methods that keras_specmix overrides (see the module docstring):
#: ``SpectrogramAugmentation._trackable_children`` adds the seed state to a
#: ``tf.Module``'s checkpoint; ``MixingTrainStepMixin._symbolic_build`` shows
#: Keras the mixed label shape before the first step.
OVERRIDDEN = (
    "keras.layers.Layer._trackable_children",
    "keras.Model._symbolic_build",
)


def keras_backend_module(backend, module):
    """``keras.src.backend.<backend>.<module>``: the functions behind ``keras.ops``.

    ``keras.ops`` dispatches on the Keras backend; the core needs the
    functions of the backend its *values* live on (TensorFlow inside
    ``tf.data`` whatever the Keras backend), which only these private
    modules give. Read once per backend by ``ops._backend.BackendFunctions``.
    """
    return importlib.import_module(f"keras.src.backend.{backend}.{module}")


def torch_device():
    """The device Keras' PyTorch backend puts new tensors on (its private ``get_device``)."""
    from keras.src.backend.torch.core import get_device

    return get_device()


def accept_raw_inputs(layer):
    """Makes Keras pass ``layer``'s call inputs as given: no autocast, dicts allowed.

    Keras' private ``_convert_input_args`` and
    ``_allow_non_tensor_positional_args`` flags: the layer validates its own
    inputs and keeps their dtype.
    """
    layer._convert_input_args = False
    layer._allow_non_tensor_positional_args = True


def own_variables(layer):
    """``layer``'s own variables in the order Keras saves them (``save_own_variables``).

    Keras' ``Layer.save_own_variables`` writes ``_trainable_variables +
    _non_trainable_variables`` under the keys ``"0"``, ``"1"``, ...
    """
    return layer._trainable_variables + layer._non_trainable_variables


#: Prefix of the graphs ``tf.data`` traces its functions in
#: (``Dataset_map_<fn>``, ``Dataset_filter_<fn>``, ...), TF 2.16 to 2.21.
_TF_DATA_GRAPH_PREFIX = "Dataset_"


def in_tf_data_function():
    """Whether the code running now is being traced into a ``tf.data`` function.

    Reads the names of the enclosing ``FuncGraph`` chain: ``tf.data`` names
    its function graphs ``Dataset_<transformation>_<fn>``. A nested
    ``tf.function`` inside a map is found through ``outer_graph``.

    Returns:
        bool. False when eager, or in a graph that no dataset traced.
    """
    if tf.executing_eagerly():
        return False
    graph = tf.compat.v1.get_default_graph()
    while graph is not None:
        if str(getattr(graph, "name", "") or "").startswith(_TF_DATA_GRAPH_PREFIX):
            return True
        graph = getattr(graph, "outer_graph", None)
    return False


def in_xla_context():
    """Whether the code being traced will be compiled by XLA.

    Uses ``tensorflow.python.ops.control_flow_util`` (private). If TensorFlow
    moves it, this returns False: callers then add their run-time checks
    and XLA drops them with a warning, which is loud, not wrong.
    """
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - keep the check if TF moves it
        return False
    graph = tf.compat.v1.get_default_graph()
    return bool(control_flow_util.GraphOrParentsInXlaContext(graph))


def call_context(layer):
    """Keras' call context of ``layer``'s current call (``entry_layer``, ``training``).

    ``keras.layers.Layer._get_call_context`` is private; it tells which layer
    the user called (the outermost one) and the training flag it resolved.
    """
    return layer._get_call_context()


def sublayers(layer):
    """``layer`` and every layer nested in it (Keras' private ``_flatten_layers``)."""
    return list(layer._flatten_layers(include_self=True, recursive=True))


#: Keras' export code (``Model.export``, ``keras.export.ExportArchive``),
#: Keras 3.11 to 3.15.
_KERAS_EXPORT_MODULE = "keras.src.export"


def in_keras_export():
    """Whether Keras' export code is on the call stack (``model.export()`` tracing the model).

    Keras traces the model for export without a ``training`` argument and
    says nothing else about it, so this looks for a frame of the
    ``keras.src.export`` package (``Model.export``, ``ExportArchive``)
    among the callers. Only read when a layer is about to warn, so the walk
    costs nothing on other calls. If Keras moves that package, this returns
    False and exporting an augmentation pipeline warns again: loud, not wrong.

    Returns:
        bool.
    """
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name == _KERAS_EXPORT_MODULE or name.startswith(_KERAS_EXPORT_MODULE + "."):
            return True
        frame = frame.f_back
    return False


def tf_variable(variable):
    """The ``tf.Variable`` behind a Keras variable on the TensorFlow backend.

    Keras 3 wraps it as ``variable.value``; needed for TensorFlow's atomic
    ``RngReadAndSkip``, which takes a resource handle.
    """
    value = getattr(variable, "value", variable)
    return value if hasattr(value, "handle") else None


def is_traced(value):
    """Whether ``value`` is a JAX tracer or a tensor PyTorch is compiling.

    Such values have no concrete contents, so checks on them cannot run.
    """
    if type(value).__module__.split(".")[0] in ("jax", "jaxlib"):
        import jax

        return isinstance(value, jax.core.Tracer)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return bool(torch.compiler.is_compiling())
    return False


def jax_process():
    """``(process index, process count)`` of JAX, or ``(0, 1)`` when JAX is not in use.

    Read only when the Keras backend is JAX and JAX is already imported, so
    other backends never import it.
    """
    import keras

    jax = sys.modules.get("jax")
    if jax is None or keras.backend.backend() != "jax":
        return 0, 1
    return jax.process_index(), jax.process_count()


def first_batch(iterator):
    """The first batch of a Keras epoch iterator, as ``Trainer._symbolic_build`` reads it.

    Keras 3 epoch iterators yield ``(begin_step, end_step, data)`` where
    ``data`` is a list of batches or an iterator over them (Keras'
    ``Trainer._symbolic_build`` reads the first batch the same way).
    """
    for _, _, data in iterator:
        if isinstance(data, (list, tuple)):
            return data[0]
        return next(data)
    return None


def op_determinism(enabled=None):
    """Reads, and with ``enabled`` sets, TensorFlow's process-wide op determinism.

    ``tf.config.experimental.enable_op_determinism`` is public; reading the
    switch and turning it off again are only in the private
    ``tensorflow.python.framework.config``. The experiment runner turns it on
    for bit-identical reruns and restores it afterwards (it also runs
    in-process, in tests and notebooks).

    Args:
        enabled: None (only read), True or False.

    Returns:
        bool, whether op determinism was on before this call.
    """
    from tensorflow.python.framework import config

    before = bool(config.is_op_determinism_enabled())
    if enabled is not None:
        (config.enable_op_determinism if enabled else config.disable_op_determinism)()
    return before
