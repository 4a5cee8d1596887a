"""TimeWarp layer: SpecAugment's piecewise-linear time warp."""

from typing import Any

import keras

from keras_specmix import _validation
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.ops import warp
from keras_specmix.ops._backend import shape_of


@keras.saving.register_keras_serializable(package="keras_specmix")
class TimeWarp(SpectrogramAugmentation):
    """Warps each example's time axis by a random piecewise-linear map.

    Per example with ``τ`` valid frames: an anchor frame ``a`` uniform on
    ``{W + 1, ..., τ − W − 2}`` (the paper's ``(W, τ − W)`` with the last
    frame at ``τ − 1``) moves to ``a + s`` with ``s`` uniform on
    ``{−W, ..., W}``; the first and last valid frames stay fixed, the two
    segments in between are stretched or squeezed linearly, and the output
    is read by linear interpolation between neighbouring frames (two
    gathers, O(time · freq) per example; not ``sparse_image_warp``). Every
    frequency bin and channel shares the example's warp. ``W = 0`` is the
    identity, and clips shorter than ``2W + 3`` frames are left unwarped.
    With ``"lengths"`` (or ``"padding_mask"``) in a dict input the warp stays
    inside each clip and padded frames are returned unchanged.

    This is the warp of Park et al. (2020) and Lingvo, which replaces the
    image warp of the original paper.

    References:
        Park et al., "SpecAugment: A Simple Data Augmentation Method for
        Automatic Speech Recognition", Interspeech 2019.
        https://arxiv.org/abs/1904.08779

        Park et al., "SpecAugment on Large Scale Datasets", ICASSP 2020.
        https://arxiv.org/abs/1912.05533

    Args:
        time_warp_param: int >= 0, W, the largest shift in frames. Defaults
            to 80 (policies LB and LD).
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (an anchor and a shift per example)
            or ``"batch"`` (one draw of each for the batch, the anchor the
            same relative draw within each example's valid frames).
            Defaults to ``"example"``.
        **kwargs: base layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, time, freq[, channels])``, or a dict with it under
        ``"spectrograms"`` and optionally ``"lengths"`` or ``"padding_mask"``.

    Output shape:
        Same as the input.

    Raises:
        ValueError: if ``time_warp_param`` is negative.
        TypeError: if it is not an int.

    Examples:
        >>> x = tf.random.normal([8, 100, 40])
        >>> y = TimeWarp(time_warp_param=10, seed=0)(x)
        >>> bool(tf.reduce_all(y[:, 0] == x[:, 0]))  # end frames fixed
        True

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(self, time_warp_param: int = 80, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.time_warp_param = _validation.check_int("time_warp_param", time_warp_param, minimum=0)

    def sample_params(self, data, seed):
        x = data[SPECTROGRAMS]
        return warp.sample_time_warp_params(
            seed,
            shape_of(x)[0],
            warp.valid_lengths(x, self.lengths(data)),
            self.time_warp_param,
            **self.granularities(),
        )

    def transform(self, data, params):
        if self.time_warp_param == 0:
            return data
        x = warp.apply_time_warp(data[SPECTROGRAMS], params, self.lengths(data))
        return {**data, SPECTROGRAMS: x}

    def get_config(self):
        config = super().get_config()
        config["time_warp_param"] = self.time_warp_param
        return config
