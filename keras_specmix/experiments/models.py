"""Classifiers for the scene-classification experiments, chosen by name.

All three map log-mel features ``(time, n_mels, channels)`` to class
probabilities (softmax), accept any time length (training crops and full
evaluation clips differ), and are built from scratch with seeded weights:

- ``"resnet101"``: Keras ``ResNet101(weights=None)`` (the paper's model;
  torchvision's ``resnet101(pretrained=False)`` in the author's code) with a
  new dense head.
- ``"two_path"``: the residual network with separate low- and
  high-frequency paths of McDonnell & Gao (split at mel bin ``n_mels // 2``,
  64 for the paper's 128), the most likely model "[5]" of the talk. Rebuilt
  from the description of the SpecMix author's ``model/baseline.py`` (the
  paper's ASC code): 4 stacks × 2 pre-activation blocks, 28
  filters doubling per stack, non-affine batch norm in the blocks, a 1×1
  convolutional classifier, batch norm, global average pooling, softmax.
- ``"small"``: a three-stage residual network (about 0.1 M weights at the
  default width) that trains on two CPU cores in minutes.
- ``"cp_mobile"``: CP-Mobile, the DCASE 2024/2025 Task 1 baseline network
  (61,148 weights; :mod:`keras_specmix.experiments.cp_mobile`).
"""

import keras

from keras_specmix import _validation
from keras_specmix.experiments.choices import MODELS
from keras_specmix.experiments.cp_mobile import cp_mobile


def build_model(name, input_shape, num_classes, width=None):
    """Builds an uncompiled classifier by name.

    Args:
        name: one of :data:`MODELS`.
        input_shape: ``(time, n_mels, channels)``; ``time`` may be None
            (any length).
        num_classes: int >= 2.
        width: filters of the first stage (None: 16 for ``"small"``, 28 for
            ``"two_path"``, 32 for ``"cp_mobile"``; ignored by ``"resnet101"``).

    Returns:
        A ``keras.Model`` with softmax outputs ``(batch, num_classes)``.

    Raises:
        ValueError: for an unknown ``name``, a bad ``input_shape`` or
            ``num_classes``.

    Examples:

    >>> model = build_model("small", (None, 64, 3), 10, width=4)
    >>> model.output_shape
    (None, 10)
    """
    name = _validation.check_choice("name", name, MODELS)
    num_classes = _validation.check_int("num_classes", num_classes, minimum=2)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or any(d is not None and d < 1 for d in input_shape):
        raise ValueError(
            "`input_shape` must be (time, n_mels, channels) with positive sizes "
            f"(time may be None). Received: input_shape={input_shape}"
        )
    if width is not None:
        width = _validation.check_int("width", width, minimum=1)
    if name == "resnet101":
        return _resnet101(input_shape, num_classes)
    if name == "cp_mobile":
        return cp_mobile(input_shape, num_classes, base_channels=width or 32)
    if name == "two_path":
        return two_path_resnet(input_shape, num_classes, width or 28)
    return small_resnet(input_shape, num_classes, width or 16)


def _resnet101(input_shape, num_classes):
    backbone = keras.applications.ResNet101(
        weights=None, include_top=False, input_shape=input_shape, pooling="avg"
    )
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(
        backbone.output
    )
    return keras.Model(backbone.input, outputs, name="resnet101")


