"""Small helpers shared by the ops written against the backend namespace ``xp``.

Every function takes the namespace first (``xp = _backend.namespace(...)``),
so it runs on TensorFlow (graphs, ``tf.data``, XLA), JAX and PyTorch alike.
"""


def compute_dtype(x):
    """The float dtype a statistic of ``x`` is computed in: float64 for
    float64 input, float32 otherwise (float16 and bfloat16 round too coarsely
    for means and variances)."""
    return "float64" if str(getattr(x.dtype, "name", x.dtype)).endswith("float64") else "float32"


def valid_frames(xp, x, lengths):
    """bool ``(batch, time)``: True on each example's valid frames.

    Args:
        xp: the backend namespace.
        x: ``(batch, time, ...)``.
        lengths: None (every frame is valid) or int ``(batch,)`` valid
            frames per example, padding after them.

    Returns:
        A bool tensor ``(batch, time)``.
    """
    shape = xp.shape(x)
    frames = xp.expand_dims(xp.arange(shape[1], dtype="int32"), 0)
    if lengths is None:
        return xp.broadcast_to(frames >= 0, (shape[0], shape[1]))
    lengths = xp.cast(lengths, "int32")
    return frames < xp.expand_dims(lengths, 1)


def trailing(xp, value, rank):
    """``value`` of shape ``(batch, ...)`` with axes appended up to ``rank``."""
    for _ in range(rank - len(value.shape)):
        value = xp.expand_dims(value, -1)
    return value
