"""One tiny comparison trained once per session, shared by the runner's end-to-end tests.

The runner's outputs (JSON, Markdown, figures, provenance, bit-identical
reruns) are checked on the same two commands instead of on a training per
test module; tests that add runs work on a copy of its folder.
"""

import os
import shutil
import types

import pytest

from keras_specmix.experiments import runner
from tests.experiments._tiny import TINY


@pytest.fixture(scope="session")
def tiny_comparison(tmp_path_factory):
    """Two commands without --output-dir from one working folder.

    None and SpecMix over seeds 0 and 1 (4 tiny runs), then the same command
    with seed 0 alone (2 runs: each run depends only on its settings,
    condition and seed, so these must equal the first command's, bit for bit).

    Returns:
        ``cwd``, ``folders`` (the two new result folders, in order) and the
        first command's ``args``.
    """
    cwd = tmp_path_factory.mktemp("cwd")
    args = [*TINY, "--seeds", "0,1", "--augmentation", "none,specmix"]
    args += ["--cache-dir", str(cwd / "cache")]
    old = os.getcwd()
    os.chdir(cwd)
    try:
        assert runner.main(args) == 0
        assert runner.main([a if a != "0,1" else "0" for a in args]) == 0
    finally:
        os.chdir(old)
    folders = sorted((cwd / "results").iterdir())
    return types.SimpleNamespace(cwd=cwd, folders=folders, args=args)


@pytest.fixture
def comparison_copy(tiny_comparison, tmp_path):
    """A copy of the first command's folder, for a test that adds runs to it."""
    out = tmp_path / "out"
    shutil.copytree(tiny_comparison.folders[0], out)
    return out
