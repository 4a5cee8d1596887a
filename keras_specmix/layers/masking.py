"""Base of the masking layers (SpecAugment and its masks) and their argument checks."""

from typing import Any

from keras_specmix import _validation
from keras_specmix._typing import MaskValue
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.ops import spec_augment as ops
from keras_specmix.ops._backend import shape_of


class MaskingAugmentation(SpectrogramAugmentation):
    """Base of the masking layers: mask value, per-channel masks, transform.

    Args:
        mask_value: float; ``"mean"`` for each example's own mean (per
            channel, over its valid frames); or ``"floor"`` for
            ``log(log_offset)``, the floor of log features ``log(p +
            log_offset)``: masking them with it equals masking the power
            ``p`` with 0 before the log, bit for bit. Defaults to 0.0.
        per_channel: bool; False gives every channel the same masks, True
            draws independent masks per channel. Defaults to False.
        log_offset: float > 0, the ``eps`` of the features' ``log(p + eps)``:
            required with ``mask_value="floor"`` (1e-8 for
            ``keras_specmix.features``' default front end, 1e-5 for the DCASE
            2024/2025 baseline), None otherwise. Defaults to None.
        seed: int >= 0 or None.
        **kwargs: base layer arguments.
    """

    def __init__(
        self,
        mask_value: MaskValue = 0.0,
        per_channel: bool = False,
        log_offset: float | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.mask_value = ops.check_mask_value(mask_value)
        self.per_channel = _validation.check_bool("per_channel", per_channel)
        self.log_offset = ops.check_log_offset(self.mask_value, log_offset)

    def groups(self, data):
        return ops.mask_groups(shape_of(data[SPECTROGRAMS]), self.per_channel)

    def transform(self, data, params):
        x = ops.apply_masks(
            data[SPECTROGRAMS], params, self.mask_value, self.lengths(data), self.log_offset
        )
        return {**data, SPECTROGRAMS: x}

    def get_config(self):
        config = super().get_config()
        config.update(
            mask_value=self.mask_value, per_channel=self.per_channel, log_offset=self.log_offset
        )
        return config


def check_time_mask_args(
    time_mask_param: int,
    num_time_masks: int,
    time_mask_max_ratio: float,
    count_ratio: float | None,
    size_ratio: float | None,
) -> tuple[int, int, float, float | None, float | None]:
    """Validates the time-mask arguments; returns them normalised."""
    return (
        _validation.check_int("time_mask_param", time_mask_param, minimum=0),
        _validation.check_int("num_time_masks", num_time_masks, minimum=0),
        _validation.check_ratio("time_mask_max_ratio", time_mask_max_ratio),
        _validation.check_ratio("time_mask_count_ratio", count_ratio, optional=True),
        _validation.check_ratio("time_mask_size_ratio", size_ratio, optional=True),
    )
