"""FrequencyMixStyle layer: Freq-MixStyle of the CP-JKU DCASE systems."""

from typing import Any

import keras

from keras_specmix import _validation
from keras_specmix._typing import Granularity
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.ops import mix_style
from keras_specmix.ops._backend import shape_of


@keras.saving.register_keras_serializable(package="keras_specmix")
class FrequencyMixStyle(SpectrogramAugmentation):
    """Freq-MixStyle: mixes per-frequency statistics with a partner's; labels untouched.

    For each example ``b`` mixed (probability ``prob``), with a partner ``p``
    from the same batch and ``λ ~ Beta(α, α)``: on every frequency bin (and
    channel) the example is normalised by its own mean and standard
    deviation over time, then re-scaled with ``λ·std_b + (1 − λ)·std_p``
    and shifted by ``λ·mean_b + (1 − λ)·mean_p``. Its spectral envelope, the
    fingerprint of a recording device, moves towards the partner's while the
    time structure (the scene) stays: a domain-generalisation augmentation
    for devices never seen in training. Labels pass through unchanged, so
    the layer takes a bare tensor or a dict.

    Follows CP-JKU's ``mixstyle`` (Schmid et al., DCASE 2022-2024 Task 1
    systems and the DCASE 2024 baseline): unbiased variance, ``eps`` added to
    it, statistics excluded from gradients. By default ``prob`` is drawn per
    example; ``gate_granularity="batch"`` draws it once per batch as the
    DCASE 2024/2025 baseline does (the whole batch is mixed with probability
    ``prob``, each example with its own λ), and ``param_granularity="batch"``
    shares one λ across the batch (Cai, DCASE 2024). The partner is never the
    example itself; see ``docs/new_augmentations.md``.

    References:
        Zhou, Yang, Qiao and Xiang, "Domain Generalization with MixStyle",
        ICLR 2021. https://arxiv.org/abs/2104.02008

        Kim, Yang, Kim and Chang, "QTI Submission to DCASE 2021: Residual
        Normalization for Device-Imbalanced Acoustic Scene Classification
        with Efficient Design", DCASE 2021 (frequency-wise statistics).

        Schmid, Morocutti, Masoudian, Koutini and Widmer, "CP-JKU Submission
        to DCASE22: Distilling Knowledge for Low-Complexity Convolutional
        Neural Networks from a Patchout Audio Transformer", DCASE 2022
        Technical Report; code: github.com/fschmid56/cpjku_dcase23 and
        github.com/CPJKU/dcase2024_task1_baseline (``mixstyle``).

    Args:
        alpha: float > 0, Beta(α, α) of λ. Defaults to 0.3 (CP-JKU).
        prob: float in [0, 1], probability that an example is mixed.
            Defaults to 0.4 (CP-JKU).
        gate_granularity: ``"example"`` (each example mixed with probability
            ``prob``) or ``"batch"`` (the whole batch, or none of it: the
            DCASE baseline). Defaults to ``"example"``.
        eps: float > 0 added to the variances. Defaults to 1e-6.
        per_channel: bool; True takes statistics per channel, False pools
            the channels (CP-JKU's reduction, the same on one channel).
            Defaults to True.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (a λ per example) or ``"batch"``
            (one λ for the batch, Cai, DCASE 2024). Partners stay per
            example. Defaults to ``"example"``.
        **kwargs: base layer arguments (``data_format``, ``name``, ``dtype``).

    Input shape:
        ``(batch, time, freq[, channels])``, or a dict with it under
        ``"spectrograms"`` (other keys pass through) and optionally
        ``"lengths"`` or ``"padding_mask"``: statistics then use the valid
        frames only and padding is returned unchanged.

    Output shape:
        Same as the input.

    Raises:
        ValueError: on an out-of-range argument.
        TypeError: on an argument of the wrong type.

    Examples:
        >>> import keras_specmix as ks
        >>> x = tf.random.normal([8, 100, 64, 1])
        >>> out = ks.FrequencyMixStyle(alpha=0.3, prob=1.0, seed=0)(x)
        >>> out.shape
        TensorShape([8, 100, 64, 1])
        >>> d = ks.FrequencyMixStyle(seed=0)({"spectrograms": x, "labels": tf.zeros([8, 3])})
        >>> bool(tf.reduce_all(d["labels"] == 0.0))
        True

        The DCASE 2024/2025 baseline: one gate per batch, a λ per example.

        >>> baseline = ks.FrequencyMixStyle(alpha=0.3, prob=0.4, gate_granularity="batch")

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        alpha: float = 0.3,
        prob: float = 0.4,
        eps: float = 1e-6,
        per_channel: bool = True,
        gate_granularity: Granularity = "example",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha = _validation.check_float("alpha", alpha, 0.0, open_min=True)
        self._set_gate(prob, gate_granularity)
        self.eps = _validation.check_float("eps", eps, 0.0, open_min=True)
        self.per_channel = _validation.check_bool("per_channel", per_channel)

    def sample_params(self, data, seed):
        x = data[SPECTROGRAMS]
        batch_size = shape_of(x)[0]
        return mix_style.sample_freq_mixstyle_params(
            seed, batch_size, self.alpha, self.prob, **self.granularities()
        )

    def transform(self, data, params):
        x = mix_style.apply_freq_mixstyle(
            data[SPECTROGRAMS], params, self.eps, self.per_channel, self.lengths(data)
        )
        return {**data, SPECTROGRAMS: x}

    def get_config(self):
        config = super().get_config()
        config.update(alpha=self.alpha, prob=self.prob, eps=self.eps, per_channel=self.per_channel)
        return config
