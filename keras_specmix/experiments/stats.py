"""Paired comparisons of conditions over seeds (scipy.stats).

Every condition of a comparison trains from the same initial weights and sees
the same data order for a given seed, so the right test is paired: the
per-seed difference ``a_s - b_s`` removes the seed-to-seed variation the
conditions share. For each comparison this module gives the differences, their
mean, a t-based confidence interval (t quantile with ``n - 1`` degrees of
freedom), the paired t-test p-value (``scipy.stats.ttest_rel``), the Holm
correction over the comparisons made, and how many seeds the observed spread
would need to detect a given gain (power of the paired t-test from the
noncentral t distribution).
"""

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from keras_specmix import _optional

scipy_stats = _optional.lazy("scipy.stats", "The paired statistics of a comparison")

TALK_GAIN = 2.5
"""The gain (accuracy points) of SpecMix over None in the talk (TAU 2020 Mobile)."""


def paired_difference(a: ArrayLike, b: ArrayLike, confidence: float = 0.95) -> dict:
    """Mean of ``a - b`` over paired seeds, its t interval and the paired t-test.

    Args:
        a: per-seed values of one condition, shape ``(n,)``.
        b: the same seeds' values of the other condition, shape ``(n,)``.
        confidence: level of the two-sided interval.

    Returns:
        ``{"n", "differences", "mean", "std", "ci_low", "ci_high", "p_value"}``;
        with ``n < 2`` the std, interval and p-value are None. When every
        difference is equal the interval has width 0 and the p-value is 0
        (1 when they are all 0).

    Raises:
        ValueError: if ``a`` and ``b`` differ in length or are empty, or if
            ``confidence`` is not in (0, 1).

    Examples:

    >>> out = paired_difference([52.0, 55.0, 51.0], [50.0, 52.0, 50.0])
    >>> out["differences"], round(out["mean"], 3), round(out["p_value"], 3)
    ([2.0, 3.0, 1.0], 2.0, 0.074)
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(
            "`a` and `b` must be non-empty 1-D sequences of the same length. "
            f"Received: len(a)={a.size}, len(b)={b.size}"
        )
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"`confidence` must be in (0, 1). Received: confidence={confidence}")
    diff = a - b
    n = int(diff.size)
    out = {
        "n": n,
        "differences": diff.tolist(),
        "mean": float(diff.mean()),
        "std": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
    }
    if n < 2:
        return out
    std = float(diff.std(ddof=1))
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * std / math.sqrt(n)
    if std > 0.0:
        p_value = float(scipy_stats.ttest_rel(a, b).pvalue)
    else:  # scipy returns NaN for a zero spread; the limit of the test is 0 (or 1 at 0)
        p_value = 1.0 if out["mean"] == 0.0 else 0.0
    out.update(std=std, ci_low=out["mean"] - half, ci_high=out["mean"] + half, p_value=p_value)
    return out


def holm(p_values: Sequence[float | None]) -> list:
    """Holm-Bonferroni adjusted p-values (None entries stay None, uncounted).

    scipy has no Holm step-down correction (``scipy.stats.false_discovery_control``
    controls the false discovery rate, not the family-wise error), so it is
    written here: sort the m p-values, multiply the k-th smallest by
    ``m - k + 1``, make the sequence non-decreasing, cap at 1.

    Args:
        p_values: raw p-values.

    Returns:
        The adjusted p-values, in the input order.

    Examples:

    >>> holm([0.01, 0.04, 0.03, None])
    [0.03, 0.06, 0.06, None]
    """
    present = {i: p for i, p in enumerate(p_values) if p is not None}
    m = len(present)
    adjusted = list(p_values)
    running = 0.0
    for rank, i in enumerate(sorted(present, key=present.__getitem__)):
        running = max(running, min(1.0, (m - rank) * present[i]))
        adjusted[i] = round(running, 12)
    return adjusted


def paired_power(n: int, effect: float, std: float, alpha: float = 0.05) -> float:
    """Power of the two-sided paired t-test with ``n`` pairs.

    Args:
        n: number of seeds (pairs), >= 2.
        effect: the true mean difference to detect.
        std: standard deviation of the per-seed differences, > 0.
        alpha: significance level.

    Returns:
        The probability of rejecting "no difference" when the mean difference
        is ``effect``: ``P(|T| > t_crit)`` with ``T`` noncentral t of
        ``n - 1`` degrees of freedom and noncentrality ``effect·√n / std``.

    Examples:

    >>> round(paired_power(10, 1.0, 1.0), 3)
    0.803
    """
    df = n - 1
    t_crit = scipy_stats.t.ppf(1.0 - alpha / 2.0, df)
    nc = effect * math.sqrt(n) / std
    # P(T < -t) = P(T' > t) with T' of noncentrality -nc: scipy's cdf far in the lower
    # tail returns NaN for some (df, nc), its sf there returns the tiny (or 0) value.
    return float(scipy_stats.nct.sf(t_crit, df, nc) + scipy_stats.nct.sf(t_crit, df, -nc))


MAX_SEEDS = 10_000
"""Where :func:`seeds_needed` stops searching (and answers None)."""


def seeds_needed(
    std: float | None,
    effect: float = TALK_GAIN,
    alpha: float = 0.05,
    power: float = 0.8,
    max_seeds: int = MAX_SEEDS,
) -> int | None:
    """Smallest number of seeds for which the paired t-test reaches ``power``.

    The power grows with the number of seeds, so the search doubles ``n``
    from 2 until the power is reached, then bisects.

    Args:
        std: standard deviation of the per-seed differences (None: unknown).
        effect: the gain to detect (default: the talk's +2.5 points).
        alpha: two-sided significance level of the test. For a comparison
            judged after a Holm correction over ``m`` comparisons, pass
            ``alpha / m``: a p-value below it is rejected by Holm whatever
            the other comparisons' p-values (what
            :func:`~keras_specmix.experiments.report.compare` does).
        power: target power.
        max_seeds: search limit.

    Returns:
        The number of seeds (>= 2); None when ``std`` is None (unknown), or
        when even ``max_seeds`` seeds fall short of ``power`` (report it as
        "more than ``max_seeds``", never as an answer).

    Examples:

    >>> seeds_needed(1.0, effect=1.0)
    10
    >>> seeds_needed(1000.0, effect=1.0) is None  # more than 10,000 seeds
    True
    """
    if std is None:
        return None
    if std <= 0.0:
        return 2
    reached = lambda n: paired_power(n, effect, std, alpha) >= power  # noqa: E731
    low, high = 1, 2  # power(low) < power (n = 1: no test), power(high) unknown
    while not reached(high):
        if high >= max_seeds:
            return None
        low, high = high, min(2 * high, max_seeds)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if reached(middle) else (middle, high)
    return high
