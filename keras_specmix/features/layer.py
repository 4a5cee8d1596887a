"""`LogMelSpectrogram`: a thin Keras layer over :func:`compute_features`."""

from typing import Any

import keras
import tensorflow as tf

from keras_specmix.features.config import FrontEndConfig
from keras_specmix.features.frontend import compute_features


@keras.saving.register_keras_serializable(package="keras_specmix")
class LogMelSpectrogram(keras.layers.Layer):
    """Waveforms to the paper's log-mel (+ Δ, ΔΔ) features, inside a model.

    Arguments are the fields of :class:`FrontEndConfig` (same names, same
    defaults: 44.1 kHz, FFT 2048, hop 1024, 128 HTK mels, ``log(x + 1e-8)``,
    Δ/ΔΔ channels). The layer has no weights; it is deterministic and the
    same in training and inference.

    Args:
        sample_rate: sampling rate of the waveforms in Hz. Defaults to 44100.
        n_fft: FFT size and Hann window length in samples. Defaults to 2048.
        hop_length: hop between frames in samples. Defaults to 1024.
        n_mels: number of mel bands. Defaults to 128.
        fmin: lowest mel edge in Hz. Defaults to 0.
        fmax: highest mel edge in Hz, or None for ``sample_rate / 2``.
        htk: HTK mel scale (True, the paper) or Slaney's (False).
        log_offset: the ``eps`` of ``log(x + eps)``. Defaults to 1e-8.
        center: pad ``n_fft // 2`` zeros on both sides before framing.
        deltas: stack Δ and ΔΔ as channels 2 and 3 (True) or not.
        **kwargs: base layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, samples)`` float waveforms.

    Output shape:
        ``(batch, time, n_mels, channels)``; ``time = 1 + samples // hop - 8``
        and ``channels = 3`` with ``deltas=True`` (else ``time = 1 + samples
        // hop`` and ``channels = 1``).

    Examples:

    >>> layer = LogMelSpectrogram(sample_rate=16000, n_fft=512, hop_length=256,
    ...                           n_mels=64)
    >>> layer(tf.zeros([2, 16000])).shape
    TensorShape([2, 55, 64, 3])

    Safe in `tf.data`; compiles under `jit_compile=True`; deterministic.
    """

    def __init__(
        self,
        sample_rate: int = 44100,
        n_fft: int = 2048,
        hop_length: int = 1024,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: float | None = None,
        htk: bool = True,
        log_offset: float = 1e-8,
        center: bool = True,
        deltas: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = FrontEndConfig(
            sample_rate=sample_rate,
            n_fft=n_fft,
            hop_length=hop_length,
            n_mels=n_mels,
            fmin=fmin,
            fmax=fmax,
            htk=htk,
            log_offset=log_offset,
            center=center,
            deltas=deltas,
        )
        self.supports_masking = False

    def call(self, inputs):
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank != 2:
            raise ValueError(
                "`inputs` must be waveforms of rank 2, (batch, samples). "
                f"Received: shape={inputs.shape}"
            )
        return compute_features(tf.cast(inputs, self.compute_dtype), self.config)

    def compute_output_shape(self, input_shape):
        batch, samples = input_shape
        if samples is None:
            time = None
        else:
            time, _, _ = self.config.output_shape(samples)
            time = time
        return (batch, time, self.config.n_mels, self.config.channels)

    def get_config(self):
        return {**super().get_config(), **self.config.to_dict()}
