"""Argument checks shared by every public entry point.

Each helper raises ``ValueError`` (or ``TypeError`` for a wrong type) whose
message names the argument and the value received, in the Keras format:
"`gamma` must be ... Received: gamma=1.5".
"""

import numbers
from collections.abc import Collection
from typing import Any
from typing import Literal
from typing import NoReturn
from typing import overload


def _fail(name: str, requirement: str, value: Any, error: type[Exception] = ValueError) -> NoReturn:
    raise error(f"`{name}` must be {requirement}. Received: {name}={value!r}")


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """Returns ``value`` as an int, or raises if it is not an int in range.

    Args:
        name: argument name used in the message.
        value: the value received.
        minimum: smallest allowed value (inclusive), or None.
        maximum: largest allowed value (inclusive), or None.

    Returns:
        The value as a Python int.

    Raises:
        TypeError: if ``value`` is not an integer (bools are refused).
        ValueError: if ``value`` is out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(name, "an int", value, TypeError)
    _check_range(name, value, minimum, maximum, "an int")
    return int(value)


def check_float(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    open_min: bool = False,
) -> float:
    """Returns ``value`` as a float, or raises if it is not a number in range.

    Args:
        name: argument name used in the message.
        value: the value received.
        minimum: smallest allowed value, or None.
        maximum: largest allowed value (inclusive), or None.
        open_min: whether ``minimum`` itself is excluded.

    Returns:
        The value as a Python float.

    Raises:
        TypeError: if ``value`` is not a real number.
        ValueError: if ``value`` is out of range or not finite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(name, "a number", value, TypeError)
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        _fail(name, "a finite number", value)
    if open_min and minimum is not None and value <= minimum:
        _fail(name, f"a number > {minimum}", value)
    _check_range(name, value, minimum, maximum, "a number")
    return value


def _check_range(name, value, minimum, maximum, kind):
    if minimum is not None and maximum is not None:
        if not minimum <= value <= maximum:
            _fail(name, f"{kind} in [{minimum}, {maximum}]", value)
    elif minimum is not None and value < minimum:
        _fail(name, f"{kind} >= {minimum}", value)
    elif maximum is not None and value > maximum:
        _fail(name, f"{kind} <= {maximum}", value)


def check_range_or_float(
    name: str, value: Any, minimum: float, maximum: float
) -> float | tuple[float, float]:
    """Validates a float, or a ``(low, high)`` pair, inside ``[minimum, maximum]``.

    Args:
        name: argument name used in the message.
        value: a number, or a 2-element list/tuple ``(low, high)``.
        minimum: smallest allowed value.
        maximum: largest allowed value.

    Returns:
        A float, or a ``(low, high)`` tuple of floats with ``low <= high``.

    Raises:
        TypeError: if ``value`` is neither a number nor a pair.
        ValueError: if a value is out of range or ``low > high``.
    """
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            _fail(name, "a number or a (low, high) pair", value)
        try:
            low = check_float(name, value[0], minimum, maximum)
            high = check_float(name, value[1], minimum, maximum)
        except (TypeError, ValueError) as error:
            _fail(
                name, f"a (low, high) pair of numbers in [{minimum}, {maximum}]", value, type(error)
            )
        if low > high:
            _fail(name, "a (low, high) pair with low <= high", value)
        return (low, high)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(name, "a number or a (low, high) pair", value, TypeError)
    return check_float(name, value, minimum, maximum)


def check_choice(name: str, value: Any, choices: Collection[Any]) -> Any:
    """Returns ``value`` if it is one of ``choices``, else raises ``ValueError``."""
    if value not in choices:
        _fail(name, f"one of {sorted(choices)}", value)
    return value


def check_bool(name: str, value: Any) -> bool:
    """Returns ``value`` if it is a bool, else raises ``TypeError``."""
    if not isinstance(value, bool):
        _fail(name, "a bool", value, TypeError)
    return value


@overload
def check_ratio(name: str, value: Any, optional: Literal[False] = False) -> float: ...
@overload
def check_ratio(name: str, value: Any, optional: bool) -> float | None: ...
def check_ratio(name: str, value: Any, optional: bool = False) -> float | None:
    """A float in [0, 1] (or None when ``optional``)."""
    if optional and value is None:
        return None
    return check_float(name, value, 0.0, 1.0)


def check_band_counts(axis: str, low: Any, high: Any) -> tuple[int, int]:
    """Validates ``min_<axis>_bands <= max_<axis>_bands``, both ints >= 0.

    Args:
        axis: ``"freq"`` or ``"time"``, for the argument names.
        low: the ``min_<axis>_bands`` received.
        high: the ``max_<axis>_bands`` received.

    Returns:
        ``(low, high)`` as ints.

    Raises:
        TypeError: if either is not an int.
        ValueError: if either is negative or ``low > high``.
    """
    low_name, high_name = f"min_{axis}_bands", f"max_{axis}_bands"
    low = check_int(low_name, low, minimum=0)
    high = check_int(high_name, high, minimum=0)
    if low > high:
        raise ValueError(
            f"`{low_name}` must be <= `{high_name}` ({high}). Received: {low_name}={low}"
        )
    return low, high


def check_seed(value: Any) -> int | None:
    """Validates a layer seed: an int >= 0, or None.

    Args:
        value: the ``seed`` argument received.

    Returns:
        The seed (int or None). ``0`` is a real seed, not "unseeded".

    Raises:
        TypeError: if the seed is not an int or None.
        ValueError: if the seed is negative.
    """
    if value is None:
        return None
    return check_int("seed", value, minimum=0)
