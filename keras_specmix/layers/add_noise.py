"""AddNoise layer: white noise at a random signal-to-noise ratio per example."""

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
class AddNoise(SignalAugmentation):
    """Adds white noise at a random SNR per example, scaled from the example's own power.

    Per example, an SNR ``snr`` uniform in ``snr_db_range`` dB and the
    example's mean power ``P_s`` over its valid frames (and chosen
    channels) give the noise power ``P_n = P_s·10^(−snr/10)``. The noise is
    added where the input is linear in power or amplitude (``domain``):

    * ``"waveform"``: ``x + √P_n·n``, ``n`` standard normal per sample
      (``P_s`` = mean of ``x²``);
    * ``"power"``: ``x + P_n·e``, ``e`` standard exponential per cell (the
      law of one STFT bin's power of white Gaussian noise; the same mean
      ``P_n`` on every bin, so flat per mel band on a mel spectrogram);
    * ``"amplitude"``: ``√(x² + P_n·e)`` (noise power added to ``x²``);
    * ``"log"`` (``log(p + eps)``, this library's front end) and ``"db"``:
      converted, not refused: the power-domain noise is added to the power
      the features hold, ``log(exp(x) + P_n·e)`` (computed stably as
      ``logaddexp``). For ``x = log(p + eps)`` that is exactly the log
      feature of the noisy power, ``log((p + P_n·e) + eps)``, floor kept.

    An example without valid frames or with zero power is returned
    unchanged; so are padding and the channels not chosen. Labels pass
    through. On a log-mel + Δ + ΔΔ stack, ``channels=[0]`` adds noise to the
    log-mel only: its Δ channels then no longer match it.

    Reference: the DCASE Task 4 baseline adds Gaussian noise at an SNR
    uniform in [6, 30] dB per example (``add_noise`` in
    ``DCASE-REPO/DESED_task``, ``desed_task/data_augm.py``), scaled from the
    feature tensor's standard deviation; here the noise is added in a linear
    domain, scaled from the mean power (see ``docs/device_generalisation.md``).

    Args:
        snr_db_range: ``(low, high)`` SNR in dB. Defaults to ``(6, 30)``.
        domain: ``"log"``, ``"db"``, ``"power"``, ``"amplitude"`` or
            ``"waveform"``. Defaults to ``"log"``.
        channels: None (every channel) or a list of channel indices;
            ``P_s`` is taken over these channels. Defaults to None.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (an SNR per example) or ``"batch"``
            (one SNR for the batch). The noise itself is drawn per cell
            either way. Defaults to ``"example"``.
        **kwargs: base layer arguments (``data_format``, ``name``, ``dtype``).

    Input shape:
        ``(batch, time, freq[, channels])``; with ``domain="waveform"`` also
        ``(batch, samples[, channels])``; or a dict with it under
        ``"spectrograms"`` or ``"waveforms"`` and optionally ``"lengths"`` or
        ``"padding_mask"``.

    Output shape:
        Same as the input.

    Raises:
        ValueError: on an out-of-range argument.
        TypeError: on an argument of the wrong type.

    Examples:
        >>> import keras_specmix as ks
        >>> x = tf.random.stateless_normal([2, 16000], seed=[0, 1])
        >>> out = ks.AddNoise(snr_db_range=(20, 20), domain="waveform", seed=0)(x)
        >>> snr = 10 * np.log10(np.mean(x.numpy() ** 2) / np.mean((out - x).numpy() ** 2))
        >>> bool(abs(snr - 20) < 0.2)
        True

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        snr_db_range: Sequence[float] = (6.0, 30.0),
        domain: Domain = "log",
        channels: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.snr_db_range = gain_noise.check_db_range("snr_db_range", snr_db_range)
        self.domain = _validation.check_choice("domain", domain, set(gain_noise.DOMAINS))
        self.channels = gain_noise.check_channels(channels)

    @property
    def accepts_waveforms(self):
        return self.domain == gain_noise.WAVEFORM

    def sample_params(self, data, seed):
        return gain_noise.sample_noise_params(
            seed,
            shape_of(data[SPECTROGRAMS]),
            self.snr_db_range,
            self.domain,
            **self.granularities(),
        )

    def transform(self, data, params):
        x = gain_noise.add_noise(
            data[SPECTROGRAMS], params, self.domain, self.channels, self.lengths(data)
        )
        return {**data, SPECTROGRAMS: x}

    def get_config(self):
        config = super().get_config()
        config.update(
            snr_db_range=list(self.snr_db_range),
            domain=self.domain,
            channels=None if self.channels is None else list(self.channels),
        )
        return config
