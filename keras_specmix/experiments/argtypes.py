"""argparse types: thin adapters over :mod:`keras_specmix._validation`.

Each type casts the text, then hands the value to a ``_validation`` check,
whose message (naming the argument and the value received, in the Keras
format) becomes argparse's error: ``argument --epochs: `epochs` must be an
int >= 1. Received: epochs=0``. No range rule is written here: a rule that
``_validation`` does not hold (a policy's probabilities summing to 1,
FilterAugment's band counts) is checked by the layer itself when the runner
builds it (:func:`~keras_specmix.experiments.conditions.check_params`).

This module imports only the standard library and ``_validation``.
"""

import argparse
import math

from keras_specmix import _validation


def arg_type(check, cast=float, sequence=False):
    """An argparse type: ``cast`` the text (or each comma-separated part), then ``check`` it.

    Args:
        check: ``value -> value``, raising ``ValueError``/``TypeError`` with
            a message naming the argument (a ``_validation`` helper).
        cast: ``str -> value`` for each part. Text that ``cast`` refuses is
            handed to ``check`` as it is, so the message is the check's type
            error ("must be an int. Received: epochs='x'").
        sequence: the text is comma-separated: ``check`` gets a tuple.

    Returns:
        A callable for ``argparse.add_argument(type=...)``.

    Examples:

    >>> arg_type(lambda v: _validation.check_int("epochs", v, minimum=1), int)("3")
    3
    """

    def parse(text):
        parts = [p.strip() for p in text.split(",")] if sequence else [text]
        values = []
        for part in parts:
            try:
                values.append(cast(part))
            except ValueError:
                values.append(part)
        try:
            return check(tuple(values) if sequence else values[0])
        except (TypeError, ValueError) as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def real(name, minimum=None, maximum=None, open_min=False):
    """A finite number (:func:`~keras_specmix._validation.check_float`)."""
    return arg_type(lambda v: _validation.check_float(name, v, minimum, maximum, open_min))


def integer(name, minimum=None):
    """An int (:func:`~keras_specmix._validation.check_int`)."""
    return arg_type(lambda v: _validation.check_int(name, v, minimum=minimum), int)


def number_pair(name, minimum=-math.inf, maximum=math.inf):
    """``low,high`` with ``low <= high`` (``_validation.check_range_or_float``)."""

    def check(value):
        if len(value) != 2:
            _validation.check_range_or_float(name, list(value), minimum, maximum)
        return _validation.check_range_or_float(name, value, minimum, maximum)

    return arg_type(check, sequence=True)


def ratio_or_range(name):
    """``0.3`` or ``low,high``, in [0, 1] (SpecMix's γ)."""

    def check(value):
        return _validation.check_range_or_float(
            name, value[0] if len(value) == 1 else value, 0.0, 1.0
        )

    return arg_type(check, sequence=True)


def integer_pair(name, minimum=None):
    """``low,high``, two ints (each :func:`~keras_specmix._validation.check_int`)."""

    def check(value):
        if len(value) != 2:
            _validation.check_int(name, value)  # the message names what is wanted
        return tuple(_validation.check_int(name, v, minimum=minimum) for v in value)

    return arg_type(check, int, sequence=True)


def choices(name, allowed):
    """A comma-separated list of names from ``allowed()`` (a callable, read when parsing)."""
    return arg_type(
        lambda v: tuple(_validation.check_choice(name, n, allowed()) for n in v),
        str,
        sequence=True,
    )


def reals(name, minimum=None, maximum=None):
    """A comma-separated list of numbers, each in ``[minimum, maximum]``."""
    return arg_type(
        lambda v: tuple(_validation.check_float(name, x, minimum, maximum) for x in v),
        sequence=True,
    )


def seeds(text):
    """Distinct comma-separated ints >= 0 (one run per seed), as a list."""

    def check(value):
        values = [_validation.check_int("seeds", v, minimum=0) for v in value]
        if len(set(values)) != len(values):
            _validation._fail("seeds", "distinct", list(value))
        return values

    return arg_type(check, int, sequence=True)(text)
