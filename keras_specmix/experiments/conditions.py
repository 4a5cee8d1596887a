"""The augmentation conditions of the comparison, built from the library.

- ``"none"``: the classifier alone.
- ``"mixup"``, ``"cutmix"``, ``"specmix"``: :class:`~keras_specmix.MixingModel`
  around the classifier, so ``fit`` mixes inputs and labels inside the
  compiled ``train_step`` (on the accelerator, per replica under
  ``tf.distribute``), while ``predict`` and ``evaluate`` see clean inputs.
- ``"specaugment"``: a :class:`~keras_specmix.SpecAugment` layer in front of
  the classifier; Keras runs it in ``fit`` only.

Beyond the talk's five, the augmentations acoustic scene classification
uses for unseen devices, run by naming them in
``--augmentation``:

- ``"freqmixstyle"``: a :class:`~keras_specmix.FrequencyMixStyle` layer in
  front of the classifier (CP-JKU: α = 0.3, p = 0.4).
- ``"filteraugment"``: a :class:`~keras_specmix.FilterAugment` layer in front
  of the classifier, on the log-mel channel only (``channels=[0]``: Δ and
  ΔΔ of a constant gain are 0).
- ``"mixpolicy"``: :class:`~keras_specmix.MixingModel` with a
  :class:`~keras_specmix.MixingPolicy` over MixUp/CutMix/SpecMix.

Every condition of a command has one placement, so differences in
throughput and in randomness handling cannot favour one of them: in the
model (``--augment-in model``, the default) or in ``tf.data``
(``--augment-in data``, :func:`keras_specmix.data.augment_dataset`; the
default under ``--strategy keras-distribution``).
"""

import dataclasses

import keras

from keras_specmix import _validation
from keras_specmix.layers import CutMix
from keras_specmix.layers import FilterAugment
from keras_specmix.layers import FrequencyMixStyle
from keras_specmix.layers import MixingPolicy
from keras_specmix.layers import MixUp
from keras_specmix.layers import SpecAugment
from keras_specmix.layers import SpecMix
from keras_specmix.training import MixingModel

TALK_CONDITIONS = ("none", "mixup", "cutmix", "specaugment", "specmix")
"""The talk's five conditions, in the order of its table (``--augmentation all``)."""

DEVICE_CONDITIONS = ("freqmixstyle", "filteraugment", "mixpolicy")
"""The augmentations current acoustic scene classification uses for unseen devices."""

CONDITIONS = TALK_CONDITIONS + DEVICE_CONDITIONS
"""Every condition name, in table order."""

POLICY_MIXERS = ("mixup", "cutmix", "specmix")
"""The mixers a ``"mixpolicy"`` condition may switch between."""

LABELS = {
    "none": "None",
    "mixup": "MixUp",
    "cutmix": "CutMix",
    "specaugment": "SpecAugment",
    "specmix": "SpecMix",
    "freqmixstyle": "Freq-MixStyle",
    "filteraugment": "FilterAugment",
    "mixpolicy": "MixingPolicy",
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
        mixstyle_alpha: Freq-MixStyle Beta(α, α) (CP-JKU: 0.3).
        mixstyle_prob: Freq-MixStyle probability per example (CP-JKU: 0.4).
        filter_db_range: FilterAugment ``(low, high)`` gains in dB.
        filter_bands: FilterAugment band count range ``(low, high)``, high excluded.
        filter_min_bandwidth: FilterAugment narrowest band in bins.
        filter_mode: FilterAugment ``"linear"`` or ``"step"``.
        policy_mixers: mixers of ``"mixpolicy"``, names from :data:`POLICY_MIXERS`.
        policy_probs: their probabilities (None: equal shares).
        policy_mode: ``"example"`` or ``"batch"``.
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
    mixstyle_alpha: float = 0.3
    mixstyle_prob: float = 0.4
    filter_db_range: tuple = (-6.0, 6.0)
    filter_bands: tuple = (3, 6)
    filter_min_bandwidth: int = 6
    filter_mode: str = "linear"
    policy_mixers: tuple = ("mixup", "cutmix")
    policy_probs: object = None
    policy_mode: str = "example"

    def for_condition(self, condition):
        """The parameters that matter to ``condition`` (for the JSON record)."""
        if condition in ("mixup",):
            return {"alpha": self.alpha}
        if condition == "cutmix":
            return {"alpha": self.alpha, "axes": self.cutmix_axes}
        if condition == "specmix":
            gamma = list(self.gamma) if isinstance(self.gamma, tuple) else self.gamma
            return {"gamma": gamma}
        if condition == "freqmixstyle":
            return {"alpha": self.mixstyle_alpha, "prob": self.mixstyle_prob}
        if condition == "filteraugment":
            return {
                "db_range": list(self.filter_db_range),
                "num_bands": list(self.filter_bands),
                "min_bandwidth": self.filter_min_bandwidth,
                "mode": self.filter_mode,
            }
        if condition == "mixpolicy":
            probs = None if self.policy_probs is None else list(self.policy_probs)
            return {
                "mixers": list(self.policy_mixers),
                "probs": probs,
                "mode": self.policy_mode,
                **self.for_condition("cutmix"),
                **self.for_condition("specmix"),
            }
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
    >>> make_augmentation("freqmixstyle", AugmentationParams(), 0).prob
    0.4
    """
    condition = _validation.check_choice("condition", condition, CONDITIONS)
    if condition == "none":
        return None
    if condition in POLICY_MIXERS:
        return _mixer(condition, params, seed)
    if condition == "freqmixstyle":
        return FrequencyMixStyle(alpha=params.mixstyle_alpha, prob=params.mixstyle_prob, seed=seed)
    if condition == "filteraugment":
        return FilterAugment(
            db_range=params.filter_db_range,
            num_bands=params.filter_bands,
            min_bandwidth=params.filter_min_bandwidth,
            mode=params.filter_mode,
            domain="log",  # the runner's features are log(mel power + 1e-8)
            channels=[0],
            seed=seed,
        )
    if condition == "mixpolicy":
        for name in params.policy_mixers:
            _validation.check_choice("policy_mixers", name, POLICY_MIXERS)
        return MixingPolicy(
            [_mixer(name, params, None) for name in params.policy_mixers],
            probs=None if params.policy_probs is None else list(params.policy_probs),
            mode=params.policy_mode,
            seed=seed,
        )
    if params.specaugment_policy is not None:
        return SpecAugment(
            policy=params.specaugment_policy, mask_value=params.mask_value, seed=seed
        )
    return SpecAugment(**{k: getattr(params, k) for k in _SPECAUGMENT_FIELDS}, seed=seed)


def _mixer(name, params, seed):
    if name == "mixup":
        return MixUp(alpha=params.alpha, seed=seed)
    if name == "cutmix":
        return CutMix(alpha=params.alpha, axes=params.cutmix_axes, seed=seed)
    return SpecMix(gamma=params.gamma, seed=seed)


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
    prefix = "specaugment" if isinstance(augmentation, SpecAugment) else augmentation.name
    return keras.Model(inputs, outputs, name=f"{prefix}_{classifier.name}")
