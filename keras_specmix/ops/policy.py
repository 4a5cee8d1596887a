"""Mixing policies: which of several mixers each example (or batch) gets.

A policy draws, per example (``mode="example"``) or once per batch
(``mode="batch"``), the index of the mixer to apply from a categorical
distribution ``probs`` (timm's ``switch_prob`` is ``probs=[1 − p, p]`` over
``[MixUp, CutMix]``), then takes each example's output, labels and λ from
the mixer chosen. The candidates are computed with one shared partner per
example, so every example is mixed with exactly one partner whichever
method it gets.

Params layout: ``{"choice": int32 (batch,)}`` (the index of the mixer).
"""

from collections.abc import Sequence
from typing import Literal

from keras_specmix import _validation
from keras_specmix._typing import Array
from keras_specmix._typing import Params
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.ops import random as random_ops

POLICY_MODES = random_ops.GRANULARITIES


def check_probs(probs: Sequence[float] | None, num_mixers: int) -> tuple[float, ...]:
    """``probs`` as a tuple of floats >= 0 summing to 1, one per mixer.

    ``None`` gives every mixer the same probability.

    Raises:
        ValueError: on a length other than ``num_mixers``, a negative
            value, or a sum other than 1 (within 1e-6).
    """
    if probs is None:
        return tuple([1.0 / num_mixers] * num_mixers)
    if not isinstance(probs, (list, tuple)) or len(probs) != num_mixers:
        _validation._fail("probs", f"a list of {num_mixers} probabilities, one per mixer", probs)
    values = tuple(_validation.check_float("probs", p, 0.0, 1.0) for p in probs)
    if abs(sum(values) - 1.0) > 1e-6:
        _validation._fail("probs", "probabilities that sum to 1", probs)
    return values


def sample_policy_choice(
    seed: TensorLike,
    batch_size: TensorLike,
    probs: Sequence[float],
    mode: Literal["example", "batch"] = "example",
) -> Params:
    """Draws the mixer index per example: ``choice = k`` with probability ``probs[k]``.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int tensor.
        probs: sequence of probabilities summing to 1.
        mode: ``"example"`` (a choice per example) or ``"batch"`` (one
            choice shared by the batch).

    Returns:
        ``{"choice": int32 (batch,)}``.

    Examples:
        >>> c = sample_policy_choice([0, 1], 6, [0.0, 1.0])["choice"]
        >>> c.numpy().tolist()
        [1, 1, 1, 1, 1, 1]
    """
    _validation.check_choice("mode", mode, set(POLICY_MODES))
    probs = check_probs(list(probs), len(probs))
    xp = _backend.namespace(seed, batch_size)
    u = random_ops.uniform(seed, (batch_size,), granularity=mode)
    # Index k where the cumulative probability first exceeds u; a zero
    # probability can never be chosen (u < cum[k] is then false at k).
    choice = xp.zeros((batch_size,), "int32")
    cumulative = 0.0
    for p in probs[:-1]:
        cumulative += p
        choice = choice + xp.cast(u >= cumulative, "int32")
    last_nonzero = max(k for k, p in enumerate(probs) if p > 0)
    return {"choice": xp.minimum(choice, last_nonzero)}


def select_by_choice(choice: TensorLike, candidates: Sequence[Array]) -> Tensor:
    """Each example's value from the candidate its ``choice`` names.

    Args:
        choice: int ``(batch,)`` indices into ``candidates``.
        candidates: list of tensors of one shape ``(batch, ...)``.

    Returns:
        A tensor like ``candidates[0]``: row ``b`` is ``candidates[choice[b]][b]``.

    Examples:
        >>> a, b = tf.constant([[1.0], [2.0]]), tf.constant([[8.0], [9.0]])
        >>> select_by_choice(tf.constant([1, 0]), [a, b]).numpy().tolist()
        [[8.0], [2.0]]
    """
    xp = _backend.namespace(choice, *candidates)
    out = candidates[0]
    rank = len(out.shape)
    for k, candidate in enumerate(candidates[1:], start=1):
        picked = choice == k
        for _ in range(rank - 1):
            picked = xp.expand_dims(picked, -1)
        out = xp.where(picked, candidate, out)
    return out
