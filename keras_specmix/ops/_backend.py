"""Which backend a functional-core call runs on, and its stateless random draws.

Every algorithm in ``keras_specmix.ops`` is written once, against the flat,
NumPy-like namespace returned by ``namespace(*values)``: ``xp.where``,
``xp.take``, ``xp.cast``, ``xp.shape``, ... are the functions of one Keras
backend (``keras.src.backend.<name>.numpy``/``core``/``nn``/``math``, the
functions behind ``keras.ops``), chosen from the values themselves:

* any TensorFlow tensor (or a call traced into a TensorFlow graph, such as
  a ``tf.data`` map) runs on TensorFlow, whatever ``KERAS_BACKEND`` says:
  this is how Keras' own preprocessing layers run inside ``tf.data``;
* a JAX array (a tracer inside ``jit`` too) runs on JAX, a ``torch.Tensor``
  on PyTorch;
* anything else (Python numbers, NumPy arrays) on the Keras backend.

The functions the core may call are declared once, in ``BackendFunctions``
(one field per function, with the Keras backend module it comes from);
``xp.<name>`` for a name not declared there is an ``AttributeError`` naming
the table, and a backend whose Keras lacks a declared function fails when
its table is built, naming the function, the module and the Keras version.
``tests/ops/test_backend_table.py`` checks that every ``xp.<name>`` the
package calls is declared.

The namespace also draws stateless random numbers: ``uniform``, ``normal``,
``split`` and ``fold_in`` of a shape-``[2]`` seed, delegated to the
per-backend generators of ``keras_specmix.ops.random`` (the only per-backend
code of the core).
"""

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_specmix import _compat

TENSORFLOW = "tensorflow"
JAX = "jax"
TORCH = "torch"
BACKENDS = (TENSORFLOW, JAX, TORCH)


def backend_of(*values):
    """The backend that computes on ``values``: see the module docstring.

    Args:
        *values: tensors, arrays, numbers or None, in any mix.

    Returns:
        ``"tensorflow"``, ``"jax"`` or ``"torch"``.

    Examples:
        >>> backend_of(tf.zeros([2]), 3)
        'tensorflow'
    """
    torch = sys.modules.get("torch")
    found = None
    for value in values:
        if value is None or isinstance(value, (int, float, bool, np.ndarray, np.generic)):
            continue
        if isinstance(value, (tf.Tensor, tf.Variable, tf.RaggedTensor)):
            return TENSORFLOW
        if isinstance(value, keras.Variable):
            found = found or keras.backend.backend()
            continue
        if torch is not None and isinstance(value, torch.Tensor):
            found = found or TORCH
            continue
        if type(value).__module__.split(".")[0] in ("jax", "jaxlib"):
            found = found or JAX
    if found is not None:
        return found
    if tf.inside_function():
        return TENSORFLOW
    return keras.backend.backend()


def namespace(*values):
    """The ops namespace for ``values`` (see ``backend_of``).

    Args:
        *values: tensors, arrays, numbers or None.

    Returns:
        An ``Ops`` namespace.

    Examples:
        >>> xp = namespace(tf.constant([1.0, 2.0]))
        >>> xp.name, xp.where(tf.constant([True, False]), 1.0, 0.0).numpy().tolist()
        ('tensorflow', [1.0, 0.0])
    """
    return ops_for(backend_of(*values))


def shape_of(x):
    """``keras.ops.shape(x)`` on ``x``'s own backend: ints, or scalar tensors
    for the dimensions TensorFlow knows only at run time.

    Examples:
        >>> shape_of(tf.zeros([2, 3]))
        (2, 3)
    """
    return namespace(x).shape(x)


def shape_tuple(shape):
    """A shape as a tuple of ints or scalar tensors; a 1-D shape tensor is unstacked.

    Examples:
        >>> shape_tuple([2, 3]), shape_tuple(np.array([4, 5]))
        ((2, 3), (4, 5))
    """
    if isinstance(shape, (list, tuple)):
        return tuple(shape)
    if isinstance(shape, np.ndarray):
        return tuple(int(s) for s in shape)
    xp = namespace(shape)
    shape = xp.cast(shape, "int32")
    return tuple(shape[i] for i in range(int(shape.shape[0])))


def has_float64(xp):
    """Whether the backend of ``xp`` computes in float64 (JAX only in x64 mode)."""
    if xp.name != JAX:
        return True
    import jax

    return bool(jax.config.read("jax_enable_x64"))


#: One ``Ops`` per backend. A plain dict, not ``functools.cache``: ``torch.compile``
#: skips the cache wrapper and would build (and import) a new namespace on every
#: call, breaking the graph at each one.
_NAMESPACES: dict[str, "Ops"] = {}


def ops_for(name):
    """The ``Ops`` namespace of the backend ``name``, one instance per backend.

    Args:
        name: ``"tensorflow"``, ``"jax"`` or ``"torch"``.

    Returns:
        An ``Ops`` namespace.

    Raises:
        ValueError: for another name.
    """
    ops = _NAMESPACES.get(name)
    if ops is None:
        if name not in BACKENDS:
            raise ValueError(f"`name` must be one of {BACKENDS}. Received: name={name!r}")
        ops = _NAMESPACES[name] = Ops(name)
    return ops


