"""Adam with the weight decay of ``torch.optim.Adam(weight_decay=...)``.

The author trained with ``torch.optim.Adam(lr=1e-3, weight_decay=1e-3)``,
which adds ``weight_decay * w`` to every gradient *before* the Adam moments
(L2 regularisation). Keras' ``Adam(weight_decay=...)`` instead decays the
weights directly, outside the moments (decoupled, AdamW-like), which is a
different optimiser: with Adam's per-weight scaling, an L2 term of 1e-3 is
much weaker than a decoupled decay of 1e-3. :class:`AdamL2` reproduces the
PyTorch behaviour and is the runner's default (``--weight-decay-mode l2``);
``--weight-decay-mode decoupled`` uses Keras' own.
"""

import keras

from keras_specmix import _validation
from keras_specmix.experiments.choices import WEIGHT_DECAY_MODES


@keras.saving.register_keras_serializable(package="keras_specmix")
class AdamL2(keras.optimizers.Adam):
    """Adam whose gradients get ``l2 * w`` added first (PyTorch's Adam decay).

    Applies to every trainable variable, biases and batch-norm parameters
    included, as ``torch.optim.Adam(weight_decay=...)`` does.

    Args:
        l2: float >= 0, the coefficient (PyTorch's ``weight_decay``).
        **kwargs: ``keras.optimizers.Adam`` arguments (``learning_rate``...).

    Examples:

    >>> opt = AdamL2(l2=1e-3, learning_rate=1e-3)
    >>> opt.get_config()["l2"]
    0.001
    """

    def __init__(self, l2=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.l2 = _validation.check_float("l2", l2, 0.0)

    def update_step(self, gradient, variable, learning_rate):
        if self.l2:
            gradient = keras.ops.add(
                gradient,
                keras.ops.multiply(keras.ops.cast(self.l2, variable.dtype), variable),
            )
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "l2": self.l2}


def make_optimizer(learning_rate, weight_decay, mode="l2", milestones=None):
    """Adam with weight decay, optionally with the paper's step schedule.

    Args:
        learning_rate: float > 0 (the paper: 1e-3).
        weight_decay: float >= 0 (the paper: 1e-3).
        mode: "l2" (PyTorch Adam, the paper) or "decoupled" (Keras/AdamW).
        milestones: None, or increasing step counts where the learning rate
            is multiplied by 0.1 (the author: 10k, 30k, 50k, 70k, 90k).

    Returns:
        A ``keras.optimizers.Adam``.

    Raises:
        ValueError: for a bad ``mode``, rate or milestones.
    """
    learning_rate = _validation.check_float("learning_rate", learning_rate, 0.0, open_min=True)
    weight_decay = _validation.check_float("weight_decay", weight_decay, 0.0)
    mode = _validation.check_choice("weight_decay_mode", mode, WEIGHT_DECAY_MODES)
    rate = learning_rate
    if milestones:
        milestones = [int(m) for m in milestones]
        if milestones != sorted(set(milestones)) or milestones[0] < 1:
            raise ValueError(
                "`milestones` must be increasing positive step counts. "
                f"Received: milestones={milestones}"
            )
        rate = keras.optimizers.schedules.PiecewiseConstantDecay(
            milestones, [learning_rate * 0.1**k for k in range(len(milestones) + 1)]
        )
    if mode == "l2":
        return AdamL2(l2=weight_decay, learning_rate=rate)
    return keras.optimizers.Adam(learning_rate=rate, weight_decay=weight_decay or None)
