"""The experiment command's entry point and start-up, run before TensorFlow is imported.

``keras-specmix-experiments`` (the console script) calls :func:`main`;
``python -m keras_specmix.experiments`` runs the same :func:`main` from
``keras_specmix/experiments/__main__.py``. Before TensorFlow is imported,
:func:`prepare`

- parses and checks the command line (:func:`parse_before_tensorflow`, with
  :mod:`keras_specmix.experiments.cli`, which imports neither TensorFlow nor
  Keras), so ``--help`` and argument errors answer at once, without
  TensorFlow's start-up;
- sets ``TF_CPP_MIN_LOG_LEVEL=2`` (TensorFlow's C++ INFO and WARNING lines
  off, its errors kept) unless you set it;
- turns oneDNN off (``TF_ENABLE_ONEDNN_OPTS=0``, unless you set it) on x86
  when ``--width`` is below 16: oneDNN's training kernels for convolutions on
  fewer than 16 channels have corrupted the heap (``docs/known_issues.md``);
- captures what the TensorFlow import writes to the process's stderr and
  replays every line except the known start-up notices (absl's "before
  InitializeLog" warning, INFO/WARNING lines, the cuFFT/cuDNN/cuBLAS "Unable
  to register factory" lines, the CPU-instructions notice), which newer
  TensorFlow prints whatever ``TF_CPP_MIN_LOG_LEVEL`` says, and the
  "failed call to cuInit" error line of a machine without NVIDIA hardware
  (where it only means that TensorFlow runs on the CPU; with NVIDIA
  hardware it is kept).

Then :func:`main` checks that the ``experiments`` extra is installed and runs
:func:`keras_specmix.experiments.runner.main`; a missing optional package ends
the command with one line naming the extra to install, and exit status 2.

Why a top-level module, outside the package: ``import keras_specmix`` imports
TensorFlow (the layers register with Keras when the package is imported, so
that ``keras.saving.load_model`` finds them), and Python imports a package
before any of its modules. This module imports only the standard library, so
the console script runs :func:`prepare` first; it reads the command-line
modules without running the packages' ``__init__`` (see
:func:`parse_before_tensorflow`). Under ``python -m
keras_specmix.experiments`` Python imports ``keras_specmix`` before
``__main__``, so ``keras_specmix/__init__.py`` calls :func:`prepare_module_run`,
which runs :func:`prepare` only while Python is locating that module (then
``sys.argv[0]`` is ``"-m"`` and ``sys.orig_argv`` names it): there too
``--help`` and argument errors answer before TensorFlow is imported. Any
other ``import keras_specmix`` changes no environment variable and no file
descriptor, whatever ``sys.argv`` holds.
"""

import glob
import importlib
import importlib.util
import os
import platform
import re
import sys
import tempfile

MODULE = "keras_specmix.experiments"
"""The module ``python -m`` runs for the command."""

COMMAND = "keras-specmix-experiments"
"""The console script's name."""

MODULE_PROG = "python -m keras_specmix.experiments"
"""The command's name in usage lines under ``python -m``."""

_PARSER = "keras_specmix.experiments.cli"
_PACKAGES = ("keras_specmix", "keras_specmix.experiments")

_NOISE = re.compile(
    r"^WARNING: All log messages before absl::InitializeLog\(\)"
    r"|^[IW]\d{4} "  # absl INFO / WARNING lines
    r"|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] "  # older TensorFlow's format
    r"|Unable to register cu(FFT|DNN|BLAS) factory"
    r"|computation placer already registered"
    r"|^This TensorFlow binary is optimized"
    r"|^To enable the following instructions:"
)
ONEDNN_MIN_CHANNELS = 16
"""Below this many channels oneDNN's training kernels are not trusted (oneDNN#6035)."""

_X86 = ("x86_64", "amd64", "i686", "x86")
_OPTIONS_WITH_VALUE = ("-W", "-X", "-Q")


def is_startup_noise(line):
    """Whether a stderr line of TensorFlow's import is a start-up notice (not an error)."""
    return bool(_NOISE.search(line))


_CUINIT = re.compile(r"failed call to cuInit\b")
_NVIDIA_PCI_VENDOR = "0x10de"


def nvidia_hardware():
    """Whether this machine has an NVIDIA device: its driver, or a PCI device of NVIDIA's vendor id.

    Linux only (``/proc/driver/nvidia``, ``/sys/bus/pci/devices/*/vendor``);
    False elsewhere.
    """
    if os.path.exists("/proc/driver/nvidia"):
        return True
    for vendor in glob.glob("/sys/bus/pci/devices/*/vendor"):
        try:
            with open(vendor, encoding="ascii") as f:
                if f.read().strip() == _NVIDIA_PCI_VENDOR:
                    return True
        except OSError:
            continue
    return False


def is_expected_cuda_failure(line, has_nvidia=None):
    """Whether ``line`` is TensorFlow's failed ``cuInit`` on a machine without NVIDIA hardware.

    TensorFlow's CUDA build logs ``failed call to cuInit`` as an error on
    every machine without a usable GPU. Without NVIDIA hardware it only
    means "no GPU here, running on the CPU" and is not shown; with NVIDIA
    hardware it is a real error (driver or device trouble) and is kept.
    """
    if not _CUINIT.search(line):
        return False
    return not (nvidia_hardware() if has_nvidia is None else has_nvidia)


