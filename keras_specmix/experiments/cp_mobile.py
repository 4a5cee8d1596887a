"""CP-Mobile: the DCASE 2024/2025 Task 1 baseline network, in Keras.

A receptive-field-regularised mobile network of inverted-bottleneck blocks
(Schmid et al., CP-JKU): a two-convolution stem, three stages of
expand-depthwise-project blocks, a 1×1 convolutional classifier with batch
norm and global average pooling. This is a layer-for-layer port of the
official baseline's ``models/net.py`` (``CPJKU/dcase2025_task1_baseline``),
with its default configuration (``base_channels=32``,
``channels_multiplier=1.8``, ``expansion_rate=2.1``, ``n_blocks=(3, 2, 1)``,
strides ``b2=(1, 1)``, ``b3=(1, 2)``, ``b4=(2, 1)`` in their
``(frequency, time)`` order).

What is the same as the PyTorch original:

- every convolution, its kernel, stride, groups and its symmetric zero
  padding (``ZeroPadding2D`` then a ``"valid"`` convolution, as
  ``Conv2dNormActivation``'s ``padding=(k − 1) // 2``), so feature maps have
  the same shapes and the same alignment;
- the shortcut: identity, or a 3×3 average pool with zero padding counted
  in the mean (PyTorch's ``count_include_pad=True``) where the block is
  strided; no shortcut where the channel count changes;
- batch norm after every convolution (momentum and epsilon as PyTorch's
  defaults: Keras ``momentum=0.9``, ``epsilon=1e-5``), no convolution bias;
- the initialisation: He normal with ``fan_out`` for the convolutions.

What differs: the input layout is this library's ``(time, freq, channels)``
(PyTorch's is ``(channels, freq, time)``), so every ``(freq, time)`` stride
is written here as ``(time, freq)``; the model ends in a softmax, like
the other classifiers of the runner (the original returns logits); and on
TensorFlow the two depthwise convolutions with unequal strides are computed
at stride 1 and subsampled (:class:`SubsampledDepthwiseConv2D`), the same
values, because TensorFlow's native depthwise kernel refuses unequal strides
when oneDNN is off (the runner turns it off for narrow models; the tests
run without it). That costs 460,800 MACs of extra work per example (1.6 %)
that the network's count below does not include, as it counts the network,
not this implementation.

Complexity, counted the way the baseline's README counts it
(:func:`keras_specmix.experiments.complexity.count_complexity`): 61,148
trainable parameters and 29,419,156 multiply-accumulates for one
``(65, 256, 1)`` input (1 s of 32 kHz audio, hop 500, 256 mel bins).
"""

import keras

from keras_specmix import _validation

BASELINE_CONFIG = {
    "base_channels": 32,
    "channels_multiplier": 1.8,
    "expansion_rate": 2.1,
    "n_blocks": (3, 2, 1),
}
"""The DCASE 2025 baseline's configuration (its ``train_base.py`` defaults)."""

# Block index (1-based, over all stages) -> (time stride, freq stride).
# The original's strides are (freq, time): b3=(1, 2) halves time, b4=(2, 1)
# halves frequency.
_STRIDES = {2: (1, 1), 3: (2, 1), 4: (1, 2)}

_CONV_INIT = keras.initializers.VarianceScaling(
    scale=2.0, mode="fan_out", distribution="untruncated_normal"
)


