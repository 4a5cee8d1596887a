"""Parameters and multiply-accumulates of a Keras model, counted as DCASE counts them.

The DCASE 2024/2025 Task 1 limits (128 kB of parameters, 30 million MACs per
second of audio) are checked by their baseline with ``torchinfo.summary``.
:func:`count_complexity` counts a Keras functional model the same way, layer
by layer:

- parameters: the trainable weights (batch norm's scale and offset, not its
  moving statistics, which ``torchinfo`` does not count either);
- a convolution (``Conv2D``, ``DepthwiseConv2D``, ``Conv1D``): its kernel's
  size (plus bias) times the number of output positions, per example;
- ``Dense``: its kernel's size (plus bias) times the output positions;
- ``BatchNormalization``: its number of trainable weights (``torchinfo``
  counts a batch norm's scale and offset once each);
- every other layer (activations, pooling, additions, padding): 0.

So a 3×3 depthwise convolution over 64 channels producing a 64 × 9 map costs
``1·64·3·3·64·9 = 331,776`` MACs, and its batch norm 128, as in the
baseline's README.
"""

import math

import keras

_CONVOLUTIONS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.DepthwiseConv2D)


def count_complexity(model, batch_size=1):
    """Counts a model's trainable parameters and MACs for one forward pass.

    Args:
        model: a built ``keras.Model`` whose layers have static output
            shapes (build it with a fixed input shape, e.g. ``(65, 256, 1)``).
        batch_size: examples per pass (MACs scale with it). Defaults to 1.

    Returns:
        ``{"params": int, "macs": int, "layers": [(name, class, params,
        macs), ...]}``, the layers in model order, those that count.

    Raises:
        ValueError: when a counted layer's output shape is not static.

    Examples:

    >>> inputs = keras.Input((10, 8, 1))
    >>> outputs = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    >>> count = count_complexity(keras.Model(inputs, outputs))
    >>> count["params"], count["macs"]
    (36, 2880)
    """
    rows = []
    for layer in _leaf_layers(model):
        params = sum(int(math.prod(w.shape)) for w in layer.trainable_weights)
        if isinstance(layer, (*_CONVOLUTIONS, keras.layers.Dense)):
            positions = _positions(layer)
            macs = params * positions * batch_size
        elif isinstance(layer, keras.layers.BatchNormalization):
            macs = params * batch_size
        else:
            macs = 0
        if params or macs:
            rows.append((layer.name, type(layer).__name__, params, macs))
    return {
        "params": sum(r[2] for r in rows),
        "macs": sum(r[3] for r in rows),
        "layers": rows,
    }


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def _positions(layer):
    """Output positions of one example: the product of the spatial dimensions."""
    shape = tuple(layer.output.shape)[1:-1]
    if any(d is None for d in shape):
        raise ValueError(
            f"Layer `{layer.name}` has a dynamic output shape {tuple(layer.output.shape)}: "
            "build the model with a fixed input shape to count its MACs."
        )
    return int(math.prod(shape))
