"""Runs every ``>>>`` example in the package's docstrings."""

import doctest
import importlib
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
