"""Runs every ``>>>`` example in the package's docstrings."""

import dataclasses
import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import tensorflow as tf

import keras_specmix

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(keras_specmix.__path__, "keras_specmix.")
    if not info.name.endswith("__main__")  # entry points, not library modules
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    # The module's own namespace, plus the names the examples use unimported.
    globs = {**vars(module), "tf": tf, "np": np, "ks": keras_specmix}
    for test in finder.find(module, name, globs=globs):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} docstring example(s) failed in {name}"


def _public_names():
    """``{qualified name: object}`` of the documented surface: the package's and its modules'."""
    from keras_specmix import data
    from keras_specmix import datasets
    from keras_specmix import distillation
    from keras_specmix import features
    from keras_specmix import layers
    from keras_specmix import losses
    from keras_specmix import ops
    from keras_specmix import training

    found = {}
    modules = (keras_specmix, ops, layers, datasets, features, data, losses, training, distillation)
    for module in modules:
        names = getattr(module, "__all__", None) or [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and (module in (ops, layers) or obj.__module__ == module.__name__)
        ]
        for name in names:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return found


def _takes_arguments(obj):
    """Whether calling ``obj`` takes arguments of its own (``self`` aside)."""
    if inspect.isclass(obj) and issubclass(obj, BaseException) and "__init__" not in vars(obj):
        return False  # an exception raised with its message
    params = inspect.signature(obj).parameters.values()
    return any(p.name not in ("self", "cls") for p in params)


def _records_fields(obj):
    """A dataclass or named tuple: its fields are its arguments (``Attributes:``)."""
    return inspect.isclass(obj) and (dataclasses.is_dataclass(obj) or hasattr(obj, "_fields"))


def test_public_names_have_examples_and_args():
    """Every public name has a runnable Examples section, and Args when it takes arguments."""
    missing = []
    for name, obj in sorted(_public_names().items()):
        doc = inspect.getdoc(obj) or ""
        examples = doc.partition("Examples:")[2]
        if ">>>" not in examples:
            missing.append(f"{name}: no Examples section with >>> code")
        documented = "Args:" in doc or (_records_fields(obj) and "Attributes:" in doc)
        if _takes_arguments(obj) and not documented:
            missing.append(f"{name}: no Args section")
    assert not missing, f"{len(missing)} gap(s):\n" + "\n".join(missing)
