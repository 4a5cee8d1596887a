"""TimeMasking layer: SpecAugment's time masks, fixed or adaptive."""

from typing import Any

import keras

from keras_specmix._typing import MaskValue
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.masking import MaskingAugmentation
from keras_specmix.layers.masking import check_time_mask_args
from keras_specmix.ops import spec_augment as ops
from keras_specmix.ops import warp
from keras_specmix.ops._backend import shape_of


@keras.saving.register_keras_serializable(package="keras_specmix")
class TimeMasking(MaskingAugmentation):
    """Sets ``m_T`` random runs of frames to ``mask_value``, per example.

    For an example with ``τ`` valid frames, each mask has a width ``t``
    uniform on ``{0, ..., min(T, ⌊p·τ⌋)}`` and covers frames ``[t0, t0 + t)``
    with ``t0`` uniform on ``{0, ..., τ − t}``, on every frequency bin. Masks
    are drawn independently for each example and may overlap; every channel
    shares them unless ``per_channel=True``. With ``"lengths"`` (or
    ``"padding_mask"``) in a dict input, masks stay inside each clip and
    padded frames are left unchanged.

    Adaptive masking (Park et al., 2020): ``time_mask_count_ratio`` (p_M)
    gives each example ``min(⌊p_M·τ⌋, m_T)`` masks; ``time_mask_size_ratio``
    (p_S) bounds the width by ``⌊p_S·τ⌋`` instead of T (``time_mask_param``
    is then unused).

    References:
        Park et al., "SpecAugment: A Simple Data Augmentation Method for
        Automatic Speech Recognition", Interspeech 2019.
        https://arxiv.org/abs/1904.08779

        Park et al., "SpecAugment on Large Scale Datasets", ICASSP 2020.
        https://arxiv.org/abs/1912.05533

    Args:
        time_mask_param: int >= 0, T, the largest width. Defaults to 100.
        num_time_masks: int >= 0, m_T. Defaults to 1.
        time_mask_max_ratio: float in [0, 1], p: no mask is wider than
            ``⌊p·τ⌋``. Defaults to 1.0.
        time_mask_count_ratio: float in [0, 1] or None, p_M. Defaults to None.
        time_mask_size_ratio: float in [0, 1] or None, p_S. Defaults to None.
        mask_value: float, ``"mean"`` for each example's own mean (per
            channel, over its valid frames), or ``"floor"`` for
            ``log(log_offset)`` (masking log features as the power before the
            log). Defaults to 0.0.
        per_channel: bool, independent masks per channel. Defaults to False.
        log_offset: float > 0, the ``eps`` of ``log(p + eps)``, with
            ``mask_value="floor"`` only. Defaults to None.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (masks per example) or ``"batch"``
            (one draw of each mask's width and start for the batch, the same
            relative draw within each example's valid frames: examples of
            the same length get the same masks). Defaults to ``"example"``.
        **kwargs: base layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, time, freq[, channels])``, or a dict with it under
        ``"spectrograms"`` and optionally ``"lengths"`` or ``"padding_mask"``.

    Output shape:
        Same as the input.

    Raises:
        ValueError: on an out-of-range argument.
        TypeError: on an argument of the wrong type.

    Examples:
        >>> x = tf.ones([2, 100, 40])
        >>> layer = TimeMasking(time_mask_param=30, time_mask_max_ratio=0.2, seed=0)
        >>> out = layer({"spectrograms": x, "lengths": tf.constant([100, 50])})
        >>> masked_frames = tf.cast(out["spectrograms"][:, :, 0] == 0, tf.int32)
        >>> masked = tf.reduce_sum(masked_frames, axis=1)
        >>> bool(tf.reduce_all(masked <= [20, 10]))
        True

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        time_mask_param: int = 100,
        num_time_masks: int = 1,
        time_mask_max_ratio: float = 1.0,
        time_mask_count_ratio: float | None = None,
        time_mask_size_ratio: float | None = None,
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
        (
            self.time_mask_param,
            self.num_time_masks,
            self.time_mask_max_ratio,
            self.time_mask_count_ratio,
            self.time_mask_size_ratio,
        ) = check_time_mask_args(
            time_mask_param,
            num_time_masks,
            time_mask_max_ratio,
            time_mask_count_ratio,
            time_mask_size_ratio,
        )

    def sample_params(self, data, seed):
        x = data[SPECTROGRAMS]
        return ops.sample_time_mask_params(
            seed,
            shape_of(x)[0],
            warp.valid_lengths(x, self.lengths(data)),
            self.time_mask_param,
            self.num_time_masks,
            self.time_mask_max_ratio,
            self.time_mask_count_ratio,
            self.time_mask_size_ratio,
            self.groups(data),
            **self.granularities(),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            time_mask_param=self.time_mask_param,
            num_time_masks=self.num_time_masks,
            time_mask_max_ratio=self.time_mask_max_ratio,
            time_mask_count_ratio=self.time_mask_count_ratio,
            time_mask_size_ratio=self.time_mask_size_ratio,
        )
        return config
