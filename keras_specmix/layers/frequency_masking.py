"""FrequencyMasking layer: SpecAugment's frequency masks."""

from typing import Any

import keras

from keras_specmix import _validation
from keras_specmix._typing import MaskValue
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.masking import MaskingAugmentation
from keras_specmix.ops import spec_augment as ops
from keras_specmix.ops._backend import shape_of


@keras.saving.register_keras_serializable(package="keras_specmix")
class FrequencyMasking(MaskingAugmentation):
    """Sets ``m_F`` random bands of frequency bins to ``mask_value``, per example.

    Each mask has a width ``f`` uniform on ``{0, ..., F}`` (inclusive, as in
    the paper; capped at the number of bins ``ν``) and covers bins
    ``[f0, f0 + f)`` with ``f0`` uniform on ``{0, ..., ν − f}``, over every
    valid frame. Masks are drawn independently for each example (unlike
    torchaudio's default of one mask per batch) and may overlap; every
    channel shares them unless ``per_channel=True``. With ``"lengths"`` (or
    ``"padding_mask"``) in a dict input, padded frames are left unchanged.

    References:
        Park et al., "SpecAugment: A Simple Data Augmentation Method for
        Automatic Speech Recognition", Interspeech 2019.
        https://arxiv.org/abs/1904.08779

    Args:
        freq_mask_param: int >= 0, F, the largest width. Defaults to 27.
        num_freq_masks: int >= 0, m_F. Defaults to 1.
        mask_value: float, ``"mean"`` for each example's own mean (per
            channel, over its valid frames), or ``"floor"`` for
            ``log(log_offset)`` (masking log features as the power before the
            log). Defaults to 0.0.
        per_channel: bool, independent masks per channel. Defaults to False.
        log_offset: float > 0, the ``eps`` of ``log(p + eps)``, with
            ``mask_value="floor"`` only. Defaults to None.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (masks per example) or ``"batch"``
            (one set of mask widths and starts for the batch). Defaults to
            ``"example"``.
        **kwargs: base layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, time, freq[, channels])``, or a dict with it under
        ``"spectrograms"`` and optionally ``"lengths"`` or ``"padding_mask"``.

    Output shape:
        Same as the input.

    Raises:
        ValueError: on a negative ``freq_mask_param`` or ``num_freq_masks``,
            a ``mask_value`` string other than ``"mean"`` and ``"floor"``, or
            ``"floor"`` without ``log_offset``.
        TypeError: on an argument of the wrong type.

    Examples:
        >>> x = tf.ones([4, 50, 40])
        >>> y = FrequencyMasking(freq_mask_param=10, num_freq_masks=2, seed=0)(x)
        >>> masked_bins = tf.reduce_sum(tf.cast(y[:, 0] == 0, tf.int32), axis=1)
        >>> bool(tf.reduce_all(masked_bins <= 20))
        True

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        freq_mask_param: int = 27,
        num_freq_masks: int = 1,
        mask_value: MaskValue = 0.0,
        per_channel: bool = False,
        log_offset: float | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            mask_value=mask_value,
            per_channel=per_channel,
            log_offset=log_offset,
            seed=seed,
            **kwargs,
        )
        self.freq_mask_param = _validation.check_int("freq_mask_param", freq_mask_param, minimum=0)
        self.num_freq_masks = _validation.check_int("num_freq_masks", num_freq_masks, minimum=0)

    def sample_params(self, data, seed):
        shape = shape_of(data[SPECTROGRAMS])
        return ops.sample_freq_mask_params(
            seed,
            shape[0],
            shape[2],
            self.freq_mask_param,
            self.num_freq_masks,
            self.groups(data),
            **self.granularities(),
        )

    def get_config(self):
        config = super().get_config()
        config.update(freq_mask_param=self.freq_mask_param, num_freq_masks=self.num_freq_masks)
        return config
