"""Datasets as ``tf.data.Dataset`` of ``(features, label)``.

Five sources, one contract: each loader returns a :class:`LoadedSplit`, the
``tf.data.Dataset`` of features float32 ``(time, n_mels, channels)`` (the
paper's front end by default) and integer labels, beside its
``class_names``, ``metadata`` (per-example columns such as device,
city/location, split), ``skipped`` files and ``table``. Unreadable files
skipped with ``on_error="skip"`` are also reported by a
:class:`SkippedFilesWarning`.

- :func:`tau2020_mobile`: TAU Urban Acoustic Scenes 2020 Mobile (your copy).
- :func:`secl_umons`: SECL-UMONS unilabel (your copy).
- :func:`from_directory` / :func:`from_csv`: your own audio.
- :func:`synthetic_scenes`: the embedded, seeded default (no files needed).
- :func:`spoken_digits`: espeak-ng digits (needs the espeak-ng package).

:func:`load_impulse_responses`, :func:`stack_impulse_responses` and
:func:`synthetic_impulse_responses` build the impulse-response banks of
:class:`~keras_specmix.DeviceImpulseResponse`.

:func:`random_crop` takes the paper's random 400-frame crops with stateless
seeds. Audio files are decoded with libsndfile (``soundfile``) and resampled with
libsoxr (``soxr``), from the ``audio`` extra: soundfile is imported only when
files are read, soxr only when one needs resampling.

:mod:`~keras_specmix.datasets.fakes` writes tiny fake TAU 2020 Mobile and
SECL-UMONS trees (:func:`write_fake_tau2020_mobile`,
:func:`write_fake_secl_umons`, with soundfile) to smoke-test a pipeline.
"""

from keras_specmix.datasets.audio_io import AudioFileError
from keras_specmix.datasets.audio_io import AudioInfo
from keras_specmix.datasets.audio_io import SkippedFilesWarning
from keras_specmix.datasets.audio_io import inspect_audio
from keras_specmix.datasets.cache import cached_dataset
from keras_specmix.datasets.cache import cached_features
from keras_specmix.datasets.cache import read_feature_cache
from keras_specmix.datasets.cache import write_feature_cache
from keras_specmix.datasets.crop import crop_time
from keras_specmix.datasets.crop import random_crop
from keras_specmix.datasets.digits import render_spoken_digits
from keras_specmix.datasets.digits import spoken_digits
from keras_specmix.datasets.fakes import write_fake_secl_umons
from keras_specmix.datasets.fakes import write_fake_tau2020_mobile
from keras_specmix.datasets.fakes import write_wav
from keras_specmix.datasets.folder import from_csv
from keras_specmix.datasets.folder import from_directory
from keras_specmix.datasets.impulse_responses import load_impulse_responses
from keras_specmix.datasets.impulse_responses import stack_impulse_responses
from keras_specmix.datasets.impulse_responses import synthetic_impulse_responses
from keras_specmix.datasets.pipeline import files_dataset
from keras_specmix.datasets.pipeline import skip_report
from keras_specmix.datasets.secl import secl_umons
from keras_specmix.datasets.secl import secl_umons_table
from keras_specmix.datasets.synthetic import generate_synthetic_scenes
from keras_specmix.datasets.synthetic import synthetic_scenes
from keras_specmix.datasets.table import ExampleTable
from keras_specmix.datasets.table import LoadedSplit
from keras_specmix.datasets.tau import parse_tau_filename
from keras_specmix.datasets.tau import tau2020_mobile
from keras_specmix.datasets.tau import tau2020_mobile_table

__all__ = [
    # loaders
    "tau2020_mobile",
    "secl_umons",
    "from_directory",
    "from_csv",
    "synthetic_scenes",
    "spoken_digits",
    # crops
    "random_crop",
    "crop_time",
    # what a loader returns; tables and metadata
    "LoadedSplit",
    "ExampleTable",
    "tau2020_mobile_table",
    "secl_umons_table",
    "parse_tau_filename",
    "generate_synthetic_scenes",
    "render_spoken_digits",
    # audio files
    "AudioFileError",
    "AudioInfo",
    "SkippedFilesWarning",
    "skip_report",
    "inspect_audio",
    "files_dataset",
    # impulse-response banks (DeviceImpulseResponse)
    "load_impulse_responses",
    "stack_impulse_responses",
    "synthetic_impulse_responses",
    # feature cache
    "cached_dataset",
    "cached_features",
    "read_feature_cache",
    "write_feature_cache",
    # fake trees for smoke tests
    "write_fake_tau2020_mobile",
    "write_fake_secl_umons",
    "write_wav",
]
