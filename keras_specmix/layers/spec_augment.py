"""The SpecAugment layer: time warp, then frequency and time masks.

``TimeWarp``, ``FrequencyMasking`` and ``TimeMasking`` (their own modules,
the masks on the base in ``masking``) and ``SpecAugment`` (here) are thin
shells over
``keras_specmix.ops.spec_augment`` and ``keras_specmix.ops.warp``. They take
a bare tensor or a dict; in a dict, ``"lengths"`` (int ``(batch,)``, valid
frames per example) or ``"padding_mask"`` (bool ``(batch, time)``, True on
valid frames, which must come first) keep the augmentation inside each
clip; every key passes through unchanged except ``"spectrograms"``.
"""

from typing import Any
from typing import Literal

import keras

from keras_specmix import _validation
from keras_specmix._typing import MaskValue
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.masking import MaskingAugmentation
from keras_specmix.layers.masking import check_time_mask_args
from keras_specmix.ops import spec_augment as ops
from keras_specmix.ops._backend import shape_of


def resolve_policy(policy: str | None, **explicit: Any) -> dict[str, Any]:
    """Explicit arguments over the named policy's, over policy LD's."""
    if policy is not None:
        _validation.check_choice("policy", policy, set(ops.POLICIES))
    base = ops.POLICIES["LD" if policy is None else policy]
    return {k: base[k] if v is None else v for k, v in explicit.items()}


