"""RandomGain layer: one random gain in dB per example."""

from collections.abc import Sequence
from typing import Any

import keras

from keras_specmix import _validation
from keras_specmix._typing import Domain
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.signal import SignalAugmentation
from keras_specmix.ops import gain_noise
from keras_specmix.ops._backend import shape_of


@keras.saving.register_keras_serializable(package="keras_specmix")
class RandomGain(SignalAugmentation):
    """Scales each example by a random gain, uniform in ``db_range`` dB.

    One gain ``g`` per example, the same on every valid cell; its form
    depends on what the input holds (``domain``, the same table as
    ``FilterAugment``'s): ``"log"`` (natural log of power, this library's
    front end) adds ``g·ln(10)/10``, ``"db"`` adds ``g``, ``"power"``
    multiplies by ``10^(g/10)``, ``"amplitude"`` and ``"waveform"`` multiply
    by ``10^(g/20)``. Labels pass through.

    On log features a gain is a constant offset, so it has no Δ: on a
    log-mel + Δ + ΔΔ stack pass ``channels=[0]``.

    The EfficientAT DCASE 2020 recipe scales waveforms by a gain of up to
    ±12 dB: ``RandomGain(db_range=(-12, 12), domain="waveform")``.

    Args:
        db_range: ``(low, high)`` in dB. Defaults to ``(-12, 12)``.
        domain: ``"log"``, ``"db"``, ``"power"``, ``"amplitude"`` or
            ``"waveform"``. Defaults to ``"log"``.
        channels: None (every channel) or a list of channel indices to
            scale; an input without a channel axis is channel 0. Defaults to None.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (a gain per example) or ``"batch"``
            (one gain for the batch). Defaults to ``"example"``.
        **kwargs: base layer arguments (``data_format``, ``name``, ``dtype``).

    Input shape:
        ``(batch, time, freq[, channels])``; with ``domain="waveform"`` also
        ``(batch, samples[, channels])``; or a dict with it under
        ``"spectrograms"`` or ``"waveforms"`` and optionally ``"lengths"`` or
        ``"padding_mask"`` (padding is returned unchanged).

    Output shape:
        Same as the input.

    Raises:
        ValueError: on an out-of-range argument.
        TypeError: on an argument of the wrong type.

    Examples:
        >>> import keras_specmix as ks
        >>> x = tf.zeros([4, 50, 64])
        >>> out = ks.RandomGain(db_range=(-6, 6), domain="db", seed=0)(x)
        >>> bool(tf.reduce_all(tf.abs(out) <= 6.0)), bool(tf.reduce_all(out[:, 0] == out[:, 1]))
        (True, True)
        >>> wav = ks.RandomGain(db_range=(-12, 12), domain="waveform", seed=0)(tf.ones([2, 8000]))
        >>> wav.shape
        TensorShape([2, 8000])

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        db_range: Sequence[float] = (-12.0, 12.0),
        domain: Domain = "log",
        channels: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.db_range = gain_noise.check_db_range("db_range", db_range)
        self.domain = _validation.check_choice("domain", domain, set(gain_noise.DOMAINS))
        self.channels = gain_noise.check_channels(channels)

    @property
    def accepts_waveforms(self):
        return self.domain == gain_noise.WAVEFORM

    def sample_params(self, data, seed):
        return gain_noise.sample_gain_params(
            seed, shape_of(data[SPECTROGRAMS])[0], self.db_range, **self.granularities()
        )

    def transform(self, data, params):
        x = gain_noise.apply_gain(
            data[SPECTROGRAMS], params, self.domain, self.channels, self.lengths(data)
        )
        return {**data, SPECTROGRAMS: x}

    def get_config(self):
        config = super().get_config()
        config.update(
            db_range=list(self.db_range),
            domain=self.domain,
            channels=None if self.channels is None else list(self.channels),
        )
        return config
