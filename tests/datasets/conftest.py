"""Fixtures: fake TAU 2020 Mobile and SECL-UMONS trees (see _fake_datasets)."""

from _fake_datasets import fake_secl  # noqa: F401
from _fake_datasets import fake_tau  # noqa: F401
