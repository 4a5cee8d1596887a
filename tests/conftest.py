"""Shared pytest configuration: markers, quiet TensorFlow logs, policy reset."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long checks, run with `pytest -m slow` (not in CI's default run)"
    )


@pytest.fixture(autouse=True)
def _reset_dtype_policy():
    """Every test starts and ends with the float32 policy."""
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")
