"""The SpecMix talk's scene-classification comparison, runnable end to end.

``python -m keras_specmix.experiments`` runs the talk's none, MixUp, CutMix,
SpecAugment and SpecMix (and, when named, Freq-MixStyle, FilterAugment,
RandomGain and MixingPolicy) over several seeds on the embedded synthetic
scenes (default), or
on TAU 2020 Mobile, SECL-UMONS, spoken digits or your own audio, and writes a
JSON record of every run, the talk's table in Markdown (the paper's numbers
beside ours where the dataset is the paper's) and a PNG plot. See
``docs/experiments.md``.

Modules, one job each:

- :mod:`~keras_specmix.experiments.conditions`: the condition registry (one
  entry per augmentation condition: label, layer, options, placement);
- :mod:`~keras_specmix.experiments.sources`: the dataset-source registry (one
  entry per ``--dataset``: reader, ``--data-dir``, group column, feature
  defaults, flags);
- :mod:`~keras_specmix.experiments.cli`: the command line, built from the
  registries, and its checks (no TensorFlow: ``--help`` answers at once);
- :mod:`~keras_specmix.experiments.argtypes`: argparse types over
  ``keras_specmix._validation``;
- :mod:`~keras_specmix.experiments.choices`: the model, strategy and
  optimiser names the command accepts;
- :mod:`~keras_specmix.experiments.presets`: ``--paper``, ``--smoke`` and the
  per-dataset defaults -> the run configuration;
- :mod:`~keras_specmix.experiments.comparison`: the loop over seeds and
  conditions, and the reports;
- :mod:`~keras_specmix.experiments.runner`: :func:`main`, the command;
- :mod:`~keras_specmix.experiments.splits`: train/validation/test splits
  (validation carved from training; per-process shards);
- :mod:`~keras_specmix.experiments.models` (``small``, ``two_path``,
  ``resnet101``, ``cp_mobile`` from :mod:`~keras_specmix.experiments.cp_mobile`),
  :mod:`~keras_specmix.experiments.complexity` (parameters and
  multiply-accumulates as DCASE counts them),
  :mod:`~keras_specmix.experiments.train`
  (one run), :mod:`~keras_specmix.experiments.report` (JSON store,
  provenance, Markdown), :mod:`~keras_specmix.experiments.stats` (paired t
  intervals and tests, Holm, seeds needed),
  :mod:`~keras_specmix.experiments.figures` (PNG figures),
  :mod:`~keras_specmix.experiments.distribute` (``tf.distribute``,
  ``keras.distribution``), :mod:`~keras_specmix.experiments.optim`
  (PyTorch-style Adam weight decay), :mod:`~keras_specmix.experiments.paper`
  (the talk's numbers).

The command's start-up (``--help`` and argument errors before TensorFlow is
imported, the quiet TensorFlow import, the oneDNN guard) is the top-level
module ``_keras_specmix_cli``, outside the package.
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
