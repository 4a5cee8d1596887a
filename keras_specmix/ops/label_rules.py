"""Label rules for mixed examples: the convex mix and the multi-label ``"max"``.

``"mix"`` (every mixing layer's rule): ``y_out = λ·y + (1 − λ)·y[partner]``,
right for single-label classification trained with cross-entropy.

``"max"`` (multi-label tagging with region mixers, CutMix and SpecMix): a
class present in the kept part or in the pasted part is present. With
λ the share of the example's own input kept, ``y_out = y`` when nothing is
pasted (λ = 1), ``y[partner]`` when nothing is kept (λ = 0), and
``max(y, y[partner])`` otherwise. Soft or probabilistic targets keep the
stronger evidence of the two.
"""

from typing import Literal

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend

LABEL_RULES = ("mix", "max")


def mix_labels(
    y: Array, partner: TensorLike, lam: TensorLike, rule: Literal["mix", "max"] = "mix"
) -> Tensor:
    """The labels of mixed examples under ``rule``.

    Args:
        y: float ``(batch, classes)``.
        partner: int ``(batch,)``, the example mixed in.
        lam: float ``(batch,)``, the share of each example's own input kept.
        rule: ``"mix"`` or ``"max"`` (see the module docstring).

    Returns:
        float ``(batch, classes)`` in ``y``'s dtype.

    Examples:
        >>> y = tf.constant([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
        >>> partner, lam = tf.constant([1, 0]), tf.constant([0.7, 1.0])
        >>> mix_labels(y, partner, lam, "max").numpy().tolist()
        [[1.0, 1.0, 1.0], [0.0, 1.0, 0.0]]
        >>> mix_labels(y, partner, tf.constant([0.75, 1.0]), "mix").numpy()[0].tolist()
        [0.75, 0.25, 0.75]
    """
    _validation.check_choice("rule", rule, set(LABEL_RULES))
    xp = _backend.namespace(y, partner, lam)
    partner = xp.cast(partner, "int32")
    y_partner = xp.take(y, partner, axis=0)
    lam = xp.expand_dims(xp.cast(lam, y.dtype), 1)
    if rule == "mix":
        return lam * y + (1 - lam) * y_partner
    both = xp.maximum(y, y_partner)
    return xp.where(lam >= 1, y, xp.where(lam <= 0, y_partner, both))
