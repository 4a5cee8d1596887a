"""The type aliases of the public signatures, in one place.

TensorFlow and Keras ship no type information, so a type checker (mypy,
configured in ``pyproject.toml``) sees their classes as ``Any``; the aliases
still say what each argument takes and each function returns. The core runs
on every Keras backend: a function returns a tensor of the backend of its
inputs (TensorFlow inside ``tf.data``; see ``keras_specmix.ops._backend``).
"""

import os
import sys
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Literal
from typing import Protocol
from typing import TypeAlias
from typing import Union

import numpy as np
import tensorflow as tf

if TYPE_CHECKING:
    import jax
    import torch

    #: A tensor of a Keras backend: what the functional core returns.
    Tensor: TypeAlias = tf.Tensor | jax.Array | torch.Tensor
else:
    # At run time, the backends already imported (Keras imports its own first),
    # so that `typing.get_type_hints` resolves every annotation without importing
    # JAX or PyTorch.
    Tensor = Union[  # noqa: UP007 (a tuple built at run time)
        (tf.Tensor,)
        + tuple(
            getattr(sys.modules[name], cls)
            for name, cls in (("jax", "Array"), ("torch", "Tensor"))
            if name in sys.modules
        )
    ]
#: An array with a shape and a dtype: a backend tensor or a NumPy array.
Array: TypeAlias = Tensor | np.ndarray
#: What the functional core accepts: a backend tensor, a NumPy array, a
#: Python number or a (nested) list of numbers.
TensorLike: TypeAlias = Tensor | np.ndarray | np.generic | int | float | bool | Sequence
#: A shape: a tuple or list whose entries may be scalar tensors, or a 1-D int tensor.
Shape: TypeAlias = Sequence[int | Tensor] | Tensor
#: Parameters drawn by a ``sample_*`` function, by name.
Params: TypeAlias = dict[str, Tensor]
#: Parameters as an ``apply_*`` function takes them (``sample_*`` output, or your own).
ParamsLike: TypeAlias = Mapping[str, TensorLike]
#: A file or folder path.
StrPath: TypeAlias = str | os.PathLike[str]
#: How file-based loaders treat an unreadable file: raise, or skip and report it.
OnError: TypeAlias = Literal["raise", "skip"]
#: Which audio channel a loader reads: an index, the mean (mono) or all of them.
Channel: TypeAlias = int | Literal["mean", "all"]
#: A layer's input: a tensor, or a dict of tensors under the I/O keys.
LayerInputs: TypeAlias = Array | Mapping[str, TensorLike]
#: A layer's output, structured as its input.
LayerOutputs: TypeAlias = Tensor | dict[str, Tensor]
#: What a spectrogram (or a waveform) holds; decides how a gain or noise applies.
Domain: TypeAlias = Literal["log", "db", "power", "amplitude", "waveform"]
#: How a fill for masked cells is chosen: a constant, each example's mean, or the log floor.
MaskValue: TypeAlias = float | Literal["mean", "floor"]
#: Whether a random draw is made per example or once and shared by the batch.
Granularity: TypeAlias = Literal["example", "batch"]


class Augmentation(Protocol):
    """Anything with a layer's ``augment(inputs, seed)`` (every keras_specmix layer)."""

    def augment(self, inputs: LayerInputs, seed: TensorLike) -> LayerOutputs: ...
