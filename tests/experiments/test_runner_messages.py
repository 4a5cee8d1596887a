"""What a runner user reads: --help states each default once; no TensorFlow start-up noise."""

import os
import subprocess
import sys

import pytest

import _keras_specmix_cli as entry
from keras_specmix.experiments import runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _help_per_option():
    parser = runner.build_parser()
    formatter = parser._get_formatter()
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            yield action, formatter._get_help_string(action) or ""


def test_help_states_every_default_exactly_once():
    for action, text in _help_per_option():
        has_default = action.default is not None and action.default is not False
        count = text.replace("%(default)s", "X").lower().count("default")
        assert count == (1 if has_default else count), (action.dest, text)
        assert count <= 1, (action.dest, text)
        assert "(default: None)" not in text and "(default: False)" not in text
    full = runner.build_parser().format_help()
    assert "(default: ['none'" not in full and "(default: [0, 1, 2, 3])" not in full
    assert "(default: --recipe's conditions, else all)" in " ".join(full.split())
    assert "(default: 0,1,2,3)" in full


def test_string_defaults_parse_like_the_command_line():
    from keras_specmix.experiments import presets

    args = runner.build_parser().parse_args([])
    assert args.seeds == [0, 1, 2, 3]
    assert args.augmentation is None  # unset: --recipe's conditions, else the talk's five
    assert presets.chosen_conditions(args) == ["none", "mixup", "cutmix", "specaugment", "specmix"]


@pytest.mark.parametrize(
    "line, noise",
    [
        (
            "WARNING: All log messages before absl::InitializeLog() is called are written "
            "to STDERR",
            True,
        ),
        (
            "I0000 00:00:1796082183.266799    8794 port.cc:153] oneDNN custom operations are on.",
            True,
        ),
        (
            "E0000 00:00:1.0  1 cuda_fft.cc:485] Unable to register cuFFT factory: Attempting to "
            "register factory for plugin cuFFT when one has already been registered",
            True,
        ),
        ("E0000 00:00:1.0  1 cuda_dnn.cc:8310] Unable to register cuDNN factory: x", True),
        ("E0000 00:00:1.0  1 cuda_blas.cc:1418] Unable to register cuBLAS factory: x", True),
        (
            "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
            "TensorFlow with the appropriate compiler flags.",
            True,
        ),
        ("E0000 00:00:1.0  1 some_kernel.cc:12] Out of memory allocating 4 GB", False),
        ("ImportError: libcudart.so.12: cannot open shared object file", False),
    ],
)
def test_startup_filter_drops_notices_and_keeps_errors(line, noise):
    assert entry.is_startup_noise(line) is noise


def test_only_the_runner_is_prepared():
    assert entry.is_module_run(["python", "-m", "keras_specmix.experiments", "--quiet"], "-m")
    assert not entry.is_module_run(["python", "-m", "pytest", "tests"], "-m")
    assert not entry.is_module_run(["python", "-c", "import keras_specmix"], "-c")


HELP_PROBE = """
import sys
import _keras_specmix_cli
try:
    _keras_specmix_cli.main(sys.argv[1:])
except SystemExit as done:
    status = done.code
heavy = sorted(m for m in ("tensorflow", "keras", "jax", "torch", "numpy") if m in sys.modules)
print("status", status, "imported", ",".join(heavy) or "-", file=sys.stderr)
"""


@pytest.mark.parametrize(
    "argv, status", [(["--help"], 0), (["--epochs", "0"], 2), (["--dataset", "folder"], 2)]
)
def test_help_and_argument_errors_answer_without_tensorflow(argv, status):
    # The console script's entry: parsed with modules that import neither TensorFlow nor Keras.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.stderr.strip().splitlines()[-1] == f"status {status} imported -", done.stderr
    if status == 0:
        assert "--augmentation" in done.stdout and "--gain-db-range" in done.stdout


@pytest.mark.parametrize("argv, status", [(["--help"], 0), (["--epochs", "0"], 2)])
def test_module_run_answers_help_and_errors_without_tensorflow(argv, status):
    # python -m imports the package keras_specmix first; its start-up hook answers before
    # TensorFlow: -X importtime lists every module the process imported.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "keras_specmix.experiments", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == status, done.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "keras_specmix" in imported and "argparse" in imported
    assert not imported & {"tensorflow", "keras", "jax", "torch", "numpy"}, sorted(imported)


def test_parsing_leaves_no_placeholder_package_behind():
    # The parser's modules are read without the packages' __init__; afterwards the real ones load.
    import keras_specmix.experiments

    before = dict(sys.modules)
    args = entry.parse_before_tensorflow(["--seeds", "3"])
    assert args.seeds == [3]
    assert sys.modules["keras_specmix.experiments"] is keras_specmix.experiments
    assert {k: v for k, v in sys.modules.items() if k.startswith("keras_specmix")} == {
        k: v for k, v in before.items() if k.startswith("keras_specmix")
    }


def test_command_line_error_shows_no_tensorflow_startup_lines():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")
    }
    env["PYTHONPATH"] = os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "keras_specmix.experiments", "--epochs", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("usage:")
    assert lines[-1].endswith("--epochs: `epochs` must be an int >= 1. Received: epochs=0")
    for noise in (
        "absl::InitializeLog",
        "I0000",
        "oneDNN custom operations",
        "cuda",
        "cpu_feature_guard",
        "rebuild TensorFlow",
    ):
        assert noise not in done.stderr, done.stderr


CUINIT = (
    "E0000 00:00:1796304001.361605    4724 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)"
)


def test_cuinit_failure_is_dropped_only_without_nvidia_hardware():
    # Without an NVIDIA device the line only means "TensorFlow runs on the CPU" ...
    assert entry.is_expected_cuda_failure(CUINIT, has_nvidia=False)
    # ... with one it is real driver or device trouble, and is shown.
    assert not entry.is_expected_cuda_failure(CUINIT, has_nvidia=True)
    # Other errors are never dropped.
    other = "E0000 00:00:1.0  1 cuda_driver.cc:1] CUDA_ERROR_OUT_OF_MEMORY: out of memory"
    assert not entry.is_expected_cuda_failure(other, has_nvidia=False)
    assert not entry.is_startup_noise(CUINIT)


def test_nvidia_hardware_reads_the_pci_vendor_ids(tmp_path, monkeypatch):
    devices = tmp_path / "devices"
    for name, vendor in (("0000:00:00.0", "0x8086"), ("0000:00:01.0", "0x1af4")):
        (devices / name).mkdir(parents=True)
        (devices / name / "vendor").write_text(vendor + "\n")
    real_glob, real_exists = entry.glob.glob, os.path.exists
    monkeypatch.setattr(
        entry.glob,
        "glob",
        lambda p: real_glob(str(devices / "*" / "vendor")) if p.startswith("/sys/") else [],
    )
    monkeypatch.setattr(
        entry.os.path, "exists", lambda p: False if p == "/proc/driver/nvidia" else real_exists(p)
    )
    assert not entry.nvidia_hardware()
    (devices / "0000:00:02.0").mkdir()
    (devices / "0000:00:02.0" / "vendor").write_text("0x10de\n")  # NVIDIA's PCI vendor id
    assert entry.nvidia_hardware()
