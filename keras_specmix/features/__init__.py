"""Audio front end: waveform -> log-mel spectrogram (+ Δ, ΔΔ), on `tf.signal`.

The defaults reproduce the SpecMix paper's features (44.1 kHz, FFT 2048, hop
1024, 128 HTK mel bands, ``log(x + 1e-8)``, Δ and ΔΔ; ``docs/features.md``). Layout is
``(..., time, freq, channels)``.
"""

from keras_specmix.features.config import PAPER
from keras_specmix.features.config import FrontEndConfig
from keras_specmix.features.frontend import compute_features
from keras_specmix.features.frontend import deltas
from keras_specmix.features.frontend import log_mel_spectrogram
from keras_specmix.features.frontend import power_spectrogram
from keras_specmix.features.frontend import stack_deltas
from keras_specmix.features.layer import LogMelSpectrogram
from keras_specmix.features.mel import mel_filterbank

__all__ = [
    "PAPER",
    "FrontEndConfig",
    "LogMelSpectrogram",
    "compute_features",
    "deltas",
    "log_mel_spectrogram",
    "mel_filterbank",
    "power_spectrogram",
    "stack_deltas",
]
