"""Packaging: declared bounds, license, entry points, and a library import that changes nothing.

The installed wheel itself is checked by ``scripts/smoke_install.sh`` (CI leg 5).
"""

import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import _keras_specmix_cli as cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONSTRAINTS = [ROOT / "constraints.txt", ROOT / ".ci" / "constraints-tf2.17.txt"]
# Environment variables TensorFlow's start-up is known to read: what the
# command's start-up sets, and what a library import must leave alone.
STARTUP_VARIABLES = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")


def _pins():
    """{distribution: [pinned versions]} over the constraints files CI legs install with."""
    pins = {}
    for path in CONSTRAINTS:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
            if match:
                pins.setdefault(match[1].lower().replace("_", "-"), []).append(match[2])
    return pins


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in STARTUP_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**env, **extra}


def test_lower_bounds_are_the_oldest_versions_a_ci_leg_runs():
    from packaging.version import Version

    pins = _pins()
    project = PYPROJECT["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    for extra in ("audio", "experiments", "jax", "torch", "tfio"):
        requirements += [Requirement(r) for r in project["optional-dependencies"][extra]]
    for requirement in requirements:
        (spec,) = requirement.specifier  # exactly one bound: ">=oldest run"
        assert spec.operator == ">=", requirement
        oldest = min(pins[requirement.name.lower()], key=Version)
        assert Version(spec.version) == Version(oldest), (str(requirement), oldest)
    # Every leg runs the machine's python3; the suite runs on an accepted one.
    assert platform.python_version() in SpecifierSet(project["requires-python"])


def test_license_file_is_apache_2_with_the_projects_copyright():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    assert "Copyright 2026 The keras_specmix Authors" in text and "[yyyy]" not in text
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
    for name in ("LICENSE", "README.md", "CHANGELOG.md", "constraints.txt"):
        assert re.search(rf"^include .*\b{re.escape(name)}\b", manifest, re.M), name


def test_console_script_is_the_start_up_modules_main():
    target = PYPROJECT["project"]["scripts"]["keras-specmix-experiments"]
    assert target == "_keras_specmix_cli:main"
    assert PYPROJECT["tool"]["setuptools"]["py-modules"] == ["_keras_specmix_cli"]


def test_start_up_module_imports_neither_tensorflow_nor_the_package():
    code = (
        "import sys, _keras_specmix_cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'keras_specmix', 'numpy')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "orig_argv, argv0, expected",
    [
        (["python", "-m", "keras_specmix.experiments", "--quiet"], "-m", True),
        (["python", "-X", "dev", "-mkeras_specmix.experiments"], "-m", True),
        (["python", "-W", "error", "-m", "keras_specmix.experiments"], "-m", True),
        (["python", "-m", "keras_specmix.experiments"], "/x/__main__.py", False),  # located
        (["python", "-m", "pytest", "tests"], "-m", False),
        (["python", "-c", "import keras_specmix", "-m", "keras_specmix.experiments"], "-m", False),
        (["python", "script.py", "-m", "keras_specmix.experiments"], "-m", False),
        (["/venv/bin/keras-specmix-experiments", "--width", "4"], "-m", False),
    ],
)
def test_module_run_is_recognised_only_while_python_locates_it(orig_argv, argv0, expected):
    assert cli.is_module_run(orig_argv, argv0) is expected


_IMPORT_PROBE = """
import json, os, sys
sys.argv[:] = {argv!r}
calls = []
_dup2 = os.dup2
def dup2(fd, fd2, *args):
    calls.append(fd2)
    return _dup2(fd, fd2, *args)
os.dup2 = dup2
before = os.fstat(2)
import {module}
after = os.fstat(2)
print(json.dumps({{
    "env": {{k: os.environ.get(k) for k in {variables!r}}},
    "fd2_redirected": 2 in calls,
    "fd2_same": (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino),
}}))
"""


def _probe(module, argv):
    code = _IMPORT_PROBE.format(argv=argv, module=module, variables=STARTUP_VARIABLES)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tensorflow_alone():
    """What importing TensorFlow and Keras does by itself (it sets TF_CPP_MIN_LOG_LEVEL)."""
    return _probe("keras", ["python"])


def test_library_import_changes_no_environment_and_no_file_descriptor(tensorflow_alone):
    # Regression: `import keras_specmix` ran the command's start-up when argv
    # looked like the command's (redirected fd 2, set TF_* variables). An argv
    # of "-m" (as while `python -m` locates a module) is covered by
    # test_module_run_is_recognised_only_while_python_locates_it.
    seen = _probe("keras_specmix", ["keras-specmix-experiments", "--width", "4"])
    assert seen == {**tensorflow_alone, "fd2_redirected": False, "fd2_same": True}
    assert seen["env"]["TF_ENABLE_ONEDNN_OPTS"] is None


def test_console_script_runs_the_start_up_before_tensorflow():
    # A valid command line that fails after TensorFlow's import (in the runner): the oneDNN
    # note comes before it, and no start-up noise. (--help and argument errors answer
    # before any start-up: tests/experiments/test_runner_messages.py.)
    code = (
        "import sys; sys.argv[:] = ['keras-specmix-experiments']; "
        "import _keras_specmix_cli; "
        "sys.exit(_keras_specmix_cli.main(['--width', '4', '--cpu-replicas', '2']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    if cli.platform.machine().lower() in cli._X86:
        assert lines[0].startswith("Note: oneDNN off (TF_ENABLE_ONEDNN_OPTS=0) for --width 4")
    assert lines[-1].startswith("keras-specmix-experiments: error: ")
    assert "cpu_replicas" in lines[-1]
    for noise in ("absl::InitializeLog", "I0000", "cpu_feature_guard", "rebuild TensorFlow"):
        assert noise not in done.stderr, done.stderr


@pytest.fixture
def without_scipy(tmp_path):
    """A PYTHONPATH entry whose ``scipy`` fails to import as if not installed."""
    (tmp_path / "scipy").mkdir()
    (tmp_path / "scipy" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'scipy'\", name='scipy')\n"
    )
    return str(tmp_path)


@pytest.mark.parametrize(
    "command, prog",
    [
        (["-m", "keras_specmix.experiments", "--quiet"], "python -m keras_specmix.experiments"),
        (
            [
                "-c",
                "import sys, _keras_specmix_cli; sys.exit(_keras_specmix_cli.main())",
                "--quiet",
            ],
            "keras-specmix-experiments",
        ),
    ],
)
def test_command_without_the_experiments_extra_is_one_line_and_exit_2(command, prog, without_scipy):
    # (--help needs no extra: it answers before the check.)
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([without_scipy, env["PYTHONPATH"]])
    done = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{prog}: error: The experiment runner (its statistics) needs scipy, which is not "
        'installed: pip install "keras_specmix[experiments]"'
    ]
