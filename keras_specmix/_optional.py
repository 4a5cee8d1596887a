"""Optional dependencies: imported at first use, one-line error naming the extra.

The augmentation core needs only TensorFlow, Keras and NumPy. Other features
need packages that an extra of ``keras_specmix`` installs (``pyproject.toml``,
``[project.optional-dependencies]``): reading and resampling audio files
(``audio``: soundfile, soxr), the experiment runner's statistics and figures
(``experiments``: scipy, matplotlib), the JAX and PyTorch Keras backends
(``jax``, ``torch``) and tensorflow-io (``tfio``). Code imports them through
:func:`require` (in the function that needs them) or :func:`lazy` (a module
attribute imported at its first use), never at the top of a module, so
``import keras_specmix`` works without them. A missing or broken one raises
:class:`MissingDependencyError` at the first call that needs it, with one line
naming the feature, the package and the command that installs it.
"""

import importlib

EXTRAS = {
    "soundfile": "audio",
    "soxr": "audio",
    "scipy": "experiments",
    "matplotlib": "experiments",
    "tensorflow_io": "tfio",
    "jax": "jax",
    "jaxlib": "jax",
    "torch": "torch",
}
"""The extra that installs each optional top-level module."""

_BACKENDS = ("jax", "jaxlib", "torch")


class MissingDependencyError(ImportError):
    """An optional package that a feature needs is not installed or fails to import.

    The message is one line: the feature, the package and the ``pip install``
    command of the extra that provides it. ``name`` is the missing module.
    """


def install_command(extra):
    """The command that installs an extra, e.g. ``pip install "keras_specmix[audio]"``."""
    return f'pip install "keras_specmix[{extra}]"'


def missing_message(feature, module, error=None):
    """The one-line message of a :class:`MissingDependencyError`.

    Args:
        feature: what needs the module, as a sentence start ("Reading audio files").
        module: the top-level module name (a key of :data:`EXTRAS`).
        error: the import's exception, or None when the module is not installed.

    Returns:
        str without line breaks.
    """
    top = module.partition(".")[0]
    if error is None or (
        isinstance(error, ModuleNotFoundError) and (error.name or "").partition(".")[0] == top
    ):
        why = "which is not installed"
    else:
        detail = " ".join(str(error).split())
        why = f"which failed to import ({type(error).__name__}: {detail})"
    return f"{feature} needs {top}, {why}: {install_command(EXTRAS[top])}"


def require(name, feature):
    """Imports module ``name`` for ``feature``, or raises naming the extra to install.

    Args:
        name: the module, e.g. ``"soundfile"`` or ``"scipy.stats"``; its
            top-level package must be a key of :data:`EXTRAS`.
        feature: what needs it, as a sentence start, e.g. ``"Reading audio files"``.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: (an ``ImportError``) if the import fails, with
            a one-line message such as ``Reading audio files needs soundfile,
            which is not installed: pip install "keras_specmix[audio]"``.
        KeyError: if the top-level package is not a key of :data:`EXTRAS`.

    Examples:

    >>> require("scipy.stats", "The paired statistics").__name__
    'scipy.stats'
    """
    top = name.partition(".")[0]
    EXTRAS[top]  # noqa: B018 - an unlisted module is a programming error
    try:
        return importlib.import_module(name)
    except (ImportError, OSError) as error:  # OSError: a missing shared library
        raise MissingDependencyError(missing_message(feature, top, error), name=top) from None


class _LazyModule:
    """Module ``name``, imported with :func:`require` at the first attribute read."""

    def __init__(self, name, feature):
        self._name, self._feature, self._module = name, feature, None

    def __getattr__(self, attr):
        if self._module is None:
            try:
                self._module = require(self._name, self._feature)
            except MissingDependencyError:
                if attr.startswith("__") and attr.endswith("__"):
                    # Introspection (hasattr(x, "__wrapped__"), doctest, copy)
                    # probes special names: answer "absent", never raise.
                    raise AttributeError(attr) from None
                raise
        return getattr(self._module, attr)

    def __repr__(self):
        return f"<lazy module {self._name!r} ({self._feature})>"


def lazy(name, feature):
    """Module ``name``, imported at its first use, for a module-level import line.

    ``scipy_stats = lazy("scipy.stats", "The statistics")`` replaces
    ``from scipy import stats as scipy_stats``: importing the module that
    holds the line needs no scipy; the first ``scipy_stats.<name>`` imports
    it, or raises :class:`MissingDependencyError` (special ``__names__``
    raise ``AttributeError`` instead, so that introspection never fails).

    Args:
        name: the module, as in :func:`require`.
        feature: what needs it, as in :func:`require`.

    Returns:
        A stand-in whose attributes are those of the module.

    Examples:

    >>> stats = lazy("scipy.stats", "The paired statistics")
    >>> round(float(stats.norm.cdf(0.0)), 2)
    0.5
    """
    top = name.partition(".")[0]
    EXTRAS[top]  # noqa: B018 - an unlisted module is a programming error
    return _LazyModule(name, feature)


def import_keras():
    """Imports Keras; a Keras backend whose package is missing raises one line.

    With ``KERAS_BACKEND=jax`` (or ``torch``, or the same in ``keras.json``)
    and that package missing, ``import keras`` fails deep inside Keras with
    ``No module named 'jax'``; this names the extra instead.

    Returns:
        The ``keras`` module.

    Raises:
        MissingDependencyError: the backend's package is not installed.
    """
    try:
        import keras  # noqa: PLC0415
    except ModuleNotFoundError as error:
        top = (error.name or "").partition(".")[0]
        if top not in _BACKENDS:
            raise
        feature = f"The Keras backend {EXTRAS[top]!r} (KERAS_BACKEND)"
        raise MissingDependencyError(missing_message(feature, top), name=top) from None
    return keras
