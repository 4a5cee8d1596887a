"""Deterministic fault injection, for the fault tests (``tests/faults``).

The feature cache and the experiment runner call :func:`point` at named
places (generating data, writing caches and results, inside and between
runs). Nothing happens unless the
environment variable ``KERAS_SPECMIX_FAULT`` is ``<point>:<n>``: then the
``n``-th time this process reaches ``<point>`` it kills itself with
``SIGKILL``, as a power cut, the out-of-memory killer or a cluster's
preemption would, with no Python clean-up (no ``finally``, no ``atexit``).

Points:

- ``data.generated``: a synthetic split is generated, before its cache is written;
- ``cache.written``: a feature cache is written to its temporary folder, not
  yet renamed into place;
- ``run.start``: a run's model is built and compiled, before ``fit``;
- ``run.epoch``: after each training epoch (its validation pass and checkpoint);
- ``run.scored``: a run's best checkpoint is loaded and the test set scored,
  before its record is stored;
- ``run.stored``: a run's record is in the results file, before the next run;
- ``report.start``: every run is done, before the summary is written;
- ``write.json``, ``write.md``, ``write.png``: a result file is written to its
  temporary name, not yet renamed into place (``write.png`` counts the
  confusion figure and the comparison figure).
"""

import collections
import os
import signal

ENV_VAR = "KERAS_SPECMIX_FAULT"
POINTS = (
    "data.generated",
    "cache.written",
    "run.start",
    "run.epoch",
    "run.scored",
    "run.stored",
    "report.start",
    "write.json",
    "write.md",
    "write.png",
)
_reached: collections.Counter[str] = collections.Counter()


def _wanted():
    spec = os.environ.get(ENV_VAR, "")
    if not spec:
        return None, 0
    name, _, count = spec.rpartition(":")
    if name not in POINTS or not count.isdigit() or int(count) < 1:
        raise ValueError(
            f"{ENV_VAR} must be <point>:<n> with a point of {', '.join(POINTS)} and n >= 1. "
            f"Received: {ENV_VAR}={spec!r}"
        )
    return name, int(count)


def point(name):
    """Marks fault point ``name``; kills this process there if ``KERAS_SPECMIX_FAULT`` says so.

    Args:
        name: one of :data:`POINTS`.

    Raises:
        ValueError: if ``name`` is not a point, or the variable is malformed.

    Examples:

    >>> point("run.start")  # without KERAS_SPECMIX_FAULT: nothing happens
    """
    if name not in POINTS:
        raise ValueError(f"Unknown fault point {name!r}; the points are {', '.join(POINTS)}.")
    wanted, count = _wanted()
    if wanted != name:
        return
    _reached[name] += 1
    if _reached[name] == count:
        os.kill(os.getpid(), signal.SIGKILL)