@keras.saving.register_keras_serializable(package="keras_specmix")
class SpecAugment(MaskingAugmentation):
    """SpecAugment (Park et al., 2019): time warp, then frequency and time masks.

    Per example, independently: the time axis is warped by a piecewise-linear
    map (an anchor frame moved by up to W frames, both end frames fixed; see
    ``TimeWarp``), then ``m_F`` frequency masks of width uniform in
    ``{0, ..., F}`` and ``m_T`` time masks of width uniform in
    ``{0, ..., min(T, ⌊p·τ⌋)}`` are set to ``mask_value``, each covering
    ``[start, start + width)`` with the start uniform over the valid
    positions. Masks may overlap. ``τ`` is the example's length: with
    ``"lengths"`` (or ``"padding_mask"``) in a dict input, the warp and the
    masks stay inside each clip's valid frames and padding is never changed.

    Parameters come from ``policy`` (Table 1 of the paper), and any argument
    given explicitly overrides the policy's value; without a policy the
    defaults are those of LD. The policies were tuned for 80-bin filter banks
    with a 10 ms hop: scale F, T and W to your features.

    ======  ===  ===  ===  ===  ===  ===
    policy   W    F   m_F   T    p   m_T
    ======  ===  ===  ===  ===  ===  ===
    LB      80   27    1   100  1.0   1
    LD      80   27    2   100  1.0   2
    SM      40   15    2    70  0.2   2
    SS      40   27    2    70  0.2   2
    ======  ===  ===  ===  ===  ===  ===

    Adaptive SpecAugment (Park et al., 2020) sets the time masks from the
    length: ``time_mask_count_ratio`` (p_M) gives ``min(⌊p_M·τ⌋, m_T)``
    masks, ``time_mask_size_ratio`` (p_S) bounds their width by ``⌊p_S·τ⌋``
    instead of T. The LibriSpeech adaptive setting is
    ``time_mask_count_ratio=0.04, time_mask_size_ratio=0.04,
    num_time_masks=20``.

    References:
        Park et al., "SpecAugment: A Simple Data Augmentation Method for
        Automatic Speech Recognition", Interspeech 2019.
        https://arxiv.org/abs/1904.08779

        Park et al., "SpecAugment on Large Scale Datasets", ICASSP 2020.
        https://arxiv.org/abs/1912.05533

    Args:
        policy: None, "LB", "LD", "SM" or "SS". Defaults to None (LD values).
        time_warp_param: int >= 0, W, the largest warp shift in frames; 0
            disables the warp.
        freq_mask_param: int >= 0, F, the largest frequency-mask width.
        num_freq_masks: int >= 0, m_F.
        time_mask_param: int >= 0, T, the largest time-mask width.
        num_time_masks: int >= 0, m_T (the cap with ``time_mask_count_ratio``).
        time_mask_max_ratio: float in [0, 1], p: no time mask is wider than
            ``⌊p·τ⌋``.
        time_mask_count_ratio: float in [0, 1] or None, p_M. Defaults to None.
        time_mask_size_ratio: float in [0, 1] or None, p_S. Defaults to None.
        mask_value: float, ``"mean"`` for each example's own mean (per
            channel, over its valid frames, after the warp), or ``"floor"``
            for ``log(log_offset)``, the floor of log features ``log(p +
            log_offset)`` (masking them as the power before the log, as the
            DCASE 2024/2025 baseline does). Defaults to 0.0, which equals
            the mean only on mean-normalised features.
        per_channel: bool, independent masks per channel (the warp is always
            shared). Defaults to False.
        log_offset: float > 0, the ``eps`` of the features' ``log(p + eps)``,
            required with ``mask_value="floor"``, else None. Defaults to None.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (a warp and masks per example) or
            ``"batch"`` (one draw of each for the batch; a draw bounded by
            an example's valid frames, the warp anchor and the time masks,
            is the same relative draw within each length). Defaults to
            ``"example"``.
        **kwargs: base layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, time, freq[, channels])``, or a dict with that tensor under
        ``"spectrograms"`` and optionally ``"lengths"`` or ``"padding_mask"``
        (and any other keys, such as ``"labels"``). ``time`` may be unknown.

    Output shape:
        Same as the input (a dict comes back with the same keys).

    Raises:
        ValueError: on an out-of-range argument or a wrong input rank.
        TypeError: on an argument or input of the wrong type.

    Examples:
        >>> layer = SpecAugment(policy="LD", seed=0)
        >>> x = tf.random.normal([32, 400, 128, 3])
        >>> layer(x).shape
        TensorShape([32, 400, 128, 3])
        >>> out = layer({"spectrograms": x, "lengths": tf.fill([32], 300)})
        >>> bool(tf.reduce_all(out["spectrograms"][:, 300:] == x[:, 300:]))
        True

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        policy: Literal["LB", "LD", "SM", "SS"] | None = None,
        time_warp_param: int | None = None,
        freq_mask_param: int | None = None,
        num_freq_masks: int | None = None,
        time_mask_param: int | None = None,
        num_time_masks: int | None = None,
        time_mask_max_ratio: float | None = None,
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
        self.policy = policy
        self.arguments = dict(
            time_warp_param=time_warp_param,
            freq_mask_param=freq_mask_param,
            num_freq_masks=num_freq_masks,
            time_mask_param=time_mask_param,
            num_time_masks=num_time_masks,
            time_mask_max_ratio=time_mask_max_ratio,
        )
        values = resolve_policy(policy, **self.arguments)
        self.time_warp_param = _validation.check_int(
            "time_warp_param", values["time_warp_param"], minimum=0
        )
        self.freq_mask_param = _validation.check_int(
            "freq_mask_param", values["freq_mask_param"], minimum=0
        )
        self.num_freq_masks = _validation.check_int(
            "num_freq_masks", values["num_freq_masks"], minimum=0
        )
        (
            self.time_mask_param,
            self.num_time_masks,
            self.time_mask_max_ratio,
            self.time_mask_count_ratio,
            self.time_mask_size_ratio,
        ) = check_time_mask_args(
            values["time_mask_param"],
            values["num_time_masks"],
            values["time_mask_max_ratio"],
            time_mask_count_ratio,
            time_mask_size_ratio,
        )

    def sample_params(self, data, seed):
        return ops.sample_spec_augment_params(
            seed,
            shape_of(data[SPECTROGRAMS]),
            self.lengths(data),
            time_warp_param=self.time_warp_param,
            freq_mask_param=self.freq_mask_param,
            num_freq_masks=self.num_freq_masks,
            time_mask_param=self.time_mask_param,
            num_time_masks=self.num_time_masks,
            time_mask_max_ratio=self.time_mask_max_ratio,
            time_mask_count_ratio=self.time_mask_count_ratio,
            time_mask_size_ratio=self.time_mask_size_ratio,
            per_channel=self.per_channel,
            **self.granularities(),
        )

    def transform(self, data, params):
        if self.time_warp_param == 0:
            params = {k: v for k, v in params.items() if not k.startswith("warp_")}
        x = ops.apply_spec_augment(
            data[SPECTROGRAMS], params, self.mask_value, self.lengths(data), self.log_offset
        )
        return {**data, SPECTROGRAMS: x}

    def get_config(self):
        config = super().get_config()
        config.update(
            policy=self.policy,
            time_mask_count_ratio=self.time_mask_count_ratio,
            time_mask_size_ratio=self.time_mask_size_ratio,
            **self.arguments,
        )
        return config
