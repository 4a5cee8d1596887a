"""The five augmentation conditions of the comparison, built from the library.

- ``"none"``: the classifier alone.
- ``"mixup"``, ``"cutmix"``, ``"specmix"``: :class:`~keras_specmix.MixingModel`
  around the classifier, so ``fit`` mixes inputs and labels inside the
  compiled ``train_step`` (on the accelerator, per replica under
  ``tf.distribute``), while ``predict`` and ``evaluate`` see clean inputs.
- ``"specaugment"``: a :class:`~keras_specmix.SpecAugment` layer in front of
  the classifier; Keras runs it in ``fit`` only.

All five put the augmentation in the model, not in ``tf.data``: one
placement for every condition, so differences in throughput and in
randomness handling cannot favour one of them.
"""

import dataclasses

import keras

from keras_specmix import _validation
from keras_specmix.layers import CutMix
from keras_specmix.layers import MixUp
from keras_specmix.layers import SpecAugment
from keras_specmix.layers import SpecMix
from keras_specmix.training import MixingModel

CONDITIONS = ("none", "mixup", "cutmix", "specaugment", "specmix")
"""Condition names, in the order of the talk's table."""

LABELS = {
    "none": "None",
    "mixup": "MixUp",
    "cutmix": "CutMix",
    "specaugment": "SpecAugment",
    "specmix": "SpecMix",
}
"""Column titles of the talk's table."""


@dataclasses.dataclass(frozen=True)
class AugmentationParams:
    """Parameters of the augmentations (the paper's names).

    Attributes:
        alpha: Beta(α, α) of MixUp and CutMix (0.4 in the SpecMix code).
        gamma: SpecMix band-width ratio, a float or a ``(low, high)`` range.
        cutmix_axes: CutMix boxes: ``"both"``, ``"time"`` or ``"freq"``.
        specaugment_policy: SpecAugment policy name ("LB", "LD", "SM", "SS")
            or None to use the explicit values below.
        time_warp_param: W; None takes the policy's value.
        freq_mask_param: F.
        num_freq_masks: m_F.
        time_mask_param: T.
        num_time_masks: m_T.
        mask_value: 0.0 or "mean".
    """

    alpha: float = 0.4
    gamma: object = 0.3
    cutmix_axes: str = "both"
    specaugment_policy: object = None
    time_warp_param: object = 0
    freq_mask_param: object = 12
    num_freq_masks: object = 2
    time_mask_param: object = 20
    num_time_masks: object = 2
    mask_value: object = 0.0

    def for_condition(self, condition):
        """The parameters that matter to ``condition`` (for the JSON record)."""
        if condition in ("mixup",):
            return {"alpha": self.alpha}
        if condition == "cutmix":
            return {"alpha": self.alpha, "axes": self.cutmix_axes}
        if condition == "specmix":
            gamma = list(self.gamma) if isinstance(self.gamma, tuple) else self.gamma
            return {"gamma": gamma}
        if condition == "specaugment":
            return {
                k: v
                for k, v in dataclasses.asdict(self).items()
                if k in _SPECAUGMENT_FIELDS or k == "specaugment_policy"
            }
        return {}


_SPECAUGMENT_FIELDS = (
    "time_warp_param",
    "freq_mask_param",
    "num_freq_masks",
    "time_mask_param",
    "num_time_masks",
    "mask_value",
)


def make_augmentation(condition, params, seed):
    """The library layer of one condition (None for ``"none"``).

    Args:
        condition: one of :data:`CONDITIONS`.
        params: :class:`AugmentationParams`.
        seed: int >= 0, the layer's seed.

    Returns:
        A ``keras_specmix`` layer, or None.

    Raises:
        ValueError: for an unknown ``condition`` (or invalid parameters,
            raised by the layer).

    Examples:

    >>> make_augmentation("specmix", AugmentationParams(gamma=(0.0, 1.0)), 0).gamma
    (0.0, 1.0)
    """
    condition = _validation.check_choice("condition", condition, CONDITIONS)
    if condition == "none":
        return None
    if condition == "mixup":
        return MixUp(alpha=params.alpha, seed=seed)
    if condition == "cutmix":
        return CutMix(alpha=params.alpha, axes=params.cutmix_axes, seed=seed)
    if condition == "specmix":
        return SpecMix(gamma=params.gamma, seed=seed)
    if params.specaugment_policy is not None:
        return SpecAugment(
            policy=params.specaugment_policy, mask_value=params.mask_value, seed=seed
        )
    return SpecAugment(**{k: getattr(params, k) for k in _SPECAUGMENT_FIELDS}, seed=seed)


def wrap_model(classifier, augmentation):
    """Puts ``augmentation`` around/in front of ``classifier`` for ``fit``.

    Args:
        classifier: a ``keras.Model`` (features -> probabilities).
        augmentation: the layer from :func:`make_augmentation`, or None.

    Returns:
        The model to compile and fit; its ``predict`` is the classifier's,
        without augmentation.
    """
    if augmentation is None:
        return classifier
    if augmentation.requires_labels:
        return MixingModel(classifier, augmentation, name=f"mixing_{classifier.name}")
    inputs = keras.Input(classifier.input_shape[1:])
    outputs = classifier(augmentation(inputs))
    return keras.Model(inputs, outputs, name=f"specaugment_{classifier.name}")
