"""Layers the runner's recipe conditions are made of (imported when one is built).

- :class:`StackFloorMasking`: frequency masks "before the log" on the
  runner's log-mel + Δ + ΔΔ stack.
- :class:`Chain`: several augmentations in order, one seed split between them
  (the ``dir+freqmixstyle`` and ``dcase`` conditions).

Both are :class:`~keras_specmix.layers.base.SpectrogramAugmentation` layers:
they run in ``tf.data`` (:func:`keras_specmix.data.augment_dataset`) or in a
model, and pass every other key of a dict input through (the ``"eligible"``
column :class:`~keras_specmix.DeviceImpulseResponse` reads).
"""

import keras

from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.layers.frequency_masking import FrequencyMasking
from keras_specmix.ops import _backend
from keras_specmix.ops import random as random_ops
from keras_specmix.ops import spec_augment


class StackFloorMasking(FrequencyMasking):
    """Frequency masks of the mel power *before* the log, on a log-mel + Δ + ΔΔ stack.

    The DCASE 2024/2025 baseline masks the mel power and then takes
    ``log(x + eps)``: a masked band is the floor ``log(eps)`` for every
    frame. On the runner's features (``[log-mel, Δ, ΔΔ]`` as channels) that
    band's Δ and ΔΔ are then exactly 0 (the 5-point regression of a constant
    is 0). This layer draws the masks once per example (shared by the
    channels) and fills channel 0 with ``log(log_offset)`` and the other
    channels with 0: the features of the masked power, bit for bit. On a
    single channel (or a 3-D input) it is ``FrequencyMasking(mask_value=
    "floor")``.

    Args:
        freq_mask_param: F, the widest mask in mel bins.
        num_freq_masks: masks per example.
        log_offset: the ``eps`` of the features' ``log(p + eps)``.
        **kwargs: base layer arguments (``seed``, ``name``).

    Examples:

    >>> import numpy as np
    >>> x = np.zeros([1, 10, 16, 3], "float32")
    >>> out = StackFloorMasking(8, 1, log_offset=1e-8, seed=1)(x).numpy()
    >>> sorted({round(float(v), 2) for v in np.unique(out[..., 0])})  # log(1e-8) where masked
    [-18.42, 0.0]
    >>> float(np.abs(out[..., 1:]).max())  # Δ and ΔΔ of a masked band: 0
    0.0
    """

    def __init__(self, freq_mask_param, num_freq_masks=1, log_offset=1e-8, **kwargs):
        kwargs.pop("mask_value", None)
        kwargs.pop("per_channel", None)
        super().__init__(
            freq_mask_param,
            num_freq_masks,
            mask_value=spec_augment.FLOOR,
            log_offset=log_offset,
            **kwargs,
        )

    def transform(self, data, params):
        x = data[SPECTROGRAMS]
        if len(x.shape) != 4 or x.shape[-1] == 1:
            return super().transform(data, params)
        lengths = self.lengths(data)
        head = spec_augment.apply_masks(
            x[..., :1], params, spec_augment.FLOOR, lengths, self.log_offset
        )
        tail = spec_augment.apply_masks(x[..., 1:], params, 0.0, lengths)
        out = _backend.namespace(x).concatenate([head, tail], axis=-1)
        return {**data, SPECTROGRAMS: out}


class Chain(SpectrogramAugmentation):
    """Augmentations applied in order; the call's seed is split between them.

    Args:
        steps: a list of ``keras_specmix`` layers that need no labels.
        **kwargs: base layer arguments (``seed``, ``name``).

    Raises:
        ValueError: on an empty list or a step that mixes labels.

    Examples:

    >>> import keras_specmix as ks
    >>> chain = Chain([ks.TimeRoll(max_shift=2), ks.RandomGain((-6, 6))], seed=0)
    >>> chain(tf.zeros([2, 8, 4, 1])).shape
    TensorShape([2, 8, 4, 1])
    """

    def __init__(self, steps, **kwargs):
        super().__init__(**kwargs)
        steps = list(steps)
        if not steps or any(getattr(s, "requires_labels", True) for s in steps):
            raise ValueError(
                "`steps` must be a non-empty list of keras_specmix layers that need no "
                f"labels. Received: steps={steps!r}"
            )
        self.steps = steps

    def sample_params(self, data, seed):
        return {"seeds": random_ops.split_seed(seed, len(self.steps))}

    def transform(self, data, params):
        for step, seed in zip(self.steps, params["seeds"]):
            data = step.transform(data, step.sample_params(data, seed))
        return data

    def get_config(self):
        config = super().get_config()
        config.update(steps=[keras.saving.serialize_keras_object(s) for s in self.steps])
        return config
