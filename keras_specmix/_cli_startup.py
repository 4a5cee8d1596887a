"""Start-up of the runner's command line, run before TensorFlow is imported.

``keras_specmix/__init__.py`` calls :func:`prepare` first thing. It does
nothing unless this process is the experiment runner
(``python -m keras_specmix.experiments`` or ``keras-specmix-experiments``).
For the runner it

- sets ``TF_CPP_MIN_LOG_LEVEL=2`` (TensorFlow's C++ INFO and WARNING lines
  off, its errors kept) unless you set it;
- captures what the TensorFlow import writes to the process's stderr and
  replays every line except the known start-up notices (absl's "before
  InitializeLog" warning, INFO/WARNING lines, the cuFFT/cuDNN/cuBLAS "Unable
  to register factory" lines, the CPU-instructions notice), which newer
  TensorFlow prints whatever ``TF_CPP_MIN_LOG_LEVEL`` says, and the
  "failed call to cuInit" error line of a machine without NVIDIA hardware
  (where it only means that TensorFlow runs on the CPU; with NVIDIA
  hardware it is kept);
- turns oneDNN off (``TF_ENABLE_ONEDNN_OPTS=0``, unless you set it) on x86
  when ``--width`` is below 16: oneDNN's training kernels for convolutions on
  fewer than 16 channels have corrupted the heap (``docs/known_issues.md``).
"""

import argparse
import glob
import os
import platform
import re
import sys
import tempfile

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


def _guard_onednn(argv):
    """Sets ``TF_ENABLE_ONEDNN_OPTS=0`` for ``--width`` < 16 on x86 unless the user chose."""
    if "TF_ENABLE_ONEDNN_OPTS" in os.environ or platform.machine().lower() not in (
        "x86_64",
        "amd64",
        "i686",
        "x86",
    ):
        return
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--width")
    known, _ = pre.parse_known_args(argv)
    try:
        narrow = known.width is not None and int(known.width) < ONEDNN_MIN_CHANNELS
    except ValueError:
        return  # the runner's parser reports the bad value
    if narrow:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
        print(
            f"Note: oneDNN off (TF_ENABLE_ONEDNN_OPTS=0) for --width {known.width} < "
            f"{ONEDNN_MIN_CHANNELS}: see docs/known_issues.md.",
            file=sys.stderr,
        )


def is_runner(argv=None):
    """Whether this process runs the experiment runner's command line."""
    argv = list(getattr(sys, "orig_argv", None) or []) if argv is None else list(argv)
    if "-m" in argv and argv[argv.index("-m") + 1 :][:1] == ["keras_specmix.experiments"]:
        return True
    return os.path.basename(sys.argv[0] or "") == "keras-specmix-experiments"


def prepare():
    """For the runner only: quiet TensorFlow start-up and the oneDNN guard."""
    if not is_runner() or "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _guard_onednn(sys.argv[1:])
    import_quietly("tensorflow")
