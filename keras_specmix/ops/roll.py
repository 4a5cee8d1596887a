"""Time roll: a circular shift along the time axis, per example.

The DCASE 2024/2025 Task 1 baseline (``RollDataset`` in
``CPJKU/dcase2025_task1_baseline``, ``dataset/dcase25.py``) rolls each
training waveform by ``s`` samples, ``s`` uniform on ``{−R, ..., R}``
(``np.random.random_integers``, both ends included; ``R = 4410``, 0.1 s at
44.1 kHz), with ``torch.roll``: ``out[t] = x[(t − s) mod T]``, so a positive
shift moves the content later and what falls off the end comes back at the
start. Here the same, vectorised over the batch (one gather), for waveforms
``(batch, samples[, channels])`` and spectrograms ``(batch, time, freq[,
channels])`` alike: axis 1 is time.

With per-example ``lengths`` the roll stays inside each clip's valid part:
``out[t] = x[(t − s) mod τ]`` for ``t < τ`` and padding is returned
unchanged, so a padded clip rolls as it would unpadded.

Params layout::

    {"shift": int32 (batch,)}   # s, in samples or frames
"""

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Granularity
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.ops import _common
from keras_specmix.ops import fusion
from keras_specmix.ops import mixing
from keras_specmix.ops import random as random_ops
from keras_specmix.ops.warp import valid_lengths


def check_shift_args(
    max_shift: int | None, max_shift_ratio: float | None
) -> tuple[int | None, float | None]:
    """Validates that exactly one of ``max_shift`` (int >= 0) and
    ``max_shift_ratio`` (float in [0, 1]) is given; returns them.

    Raises:
        ValueError: if both or neither is given, or one is out of range.
        TypeError: on a wrong type.
    """
    if (max_shift is None) == (max_shift_ratio is None):
        raise ValueError(
            "Give exactly one of `max_shift` (int, samples or frames) and "
            "`max_shift_ratio` (float, a share of each clip's length). "
            f"Received: max_shift={max_shift!r}, max_shift_ratio={max_shift_ratio!r}"
        )
    if max_shift is not None:
        return _validation.check_int("max_shift", max_shift, minimum=0), None
    return None, _validation.check_float("max_shift_ratio", max_shift_ratio, 0.0, 1.0)


def sample_roll_params(
    seed: TensorLike,
    batch_size: TensorLike,
    lengths: TensorLike,
    max_shift: int | None = None,
    max_shift_ratio: float | None = None,
    param_granularity: Granularity = random_ops.EXAMPLE,
) -> Params:
    """Draws one shift per example, uniform on ``{−R, ..., R}`` (both included).

    ``R = max_shift``, or ``R = ⌊max_shift_ratio · τ⌋`` for an example of
    ``τ`` valid frames (samples).

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int tensor.
        lengths: int ``(batch,)``, valid frames per example (used with
            ``max_shift_ratio``).
        max_shift: int >= 0, R in samples or frames; or None.
        max_shift_ratio: float in [0, 1], R as a share of each length; or None.
        param_granularity: ``"example"`` or ``"batch"`` (one shift draw for
            the batch: the same shift on examples with the same ``R``).

    Returns:
        ``{"shift": int32 (batch,)}``.

    Raises:
        ValueError: unless exactly one of ``max_shift`` and ``max_shift_ratio`` is given.

    Examples:
        >>> p = sample_roll_params([0, 1], 1000, tf.fill([1000], 100), max_shift=3)
        >>> sorted(set(p["shift"].numpy().tolist()))
        [-3, -2, -1, 0, 1, 2, 3]
        >>> p = sample_roll_params([0, 1], 2, tf.constant([100, 10]), max_shift_ratio=0.1)
        >>> bool(abs(int(p["shift"][1])) <= 1)
        True
    """
    max_shift, max_shift_ratio = check_shift_args(max_shift, max_shift_ratio)
    xp = _backend.namespace(seed, batch_size, lengths)
    if max_shift is not None:
        bound = xp.full((batch_size,), max_shift, dtype="int32")
    else:
        bound = mixing.band_width(max_shift_ratio, xp.cast(lengths, "int32"))
    shift = random_ops.uniform_int(seed, (batch_size,), -bound, bound, param_granularity)
    return {"shift": shift}


@fusion.fused
def apply_roll(x: Array, params: ParamsLike, lengths: TensorLike | None = None) -> Tensor:
    """Rolls each example by its shift along axis 1 (see the module docstring).

    A gather, exact for any values: every output value is an input value.

    Args:
        x: ``(batch, time, ...)``, any dtype.
        params: ``{"shift": int (batch,)}``.
        lengths: None, or int ``(batch,)`` valid frames: the roll stays inside
            them and padding is returned unchanged.

    Returns:
        A tensor shaped and typed like ``x``.

    Examples:
        >>> x = tf.constant([[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]])[:, :, None]
        >>> p = {"shift": tf.constant([1, -1])}
        >>> apply_roll(x, p)[..., 0].numpy().tolist()
        [[4, 0, 1, 2, 3], [1, 2, 3, 4, 0]]
        >>> apply_roll(x, p, lengths=tf.constant([3, 5]))[..., 0].numpy().tolist()
        [[2, 0, 1, 3, 4], [1, 2, 3, 4, 0]]
    """
    xp = _backend.namespace(x, lengths)
    x = xp.convert_to_tensor(x)
    shape = xp.shape(x)
    span = xp.expand_dims(xp.maximum(valid_lengths(x, lengths), 1), 1)  # (batch, 1)
    frames = xp.expand_dims(xp.arange(shape[1], dtype="int32"), 0)  # (1, time)
    shift = xp.expand_dims(xp.cast(params["shift"], "int32"), 1)
    source = xp.mod(frames - shift, span)
    if lengths is not None:
        source = xp.where(frames < span, source, frames)
    source = _common.trailing(xp, source, len(x.shape))
    return xp.take_along_axis(x, xp.broadcast_to(source, shape), axis=1)