def make_divisible(value, divisor=8):
    """``value`` rounded to the nearest multiple of ``divisor`` (MobileNet's rule).

    Never below ``divisor``, and never more than 10 % below ``value``.

    Args:
        value: the wanted channel count (float).
        divisor: int >= 1.

    Returns:
        int.

    Examples:

    >>> make_divisible(32 * 1.8), make_divisible(32 * 1.8**2), make_divisible(32 * 2.1)
    (56, 104, 64)
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


@keras.saving.register_keras_serializable(package="keras_specmix")
class SubsampledDepthwiseConv2D(keras.layers.DepthwiseConv2D):
    """``DepthwiseConv2D`` that, on TensorFlow, applies unequal strides by subsampling.

    The output equals ``keras.layers.DepthwiseConv2D`` with the same
    arguments (``padding="valid"``): a stride-1 convolution read every
    ``strides`` positions. Other backends, and equal strides, use the
    strided kernel directly.

    Args:
        *args: ``keras.layers.DepthwiseConv2D``'s arguments.
        **kwargs: likewise.

    Examples:

    >>> layer = SubsampledDepthwiseConv2D(3, strides=(2, 1))
    >>> layer(np.zeros((1, 9, 8, 4), "float32")).shape
    TensorShape([1, 4, 6, 4])
    """

    def call(self, inputs):
        strides = tuple(self.strides)
        if keras.backend.backend() != "tensorflow" or strides[0] == strides[1]:
            return super().call(inputs)
        if self.padding != "valid" or self.data_format != "channels_last":
            raise ValueError(
                "SubsampledDepthwiseConv2D supports padding='valid' and channels_last. "
                f"Received: padding={self.padding!r}, data_format={self.data_format!r}"
            )
        outputs = keras.ops.depthwise_conv(
            inputs,
            self.kernel,
            strides=1,
            padding="valid",
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        outputs = outputs[:, :: strides[0], :: strides[1], :]
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs


def _conv_bn(x, filters, kernel_size, strides=(1, 1), depthwise=False, relu=True, name=None):
    """Conv (symmetric zero padding, no bias), batch norm, optional ReLU."""
    if kernel_size > 1:
        x = keras.layers.ZeroPadding2D((kernel_size - 1) // 2, name=f"{name}_pad")(x)
    if depthwise:
        x = SubsampledDepthwiseConv2D(
            kernel_size,
            strides=strides,
            use_bias=False,
            depthwise_initializer=_CONV_INIT,
            name=f"{name}_conv",
        )(x)
    else:
        x = keras.layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            use_bias=False,
            kernel_initializer=_CONV_INIT,
            name=f"{name}_conv",
        )(x)
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn")(x)
    if relu:
        x = keras.layers.ReLU(name=f"{name}_relu")(x)
    return x


def _block(x, out_channels, expansion_rate, strides, name):
    """An inverted bottleneck: 1×1 expand, 3×3 depthwise (strided), 1×1 project."""
    in_channels = x.shape[-1]
    expanded = make_divisible(in_channels * expansion_rate)
    y = _conv_bn(x, expanded, 1, name=f"{name}_expand")
    y = _conv_bn(y, expanded, 3, strides=strides, depthwise=True, name=f"{name}_depthwise")
    y = _conv_bn(y, out_channels, 1, relu=False, name=f"{name}_project")
    if in_channels == out_channels:
        shortcut = x
        if strides != (1, 1):
            shortcut = keras.layers.ZeroPadding2D(1, name=f"{name}_pool_pad")(shortcut)
            shortcut = keras.layers.AveragePooling2D(3, strides=strides, name=f"{name}_pool")(
                shortcut
            )
        y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def cp_mobile(
    input_shape,
    num_classes,
    base_channels=32,
    channels_multiplier=1.8,
    expansion_rate=2.1,
    n_blocks=(3, 2, 1),
):
    """Builds CP-Mobile, the DCASE 2024/2025 Task 1 baseline network.

    Args:
        input_shape: ``(time, n_mels, channels)``; time may be None. The
            baseline's input is ``(65, 256, 1)``.
        num_classes: int >= 2.
        base_channels: channels after the stem (rounded to a multiple of 8).
        channels_multiplier: channel growth per stage.
        expansion_rate: expansion of the inverted bottlenecks.
        n_blocks: blocks per stage (the number of stages is its length).

    Returns:
        An uncompiled ``keras.Model`` with softmax outputs
        ``(batch, num_classes)``.

    Raises:
        ValueError: on a bad ``input_shape``, ``num_classes`` or size.

    Examples:

    >>> model = cp_mobile((65, 256, 1), 10)
    >>> model.output_shape, sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    ((None, 10), 61148)
    """
    num_classes = _validation.check_int("num_classes", num_classes, minimum=2)
    base_channels = _validation.check_int("base_channels", base_channels, minimum=1)
    expansion_rate = _validation.check_float("expansion_rate", expansion_rate, 1.0, None)
    channels_multiplier = _validation.check_float(
        "channels_multiplier", channels_multiplier, 1.0, None
    )
    if not isinstance(n_blocks, (list, tuple)) or not n_blocks:
        _validation._fail("n_blocks", "a non-empty list of block counts", n_blocks)
    n_blocks = tuple(_validation.check_int("n_blocks", n, minimum=1) for n in n_blocks)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or any(d is not None and d < 1 for d in input_shape):
        raise ValueError(
            "`input_shape` must be (time, n_mels, channels) with positive sizes "
            f"(time may be None). Received: input_shape={input_shape}"
        )

    base = make_divisible(base_channels)
    stage_channels = [make_divisible(base * channels_multiplier**s) for s in range(len(n_blocks))]
    inputs = keras.Input(input_shape)
    x = _conv_bn(inputs, base // 4, 3, strides=(2, 2), name="stem1")
    x = _conv_bn(x, base, 3, strides=(2, 2), name="stem2")
    block = 0
    for stage, (count, channels) in enumerate(zip(n_blocks, stage_channels), start=1):
        for _ in range(count):
            block += 1
            strides = _STRIDES.get(block, (1, 1))
            x = _block(x, channels, expansion_rate, strides, name=f"s{stage}_b{block}")
    x = keras.layers.Conv2D(
        num_classes, 1, use_bias=False, kernel_initializer=_CONV_INIT, name="classifier_conv"
    )(x)
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name="classifier_bn")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name="cp_mobile")