#: The Keras backend module (``keras.src.backend.<name>.<module>``) each
#: function of ``BackendFunctions`` is read from, the same on every backend.
_SOURCES = {
    "numpy": (
        "abs", "all", "any", "arange", "argmax", "argsort", "broadcast_to", "ceil", "clip",
        "concatenate", "equal", "exp", "expand_dims", "floor", "full", "isfinite", "isnan",
        "log", "log1p", "logaddexp", "matmul", "max", "maximum", "minimum", "mod", "ones", "power",
        "reshape", "sort", "sqrt", "squeeze", "stack", "sum", "take", "take_along_axis",
        "transpose", "where", "zeros",
    ),
    "core": ("cast", "convert_to_tensor", "shape", "stop_gradient"),
    "nn": ("one_hot", "sigmoid"),
    "math": ("irfft", "rfft"),
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class BackendFunctions:
    """Every backend function the backend-neutral core calls, one field each.

    Each field is the function behind ``keras.ops.<field>`` on one backend
    (read from the module ``_SOURCES`` names). The core calls them as
    ``xp.<field>`` (an ``Ops`` namespace); a function the core needs is
    added here first.
    """

    abs: Callable
    all: Callable
    any: Callable
    arange: Callable
    argmax: Callable
    argsort: Callable
    broadcast_to: Callable
    cast: Callable
    ceil: Callable
    clip: Callable
    concatenate: Callable
    convert_to_tensor: Callable
    equal: Callable
    exp: Callable
    expand_dims: Callable
    floor: Callable
    full: Callable
    irfft: Callable
    isfinite: Callable
    isnan: Callable
    log: Callable
    log1p: Callable
    logaddexp: Callable
    matmul: Callable
    max: Callable
    maximum: Callable
    minimum: Callable
    mod: Callable
    one_hot: Callable
    ones: Callable
    power: Callable
    reshape: Callable
    rfft: Callable
    shape: Callable
    sigmoid: Callable
    sort: Callable
    sqrt: Callable
    squeeze: Callable
    stack: Callable
    stop_gradient: Callable
    sum: Callable
    take: Callable
    take_along_axis: Callable
    transpose: Callable
    where: Callable
    zeros: Callable

    @classmethod
    def load(cls, name):
        """The functions of the backend ``name``, read from its Keras modules.

        Args:
            name: ``"tensorflow"``, ``"jax"`` or ``"torch"``.

        Returns:
            A ``BackendFunctions``.

        Raises:
            ImportError: naming the function, its module and the Keras
                version, when the installed Keras lacks one.

        Examples:
            >>> BackendFunctions.load("tensorflow").where is not None
            True
        """
        functions = {}
        for module_name, fields in _SOURCES.items():
            module = _compat.keras_backend_module(name, module_name)
            for field in fields:
                fn = getattr(module, field, None)
                if not callable(fn):
                    raise ImportError(
                        f"keras_specmix needs `{field}` from keras.src.backend.{name}."
                        f"{module_name}, which Keras {keras.__version__} does not have."
                    )
                functions[field] = fn
        return cls(**functions)


def _check_sources():
    """The table and ``_SOURCES`` name the same functions (checked at import)."""
    declared = {field.name for field in dataclasses.fields(BackendFunctions)}
    sourced = [name for names in _SOURCES.values() for name in names]
    if sorted(sourced) != sorted(declared):
        raise ImportError(
            "BackendFunctions and _SOURCES disagree: "
            f"{sorted(set(declared) ^ set(sourced))}, or a name listed twice."
        )


_check_sources()


class Ops:
    """keras.ops-style functions of one backend, plus its stateless random draws.

    ``xp.where`` is the backend's ``where`` of ``BackendFunctions``; a name
    the table does not declare raises ``AttributeError``.
    """

    def __init__(self, name):
        from keras_specmix.ops import random as random_ops  # imports this module

        self.name = name
        self.functions = BackendFunctions.load(name)
        for field in dataclasses.fields(self.functions):
            setattr(self, field.name, getattr(self.functions, field.name))
        self._rng: Any = random_ops.backend_random(name)

    def __getattr__(self, attr):
        raise AttributeError(
            f"{attr!r} is not a backend function of keras_specmix: declare it in "
            "keras_specmix.ops._backend.BackendFunctions (and _SOURCES)."
        )

    def __repr__(self):
        return f"Ops({self.name!r})"

    # ------------------------------------------------------------ random
    def as_seed(self, seed):
        """A shape-``[2]`` seed tensor of this backend from an int or a pair."""
        if isinstance(seed, (int, np.integer)):
            seed = [int(seed), 0]
        return self._rng.as_seed(seed)

    def uniform(self, seed, shape, dtype="float32", minval=0.0, maxval=1.0):
        """Uniform draws in ``[minval, maxval)``, a pure function of ``seed``."""
        return self._rng.uniform(self.as_seed(seed), _shape(shape), dtype, minval, maxval)

    def normal(self, seed, shape, dtype="float32"):
        """Standard normal draws, a pure function of ``seed``."""
        return self._rng.normal(self.as_seed(seed), _shape(shape), dtype)

    def split(self, seed, num):
        """``num`` independent seeds derived from ``seed``, as a list."""
        return self._rng.split(self.as_seed(seed), int(num))

    def fold_in(self, seed, data):
        """A new seed from ``seed`` and an integer ``data`` (a replica id, a process index)."""
        return self._rng.fold_in(self.as_seed(seed), data)


def _shape(shape):
    """A shape as a tuple, or as is when it is a tensor (dynamic, TensorFlow)."""
    if isinstance(shape, (list, tuple)):
        return tuple(shape)
    return shape
