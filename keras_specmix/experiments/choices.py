"""The names the experiment command accepts, read before TensorFlow starts.

The command line (:mod:`~keras_specmix.experiments.cli`) is parsed before
TensorFlow is imported, so ``--help`` and argument errors answer at once; the
modules that implement these names (:mod:`~keras_specmix.experiments.models`,
:mod:`~keras_specmix.experiments.distribute`,
:mod:`~keras_specmix.experiments.optim`) import Keras, and take the names from
here. This module imports nothing.
"""

MODELS = ("small", "two_path", "resnet101", "cp_mobile")
"""The classifiers :func:`~keras_specmix.experiments.models.build_model` builds."""

FIXED_WIDTH_MODELS = ("resnet101",)
"""Models whose width is fixed (``--width`` is refused)."""

STRATEGIES = ("default", "mirrored", "multi-worker", "keras-distribution")
"""The distribution strategies of :func:`~keras_specmix.experiments.distribute.make_strategy`."""

DEFAULT_PROCESS_TIMEOUT = 20
"""Seconds without a heartbeat after which JAX declares a process lost (``--process-timeout``).

JAX's default is 100 s for the heartbeat and 300 s for the shutdown barrier,
so a killed process used to take the others down after minutes."""

WEIGHT_DECAY_MODES = ("l2", "decoupled")
"""``"l2"``: PyTorch's ``Adam(weight_decay)``, as the paper; ``"decoupled"``: Keras' AdamW."""
