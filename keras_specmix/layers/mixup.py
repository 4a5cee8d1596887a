"""MixUp layer."""

from typing import Any

import keras

from keras_specmix import _validation
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.mixing import MixingLayer
from keras_specmix.ops import mixing
from keras_specmix.ops._backend import shape_of


@keras.saving.register_keras_serializable(package="keras_specmix")
class MixUp(MixingLayer):
    """MixUp (Zhang et al., 2018) with one λ ~ Beta(α, α) per example.

    ``x_out = λ·x + (1 − λ)·x[partner]`` and ``y_out = λ·y + (1 − λ)·y[partner]``.
    Each example's partner is another example of the batch (a random cyclic
    pairing: see ``keras_specmix.ops.pair_indices``); a batch of one comes
    back unmixed with λ = 1. Unlike ``keras.layers.MixUp``, λ is drawn per
    example, the sampler compiles under XLA, sparse labels are one-hot
    encoded, and inference is the identity.

    References:
        Zhang, Cisse, Dauphin and Lopez-Paz, "mixup: Beyond Empirical Risk
        Minimization", ICLR 2018. https://arxiv.org/abs/1710.09412

    Args:
        alpha: float > 0, Beta(α, α) concentration. Defaults to 0.4 (the
            SpecMix experiments' value).
        num_classes: int or None; required for sparse integer labels.
        prob: float in [0, 1], probability that an example is mixed.
            Defaults to 1.0.
        return_mix_info: bool, also return ``"mix_weights"`` (λ) and
            ``"partners"``. Defaults to False.
        seed: int >= 0 or None.
        gate_granularity: ``"example"`` (each example mixed with probability
            ``prob``) or ``"batch"`` (the whole batch, or none of it).
            Defaults to ``"example"``.
        param_granularity: ``"example"`` (a λ per example) or ``"batch"``
            (one λ for the batch). Partners stay per example. Defaults to
            ``"example"``.

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
        >>> x = tf.random.normal([8, 100, 64, 3])
        >>> y = tf.one_hot(tf.range(8) % 4, 4)
        >>> out = ks.MixUp(alpha=0.4, seed=1)({"spectrograms": x, "labels": y})
        >>> out["spectrograms"].shape, out["labels"].shape
        (TensorShape([8, 100, 64, 3]), TensorShape([8, 4]))

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(self, alpha: float = 0.4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = _validation.check_float("alpha", alpha, 0.0, open_min=True)

    def sample_params(self, data, seed, partner=None):
        batch_size = shape_of(data[SPECTROGRAMS])[0]
        return mixing.sample_mixup_params(
            seed, batch_size, self.alpha, self.prob, partner, **self.granularities()
        )

    def mix(self, x, y, params, lengths=None):
        return mixing.apply_mixup(x, y, params, lengths=lengths)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
