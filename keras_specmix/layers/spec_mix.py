"""SpecMix layer."""

from collections.abc import Sequence
from typing import Any

import keras

from keras_specmix import _validation
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.mixing import MixingLayer
from keras_specmix.ops import mixing
from keras_specmix.ops._backend import shape_of


@keras.saving.register_keras_serializable(package="keras_specmix")
class SpecMix(MixingLayer):
    """SpecMix (Kim, Han and Ko, 2021): paste full-span bands of a partner.

    Per example ``b``: a width ratio ``g_b`` (``gamma``, or uniform in
    ``[low, high)`` when ``gamma`` is a pair, the talk's "γ ~ U[0, 1]");
    ``n_f`` frequency bands of ``floor(g_b·F)`` bins spanning all frames and
    ``n_t`` time bands of ``floor(g_b·T)`` frames spanning all bins, with
    ``n_f`` uniform in ``{min_freq_bands, ..., max_freq_bands}`` (likewise
    ``n_t``) and each start uniform over the valid positions. Inside the
    union ``D`` of the bands the output takes the partner's values, on every
    channel; elsewhere it keeps its own. The label weight comes from the
    realised mask, ``λ = 1 − |D| / (T·F)`` (overlaps counted once), and
    ``y_out = λ·y + (1 − λ)·y[partner]``. With the defaults (0 to 2 bands
    each) about 1 example in 9 draws no band and is left unmixed.

    This follows the first author's code (GT-KIM/specmix) without its
    time/frequency axis mix-up, and pairs each example with another example
    of the same batch (see ``keras_specmix.ops.pair_indices``).

    References:
        Kim, Han and Ko, "SpecMix: A Mixed Sample Data Augmentation Method
        for Training with Time-Frequency Domain Features", Interspeech 2021.
        https://arxiv.org/abs/2108.03020

    Args:
        gamma: float in [0, 1], the band width as a share of the axis, or a
            ``(low, high)`` range sampled per example. Defaults to 0.3.
        min_freq_bands: int >= 0. Defaults to 0.
        max_freq_bands: int >= min_freq_bands. Defaults to 2.
        min_time_bands: int >= 0. Defaults to 0.
        max_time_bands: int >= min_time_bands. Defaults to 2.
        num_classes: int or None; required for sparse integer labels.
        prob: float in [0, 1], probability that an example is mixed.
        return_mix_info: bool, also return ``"mix_weights"`` and ``"partners"``.
        seed: int >= 0 or None.
        gate_granularity: ``"example"`` (each example mixed with probability
            ``prob``) or ``"batch"`` (the whole batch, or none of it).
            Defaults to ``"example"``.
        param_granularity: ``"example"`` (bands per example) or ``"batch"``
            (one width ratio, one band count per axis and one start draw per
            band for the batch; in a padded batch the time bands are at the
            same relative place of each pair's shared span). Partners stay
            per example. Defaults to ``"example"``.

    Input shape:
        ``{"spectrograms": (batch, time, freq[, channels]), "labels":
        (batch, classes) or (batch,)}``. ``time`` may be unknown.

    Output shape:
        ``{"spectrograms": same as input, "labels": (batch, classes)}``.

    Raises:
        ValueError: on an out-of-range argument, a bare tensor input, or
            labels of the wrong shape.

    Examples:
        >>> import keras_specmix as ks
        >>> x = tf.random.normal([32, 400, 128, 3])
        >>> y = tf.one_hot(tf.range(32) % 10, 10)
        >>> out = ks.SpecMix(gamma=0.3, seed=1)({"spectrograms": x, "labels": y})
        >>> out["spectrograms"].shape
        TensorShape([32, 400, 128, 3])

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        gamma: float | Sequence[float] = 0.3,
        min_freq_bands: int = 0,
        max_freq_bands: int = 2,
        min_time_bands: int = 0,
        max_time_bands: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.gamma = _validation.check_range_or_float("gamma", gamma, 0.0, 1.0)
        self.min_freq_bands, self.max_freq_bands = _validation.check_band_counts(
            "freq", min_freq_bands, max_freq_bands
        )
        self.min_time_bands, self.max_time_bands = _validation.check_band_counts(
            "time", min_time_bands, max_time_bands
        )

    def sample_params(self, data, seed, partner=None):
        shape = shape_of(data[SPECTROGRAMS])
        return mixing.sample_specmix_params(
            seed,
            shape[0],
            shape[1],
            shape[2],
            gamma=self.gamma,
            min_freq_bands=self.min_freq_bands,
            max_freq_bands=self.max_freq_bands,
            min_time_bands=self.min_time_bands,
            max_time_bands=self.max_time_bands,
            prob=self.prob,
            lengths=self.lengths(data),
            partner=partner,
            **self.granularities(),
        )

    def mix(self, x, y, params, lengths=None):
        return mixing.apply_specmix(x, y, params, lengths=lengths)

    def get_config(self):
        config = super().get_config()
        config.update(
            gamma=list(self.gamma) if isinstance(self.gamma, tuple) else self.gamma,
            min_freq_bands=self.min_freq_bands,
            max_freq_bands=self.max_freq_bands,
            min_time_bands=self.min_time_bands,
            max_time_bands=self.max_time_bands,
        )
        return config
