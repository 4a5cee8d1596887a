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

The namespace also holds the only per-backend code of the core, the
stateless random primitives: ``uniform``, ``normal``, ``split`` and
``fold_in`` of a shape-``[2]`` seed. On TensorFlow they are
``tf.random.stateless_*`` (XLA-compilable; the draws of keras_specmix 0.1 and
0.2 on TensorFlow are unchanged), on JAX ``jax.random`` with the seed as a
raw threefry key (``jit``-compatible), on PyTorch a ``torch.Generator``
seeded from the two seed words (eager).
"""

import functools
import importlib
import sys

import keras
import numpy as np
import tensorflow as tf

TENSORFLOW = "tensorflow"
JAX = "jax"
TORCH = "torch"
BACKENDS = (TENSORFLOW, JAX, TORCH)

#: The Keras backend modules searched, in order, for a name.
_MODULES = ("numpy", "core", "nn", "math", "linalg")


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


@functools.cache
def ops_for(name):
    """The ``Ops`` namespace of the backend ``name``, one instance per backend.

    Args:
        name: ``"tensorflow"``, ``"jax"`` or ``"torch"``.

    Returns:
        An ``Ops`` namespace.

    Raises:
        ValueError: for another name.
    """
    if name not in BACKENDS:
        raise ValueError(f"`name` must be one of {BACKENDS}. Received: name={name!r}")
    return Ops(name)


class Ops:
    """keras.ops-style functions of one backend, plus its stateless random draws.

    Attribute lookup searches the backend's ``numpy``, ``core``, ``nn``,
    ``math`` and ``linalg`` modules, in that order (so ``xp.where`` is
    ``keras.ops.where``'s backend function).
    """

    def __init__(self, name):
        self.name = name
        self._modules = [importlib.import_module(f"keras.src.backend.{name}.{m}") for m in _MODULES]
        self._rng = {TENSORFLOW: _TensorFlowRandom, JAX: _JaxRandom, TORCH: _TorchRandom}[name]()

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        for module in self._modules:
            fn = getattr(module, attr, None)
            if callable(fn):
                setattr(self, attr, fn)
                return fn
        raise AttributeError(f"No op named {attr!r} on the {self.name} backend.")

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


class _TensorFlowRandom:
    """``tf.random.stateless_*``: XLA-compilable, the draws of keras_specmix 0.1."""

    def as_seed(self, seed):
        seed = tf.convert_to_tensor(seed)
        if seed.dtype != tf.int32:
            seed = tf.cast(seed, tf.int32)
        return tf.reshape(seed, [2])

    def uniform(self, seed, shape, dtype, minval, maxval):
        if isinstance(shape, tuple):
            shape = tf.stack([tf.cast(s, tf.int32) for s in shape]) if shape else []
        return tf.random.stateless_uniform(
            shape, seed=seed, minval=minval, maxval=maxval, dtype=dtype
        )

    def normal(self, seed, shape, dtype):
        if isinstance(shape, tuple):
            shape = tf.stack([tf.cast(s, tf.int32) for s in shape]) if shape else []
        return tf.random.stateless_normal(shape, seed=seed, dtype=dtype)

    def split(self, seed, num):
        return tf.unstack(tf.random.experimental.stateless_split(seed, num=num), num=num)

    def fold_in(self, seed, data):
        return tf.random.experimental.stateless_fold_in(seed, tf.cast(data, tf.int32))


class _JaxRandom:
    """``jax.random`` with the seed as a raw threefry key: works inside ``jit``."""

    def __init__(self):
        import jax

        self.jax = jax

    def as_seed(self, seed):
        jnp = self.jax.numpy
        seed = jnp.asarray(seed)
        if seed.dtype != jnp.uint32:
            seed = self.jax.lax.convert_element_type(seed, jnp.uint32)
        return jnp.reshape(seed, (2,))

    def uniform(self, seed, shape, dtype, minval, maxval):
        return self.jax.random.uniform(seed, shape, dtype=dtype, minval=minval, maxval=maxval)

    def normal(self, seed, shape, dtype):
        return self.jax.random.normal(seed, shape, dtype=dtype)

    def split(self, seed, num):
        return list(self.jax.random.split(seed, num))

    def fold_in(self, seed, data):
        return self.jax.random.fold_in(seed, self.jax.numpy.asarray(data, "uint32"))


def _mix64(*words):
    """splitmix64 of the words: a 64-bit generator seed from 32-bit seed words."""
    state = 0
    for word in words:
        state = (state + (int(word) & 0xFFFFFFFF) + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        state = z ^ (z >> 31)
    return state


class _TorchRandom:
    """A ``torch.Generator`` seeded from the seed's two words (eager PyTorch).

    PyTorch draws only with a generator on the device it writes to, so each
    generator is made there: on Keras' device (``get_device()``, the GPU when
    there is one) for ``uniform`` and ``normal``, on the CPU for ``split``,
    whose seeds are CPU tensors like every seed here.
    """

    def __init__(self):
        import torch
        from keras.src.backend.torch.core import get_device

        self.torch = torch
        self.device = get_device

    def as_seed(self, seed):
        seed = self.torch.as_tensor(seed, device="cpu")
        return seed.to(self.torch.int64).reshape(2)

    def _generator(self, seed, device, *extra):
        words = [int(w) for w in seed.detach().cpu().tolist()] + [int(e) for e in extra]
        generator = self.torch.Generator(device=device)
        generator.manual_seed(_mix64(*words))
        return generator

    def _size(self, shape):
        return tuple(int(s) for s in shape)

    def uniform(self, seed, shape, dtype, minval, maxval):
        dtype, device = getattr(self.torch, dtype), self.device()
        draws = self.torch.rand(
            self._size(shape), generator=self._generator(seed, device), dtype=dtype, device=device
        )
        return draws * (maxval - minval) + minval

    def normal(self, seed, shape, dtype):
        dtype, device = getattr(self.torch, dtype), self.device()
        return self.torch.randn(
            self._size(shape), generator=self._generator(seed, device), dtype=dtype, device=device
        )

    def split(self, seed, num):
        draws = self.torch.randint(
            -(2**31), 2**31 - 1, (num, 2), generator=self._generator(seed, "cpu", 1), device="cpu"
        )
        return list(draws)

    def fold_in(self, seed, data):
        words = seed.detach().cpu().tolist() + [int(data)]
        return self.torch.tensor(
            [_mix64(*words) >> 33, _mix64(*words, 1) >> 33], dtype=self.torch.int64
        )
