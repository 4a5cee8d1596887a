"""Shared pytest configuration: markers, quiet TensorFlow logs, policy reset."""

import os

import _keras_specmix_cli

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN's training kernels for convolutions on < 16 channels have corrupted the
# heap on AVX-512 CPUs and the tests train width-4 models in-process; a crash
# would kill pytest with no summary (docs/known_issues.md). The command's guard,
# before TensorFlow is imported; set TF_ENABLE_ONEDNN_OPTS=1 to run the suite with oneDNN.
_keras_specmix_cli.turn_onednn_off()

import keras  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long trainings, run with `pytest -m slow` (CI legs 2 and 3)"
    )
    config.addinivalue_line(
        "markers",
        "scripts: the benchmark and device-check scripts run end to end on tiny settings,"
        " run with `pytest -m scripts` (CI leg 3)",
    )


@pytest.fixture(autouse=True)
def _reset_dtype_policy():
    """Every test starts and ends with the float32 policy."""
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture(scope="session")
def digits_dir(tmp_path_factory):
    """One folder for the espeak-ng digits, rendered once per session by the first test that
    reads them (``render_spoken_digits`` reuses a complete rendering)."""
    return tmp_path_factory.mktemp("digits")