def import_quietly(name):
    """Imports module ``name`` with the process's stderr captured; replays all but the noise.

    For TensorFlow it also lists the GPUs inside the capture: that starts
    CUDA (``cuInit``), whose failure is dropped on a machine without NVIDIA
    hardware and replayed elsewhere (:func:`is_expected_cuda_failure`).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            module = __import__(name, fromlist=["_"])
            if name == "tensorflow":
                module.config.list_physical_devices("GPU")
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode(errors="replace").splitlines():
                if line.strip() and not (is_startup_noise(line) or is_expected_cuda_failure(line)):
                    print(line, file=sys.stderr)
    return module


def turn_onednn_off(note=None):
    """Sets ``TF_ENABLE_ONEDNN_OPTS=0`` on x86 unless the variable is already set.

    Must run before TensorFlow is imported (TensorFlow reads the variable
    then). Used by the command for narrow models and by ``tests/conftest.py``.

    Args:
        note: a line printed to stderr when oneDNN is turned off, or None.

    Returns:
        bool, whether this call set the variable.
    """
    if "TF_ENABLE_ONEDNN_OPTS" in os.environ or platform.machine().lower() not in _X86:
        return False
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    if note:
        print(note, file=sys.stderr)
    return True


def parse_before_tensorflow(argv, prog=COMMAND):
    """Parses and checks the command line without importing TensorFlow or Keras.

    Loads :mod:`keras_specmix.experiments.cli` (standard library,
    ``keras_specmix._validation`` and the registries) with placeholders for
    the packages ``keras_specmix`` and ``keras_specmix.experiments`` whose
    ``__init__`` is not run (it imports TensorFlow), parses ``argv`` with it,
    then forgets every module it loaded, so the real packages are imported
    afresh afterwards.

    Args:
        argv: the command's arguments (without the program name).
        prog: the command's name in usage and error lines.

    Returns:
        The parsed ``argparse.Namespace`` (plain values only).

    Raises:
        SystemExit: after ``--help`` (status 0) or an argument error (2).
    """
    before = set(sys.modules)
    try:
        for name in _PACKAGES:
            if name not in sys.modules:
                spec = importlib.util.find_spec(name)
                assert spec is not None, name  # the packages of this distribution
                sys.modules[name] = importlib.util.module_from_spec(spec)
        args, _ = importlib.import_module(_PARSER).parse_args(argv, prog)
        return args
    finally:
        for name in sorted(set(sys.modules) - before, reverse=True):
            module = sys.modules.pop(name)
            parent, _, child = name.rpartition(".")
            if getattr(sys.modules.get(parent), child, None) is module:
                delattr(sys.modules[parent], child)


def _guard_onednn(width):
    """:func:`turn_onednn_off` when the command's ``--width`` is below 16."""
    if width is not None and width < ONEDNN_MIN_CHANNELS:
        turn_onednn_off(
            f"Note: oneDNN off (TF_ENABLE_ONEDNN_OPTS=0) for --width {width} < "
            f"{ONEDNN_MIN_CHANNELS}: see docs/known_issues.md."
        )


def prepare(argv, prog=COMMAND):
    """The command's start-up (see the module's docstring); nothing once TensorFlow is loaded.

    Args:
        argv: the command's arguments (without the program name).
        prog: the command's name in usage and error lines.

    Raises:
        SystemExit: after ``--help`` (status 0) or an argument error (2),
            before TensorFlow is imported.
    """
    if "tensorflow" in sys.modules:
        return
    args = parse_before_tensorflow(argv, prog)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _guard_onednn(args.width)
    import_quietly("tensorflow")


def run_module_name(orig_argv):
    """The module an interpreter command line runs with ``-m``, or None.

    Args:
        orig_argv: the interpreter's command line, as ``sys.orig_argv``.

    Returns:
        str or None, e.g. ``"keras_specmix.experiments"`` for
        ``["python", "-X", "dev", "-m", "keras_specmix.experiments", "--quiet"]``.
    """
    tokens = list(orig_argv)[1:]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "-m":
            return tokens[i + 1] if i + 1 < len(tokens) else None
        if token.startswith("-m"):
            return token[2:]
        if token in ("-c", "-") or not token.startswith("-"):
            return None  # a command string, stdin or a script comes first
        i += 2 if token in _OPTIONS_WITH_VALUE else 1
    return None


def is_module_run(orig_argv=None, argv0=None):
    """Whether Python is now locating ``python -m keras_specmix.experiments``.

    While ``-m`` locates its module (importing the parent packages first),
    ``sys.argv[0]`` is ``"-m"``; ``sys.orig_argv`` names the module.

    Args:
        orig_argv: the interpreter's command line (default ``sys.orig_argv``).
        argv0: ``sys.argv[0]`` (default: the current one).

    Returns:
        bool.
    """
    orig_argv = getattr(sys, "orig_argv", []) if orig_argv is None else orig_argv
    argv0 = (sys.argv[:1] or [""])[0] if argv0 is None else argv0
    return argv0 == "-m" and run_module_name(orig_argv) == MODULE


def prepare_module_run():
    """:func:`prepare` for ``python -m keras_specmix.experiments`` only (see the docstring)."""
    if is_module_run():
        prepare(sys.argv[1:], MODULE_PROG)


def main(argv=None, prog=COMMAND):
    """Runs the experiment command; returns its exit status.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        prog: the command's name in usage and error lines.

    Returns:
        int: the runner's status, or 2 when an optional package it needs is
        missing (one line on stderr names the ``pip install`` command).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    prepare(argv, prog)
    from keras_specmix import _optional  # noqa: PLC0415 - after the start-up

    try:
        _optional.require("scipy.stats", "The experiment runner (its statistics)")
        _optional.require("matplotlib", "The experiment runner (its figures)")
        from keras_specmix.experiments import runner  # noqa: PLC0415

        return runner.main(argv, prog)
    except _optional.MissingDependencyError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
