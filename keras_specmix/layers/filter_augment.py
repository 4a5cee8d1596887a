"""FilterAugment layer: random band-wise gains (Nam et al., ICASSP 2022)."""

from collections.abc import Sequence
from typing import Any
from typing import Literal

import keras

from keras_specmix import _validation
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.ops import filter_augment as ops
from keras_specmix.ops import gain_noise
from keras_specmix.ops._backend import shape_of


@keras.saving.register_keras_serializable(package="keras_specmix")
class FilterAugment(SpectrogramAugmentation):
    """Applies a random filter per example: frequency bands with random gains in dB.

    Per example: ``n`` bands (uniform in ``{low, ..., high − 1}`` for
    ``num_bands=(low, high)``, the authors' ``torch.randint``), each at least
    ``min_bandwidth`` bins wide, at random boundaries; gains uniform in
    ``db_range``, constant over each band (``mode="step"``) or linear between
    gains drawn at the band edges (``mode="linear"``, the ICASSP 2022
    version). The filter is the same on every frame: an imitation of an
    unseen device or room. Labels pass through.

    The authors multiply a magnitude spectrogram by ``10^(g/20)``; on log
    features the filter is an addition. ``domain`` says what the input
    holds: ``"log"`` (natural log of power, ``log(x + eps)``, this library's
    front end: adds ``g·ln(10)/10``), ``"db"`` (adds ``g``), ``"power"``
    (multiplies by ``10^(g/10)``) or ``"amplitude"`` (multiplies by
    ``10^(g/20)``).

    References:
        Nam, Kim, Ko and Park, "FilterAugment: An Acoustic Environmental Data
        Augmentation Method", ICASSP 2022. https://arxiv.org/abs/2110.03282
        Code: github.com/frednam93/FilterAugSED (``filt_aug``).

    Args:
        db_range: ``(low, high)`` gains in dB. Defaults to ``(-6, 6)``.
        num_bands: ``(low, high)``: the band count is uniform in
            ``{low, ..., high − 1}``; or an int for a fixed count. Defaults
            to ``(3, 6)`` (the authors' linear setting; step: ``(2, 5)``).
        min_bandwidth: int >= 1, the narrowest band in bins (lowered for an
            example when the bands would not fit). Defaults to 6 (linear;
            the authors' step setting is 4).
        mode: ``"linear"`` or ``"step"``. Defaults to ``"linear"``.
        domain: ``"log"``, ``"db"``, ``"power"`` or ``"amplitude"``.
            Defaults to ``"log"``.
        channels: None (filter every channel) or a list of channel indices to
            filter, e.g. ``[0]`` for the log-mel of a log-mel + Δ + ΔΔ stack
            (a constant offset has no Δ). An input without a channel axis is
            channel 0. Defaults to None.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (bands and gains per example) or
            ``"batch"`` (one set of bands and gains for the batch). Defaults
            to ``"example"``.
        **kwargs: base layer arguments (``data_format``, ``name``, ``dtype``).

    Input shape:
        ``(batch, time, freq[, channels])``, or a dict with it under
        ``"spectrograms"`` and optionally ``"lengths"`` or ``"padding_mask"``
        (padding is returned unchanged).

    Output shape:
        Same as the input.

    Raises:
        ValueError: on an out-of-range argument.
        TypeError: on an argument of the wrong type.

    Examples:
        >>> import keras_specmix as ks
        >>> x = tf.zeros([4, 50, 64])
        >>> out = ks.FilterAugment(db_range=(-6, 6), mode="step", domain="db", seed=0)(x)
        >>> bool(tf.reduce_all(tf.abs(out) <= 6.0))
        True

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        db_range: Sequence[float] = (-6.0, 6.0),
        num_bands: int | Sequence[int] = (3, 6),
        min_bandwidth: int = 6,
        mode: Literal["linear", "step"] = "linear",
        domain: Literal["log", "db", "power", "amplitude"] = "log",
        channels: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.db_range = ops.check_db_range(db_range)
        self.num_bands = ops.check_num_bands(num_bands)
        self.min_bandwidth = _validation.check_int("min_bandwidth", min_bandwidth, minimum=1)
        self.mode = _validation.check_choice("mode", mode, set(ops.MODES))
        self.domain = _validation.check_choice("domain", domain, set(ops.DOMAINS))
        self.channels = gain_noise.check_channels(channels)

    def sample_params(self, data, seed):
        x = data[SPECTROGRAMS]
        shape = shape_of(x)
        return ops.sample_filter_augment_params(
            seed,
            shape[0],
            shape[2],
            self.db_range,
            self.num_bands,
            self.min_bandwidth,
            **self.granularities(),
        )

    def transform(self, data, params):
        x = data[SPECTROGRAMS]
        out = ops.apply_filter_augment(
            x, params, self.mode, self.domain, self.channels, self.lengths(data)
        )
        return {**data, SPECTROGRAMS: out}

    def get_config(self):
        config = super().get_config()
        config.update(
            db_range=list(self.db_range),
            num_bands=list(self.num_bands),
            min_bandwidth=self.min_bandwidth,
            mode=self.mode,
            domain=self.domain,
            channels=None if self.channels is None else list(self.channels),
        )
        return config
