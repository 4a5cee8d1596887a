"""CutMix layer."""

from typing import Any
from typing import Literal

import keras

from keras_specmix import _validation
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.mixing import MixingLayer
from keras_specmix.ops import mixing
from keras_specmix.ops._backend import shape_of

AXES = ("both", "time", "freq")


@keras.saving.register_keras_serializable(package="keras_specmix")
class CutMix(MixingLayer):
    """CutMix (Yun et al., 2019) on the time-frequency plane, per example.

    Per example: λ ~ Beta(α, α); a box of ``floor(T·sqrt(1 − λ))`` frames by
    ``floor(F·sqrt(1 − λ))`` bins around a uniform centre, clipped at the
    borders, is pasted from the partner; the label weight is recomputed from
    the clipped box, ``λ = 1 − box_area / (T·F)``. The audio variants
    ``axes="time"`` (full-height box of ``floor(T·(1 − λ))`` frames) and
    ``axes="freq"`` (full-length box of ``floor(F·(1 − λ))`` bins) paste a
    stretch of time or a band of frequencies. Pairing as in ``MixUp``.

    References:
        Yun, Han, Oh, Chun, Choe and Yoo, "CutMix: Regularization Strategy to
        Train Strong Classifiers with Localizable Features", ICCV 2019.
        https://arxiv.org/abs/1905.04899

    Args:
        alpha: float > 0, Beta(α, α) concentration. Defaults to 0.4.
        axes: ``"both"`` (a box), ``"time"`` or ``"freq"``. Defaults to
            ``"both"``.
        num_classes: int or None; required for sparse integer labels.
        prob: float in [0, 1], probability that an example is mixed.
        return_mix_info: bool, also return ``"mix_weights"`` and ``"partners"``.
        seed: int >= 0 or None.
        gate_granularity: ``"example"`` (each example mixed with probability
            ``prob``) or ``"batch"`` (the whole batch, or none of it).
            Defaults to ``"example"``.
        param_granularity: ``"example"`` (a λ and a box per example) or
            ``"batch"`` (one λ and one box centre for the batch, timm's
            ``mode="batch"``; in a padded batch the centre is at the same
            relative place of each pair's shared span). Partners stay per
            example. Defaults to ``"example"``.

    Input shape:
        ``{"spectrograms": (batch, time, freq[, channels]), "labels":
        (batch, classes) or (batch,)}``.

    Output shape:
        ``{"spectrograms": same as input, "labels": (batch, classes)}``.

    Raises:
        ValueError: on an out-of-range argument, a bare tensor input, or
            labels of the wrong shape.

    Examples:
        >>> import keras_specmix as ks
        >>> x = tf.random.normal([8, 100, 64])
        >>> y = tf.range(8) % 4
        >>> layer = ks.CutMix(axes="time", num_classes=4, seed=0)
        >>> layer({"spectrograms": x, "labels": y})["labels"].shape
        TensorShape([8, 4])

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self, alpha: float = 0.4, axes: Literal["both", "time", "freq"] = "both", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.alpha = _validation.check_float("alpha", alpha, 0.0, open_min=True)
        self.axes = _validation.check_choice("axes", axes, AXES)

    def sample_params(self, data, seed, partner=None):
        shape = shape_of(data[SPECTROGRAMS])
        return mixing.sample_cutmix_params(
            seed,
            shape[0],
            shape[1],
            shape[2],
            self.alpha,
            self.axes,
            self.prob,
            lengths=self.lengths(data),
            partner=partner,
            **self.granularities(),
        )

    def mix(self, x, y, params, lengths=None):
        return mixing.apply_cutmix(x, y, params, lengths=lengths)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "axes": self.axes}