def _conv_bn_relu(x, filters, strides=1, kernel_size=3):
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
    )(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.ReLU()(x)


def _projection(x, filters, strides):
    """A residual shortcut's 1×1 projection with batch norm, subsampled by ``strides``.

    The subsampling is a 1×1 pooling window before a stride-1 convolution
    rather than a strided 1×1 convolution. Both compute the same values with
    the same weights, but oneDNN's strided 1×1 backward-weights kernel
    (``jit_1x1``, channels-last, fewer than 16 input channels) writes past
    its workspace and corrupts the heap: training aborts with ``double
    free`` or SIGSEGV on AVX-512 CPUs and may hang or compute wrong
    gradients on AVX2 ones (uxlfoundation/oneDNN#6035; see
    ``docs/known_issues.md``). ``--width 4`` and ``--width 8`` reach it.
    """
    if strides != 1:
        x = keras.layers.AveragePooling2D(pool_size=1, strides=strides)(x)
    x = keras.layers.Conv2D(filters, 1, use_bias=False)(x)
    return keras.layers.BatchNormalization()(x)


def small_resnet(input_shape, num_classes, width=16):
    """A three-stage residual network for quick CPU experiments.

    Input batch norm (log-mel features are not normalised), a 3×3 stem, then
    three stages of one residual block each (``width``, ``2·width``,
    ``4·width`` filters; stride 2 from the second stage on), global average
    pooling and a dense softmax head.

    Args:
        input_shape: ``(time, n_mels, channels)``; time may be None.
        num_classes: number of classes.
        width: filters of the first stage.

    Returns:
        A ``keras.Model``.
    """
    inputs = keras.Input(input_shape)
    x = keras.layers.BatchNormalization()(inputs)
    x = _conv_bn_relu(x, width, strides=2)
    for stage in range(3):
        filters = width * 2**stage
        strides = 1 if stage == 0 else 2
        shortcut = x
        y = _conv_bn_relu(x, filters, strides)
        y = keras.layers.Conv2D(
            filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal"
        )(y)
        y = keras.layers.BatchNormalization()(y)
        if strides != 1 or shortcut.shape[-1] != filters:
            shortcut = _projection(shortcut, filters, strides)
        x = keras.layers.ReLU()(keras.layers.Add()([y, shortcut]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="small_resnet")


def _preact_conv(x, filters, strides=1, kernel_size=3, learn_bn=False, relu=True):
    """McDonnell & Gao's ``resnet_layer``: BN (affine or not), ReLU, conv."""
    x = keras.layers.BatchNormalization(center=learn_bn, scale=learn_bn)(x)
    if relu:
        x = keras.layers.ReLU()(x)
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
    )(x)


def _frequency_path(x, width, num_stacks=4, blocks_per_stack=2):
    """One pre-activation residual path (time is downsampled, frequency kept)."""
    residual = _preact_conv(x, width, strides=(2, 1), learn_bn=True, relu=False)
    filters = width
    for stack in range(num_stacks):
        for block in range(blocks_per_stack):
            downsample = stack > 0 and block == 0
            strides = (2, 1) if downsample else 1
            conv = _preact_conv(residual, filters, strides)
            conv = _preact_conv(conv, filters)
            if downsample:
                # Average-pool the shortcut and zero-pad its channels.
                residual = keras.layers.AveragePooling2D(3, strides=(2, 1), padding="same")(
                    residual
                )
                residual = keras.layers.Concatenate()(
                    [residual, keras.layers.Lambda(lambda t: t * 0.0)(residual)]
                )
            residual = keras.layers.Add()([conv, residual])
        filters *= 2
    return residual, filters


def two_path_resnet(input_shape, num_classes, width=28):
    """McDonnell & Gao's residual network with low/high-frequency paths.

    The input is split at mel bin ``n_mels // 2``; each half goes through
    its own 4-stack pre-activation residual path (time strided by 2 at the
    input and at each new stack; the number of filters doubles per stack);
    the paths are concatenated along frequency and classified by a 1×1
    convolution, batch norm, global average pooling and softmax.

    Args:
        input_shape: ``(time, n_mels, channels)``; time may be None.
        num_classes: number of classes.
        width: filters of the first stack (28 in the author's code).

    Returns:
        A ``keras.Model``.
    """
    inputs = keras.Input(input_shape)
    split = input_shape[1] // 2
    low = keras.layers.Lambda(lambda t: t[:, :, :split])(inputs)
    high = keras.layers.Lambda(lambda t: t[:, :, split:])(inputs)
    low, filters = _frequency_path(low, width)
    high, _ = _frequency_path(high, width)
    x = keras.layers.Concatenate(axis=2)([low, high])
    x = _preact_conv(x, filters, kernel_size=1)
    x = _preact_conv(x, num_classes, kernel_size=1)
    x = keras.layers.BatchNormalization(center=False, scale=False)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Softmax()(x)
    return keras.Model(inputs, outputs, name="two_path_resnet")
