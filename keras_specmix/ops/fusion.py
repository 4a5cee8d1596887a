"""XLA fusion of the deterministic ``apply_*`` functions.

Outside XLA, TensorFlow runs each elementwise op of a blend as its own
kernel, writing a full-size intermediate every time: a SpecMix blend costs
about five passes over the batch in a plain ``tf.function`` (what a
``tf.data`` map runs). Compiled by XLA, the same arithmetic fuses into one
pass, close to the cost of a copy.

``fused(fn)`` wraps an ``apply_*`` function so that, when the input's shape
is fully known, it runs as an XLA-compiled ``tf.function`` (one compilation
per input shape, cached); with an unknown dimension (variable-length clips)
it runs as plain TensorFlow ops, so a new length never triggers a new
compilation. Only the deterministic application is compiled: the random
sampling is untouched, so seeds give the same draws either way; selects are
exact and blends NaN-safe either way (``keras_specmix.ops.masks``), so
results never depend on whether shapes were static. Inside an outer XLA
function the call is simply inlined.

It is TensorFlow's speed path only: under JAX (where ``jit`` fuses the whole
step anyway) and PyTorch the functions run as they are. Turn it off for a
block of code with ``with keras_specmix.ops.fusion.disabled():`` (for
example to profile op by op); the setting is a context variable, local to
the thread or task that set it.
"""

import contextlib
import contextvars
import functools
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any
from typing import ParamSpec
from typing import Protocol
from typing import TypeVar
from typing import cast

import tensorflow as tf

from keras_specmix.ops import _backend

P = ParamSpec("P")
R = TypeVar("R")


class Fused(Protocol[P, R]):
    """A ``fused`` function: called as ``fn``, with the plain-ops ``fn`` as ``uncompiled``."""

    uncompiled: Callable[P, R]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...


_ENABLED = contextvars.ContextVar("keras_specmix_fusion_enabled", default=True)


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Runs the block with XLA fusion of the ``apply_*`` functions turned off.

    Examples:
        >>> with disabled():
        ...     is_enabled()
        False
    """
    token = _ENABLED.set(False)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def is_enabled() -> bool:
    """Whether ``fused`` functions use XLA when shapes are static (TensorFlow)."""
    return _ENABLED.get()


def fused(fn: Callable[P, R]) -> Fused[P, R]:
    """Decorator: run ``fn`` XLA-compiled when its first argument's shape is static.

    Args:
        fn: a pure function of the core whose first argument is the batch.

    Returns:
        A function with the same signature and results.
    """
    compiled = tf.function(fn, jit_compile=True, autograph=False)

    @functools.wraps(fn)
    def wrapper(x: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            _ENABLED.get()
            and _backend.backend_of(x) == _backend.TENSORFLOW
            and tf.TensorShape(getattr(x, "shape", None)).is_fully_defined()
        ):
            return compiled(tf.convert_to_tensor(x), *args, **kwargs)
        return fn(x, *args, **kwargs)

    wrapper.uncompiled = fn  # type: ignore[attr-defined]
    return cast(Fused[P, R], wrapper)
