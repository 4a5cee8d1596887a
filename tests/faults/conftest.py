"""Fault tests: processes killed at chosen points, then resumed (``tests/faults``)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "faults: the full kill matrix and the two-process kill, run with "
        "`pytest -m faults tests/faults` (a CI leg; deselected by default)",
    )
