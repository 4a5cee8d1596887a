"""The SpecMix talk's scene-classification comparison, runnable end to end.

``python -m keras_specmix.experiments`` runs none, MixUp, CutMix, SpecAugment
and SpecMix (and Freq-MixStyle, FilterAugment and a mixing policy on request)
over several seeds on the embedded synthetic scenes (default), or
on TAU 2020 Mobile, SECL-UMONS, spoken digits or your own audio, and writes a
JSON record of every run, the talk's table in Markdown (the paper's numbers
beside ours where the dataset is the paper's) and a PNG plot. See
``docs/experiments.md``.

Modules: :mod:`~keras_specmix.experiments.models` (``small``, ``two_path``,
``resnet101``), :mod:`~keras_specmix.experiments.conditions` (the
conditions, built from the library's layers),
:mod:`~keras_specmix.experiments.sources` (splits; validation carved from
training), :mod:`~keras_specmix.experiments.train` (one run),
:mod:`~keras_specmix.experiments.report` (JSON store, provenance, Markdown),
:mod:`~keras_specmix.experiments.stats` (paired t intervals and tests, Holm,
seeds needed), :mod:`~keras_specmix.experiments.figures` (PNG figures),
:mod:`~keras_specmix.experiments.distribute` (``tf.distribute``),
:mod:`~keras_specmix.experiments.optim` (PyTorch-style Adam weight decay),
:mod:`~keras_specmix.experiments.paper` (the talk's numbers),
:mod:`~keras_specmix.experiments.runner` (the command line).
"""

from keras_specmix.experiments.conditions import CONDITIONS
from keras_specmix.experiments.conditions import AugmentationParams
from keras_specmix.experiments.models import MODELS
from keras_specmix.experiments.models import build_model
from keras_specmix.experiments.optim import AdamL2
from keras_specmix.experiments.paper import PAPER_RESULTS
from keras_specmix.experiments.runner import main
from keras_specmix.experiments.runner import run_comparison
from keras_specmix.experiments.train import RunConfig
from keras_specmix.experiments.train import run_one

__all__ = [
    "CONDITIONS",
    "AugmentationParams",
    "MODELS",
    "build_model",
    "AdamL2",
    "PAPER_RESULTS",
    "RunConfig",
    "run_one",
    "run_comparison",
    "main",
]
