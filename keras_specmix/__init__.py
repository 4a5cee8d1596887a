"""keras_specmix: SpecMix, MixUp, CutMix and SpecAugment for Keras 3 and tf.data.

Layers work on spectrograms shaped ``(batch, time, freq[, channels])``; the
mixing layers take and return ``{"spectrograms": x, "labels": y}``.
"""

import _keras_specmix_cli

# `python -m keras_specmix.experiments` only: its start-up must run before
# TensorFlow is imported, and Python imports this package before `__main__`.
_keras_specmix_cli.prepare_module_run()

from keras_specmix import _optional  # noqa: E402

_optional.import_keras()  # a missing backend package (jax, torch): one line naming the extra

from keras_specmix import data  # noqa: E402
from keras_specmix import datasets
from keras_specmix import distillation
from keras_specmix import features
from keras_specmix import losses
from keras_specmix import ops
from keras_specmix.distillation import DistillationModel
from keras_specmix.layers import AddNoise
from keras_specmix.layers import CutMix
from keras_specmix.layers import DeviceImpulseResponse
from keras_specmix.layers import FilterAugment
from keras_specmix.layers import FrequencyMasking
from keras_specmix.layers import FrequencyMixStyle
from keras_specmix.layers import MixingPolicy
from keras_specmix.layers import MixUp
from keras_specmix.layers import RandomGain
from keras_specmix.layers import SpecAugment
from keras_specmix.layers import SpecMix
from keras_specmix.layers import TimeMasking
from keras_specmix.layers import TimeRoll
from keras_specmix.layers import TimeWarp
from keras_specmix.training import MixingModel
from keras_specmix.training import MixingTrainStepMixin
from keras_specmix.version import __version__

__all__ = [
    # mixing layers
    "MixUp",
    "CutMix",
    "SpecMix",
    "MixingPolicy",
    # domain-generalisation layers
    "FrequencyMixStyle",
    "FilterAugment",
    "DeviceImpulseResponse",
    # waveform and spectrogram layers of the DCASE recipes
    "TimeRoll",
    "RandomGain",
    "AddNoise",
    # SpecAugment layers
    "SpecAugment",
    "TimeWarp",
    "FrequencyMasking",
    "TimeMasking",
    # training helpers
    "MixingModel",
    "MixingTrainStepMixin",
    "DistillationModel",
    # modules
    "data",
    "datasets",
    "distillation",
    "features",
    "losses",
    "ops",
    "__version__",
]
