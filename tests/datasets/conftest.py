"""Fixtures: fake TAU 2020 Mobile and SECL-UMONS trees from ``datasets.fakes``."""

import pytest

from keras_specmix.datasets import fakes


@pytest.fixture
def fake_tau(tmp_path):
    """A TAU 2020 Mobile development tree with 24-bit 0.3-s clips."""
    return fakes.write_fake_tau2020_mobile(
        tmp_path / "TAU-urban-acoustic-scenes-2020-mobile-development"
    )


@pytest.fixture(params=fakes.SECL_LAYOUTS)
def fake_secl(tmp_path, request):
    """A SECL-UMONS unilabel tree, 7 mic files per recording, both layouts."""
    return fakes.write_fake_secl_umons(tmp_path / "SECL-UMONS", request.param)
