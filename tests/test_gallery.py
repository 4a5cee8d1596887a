"""The gallery script runs, its checks bite, and the committed images match the code."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]
GALLERY = ROOT / "docs" / "gallery"


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "make_gallery", ROOT / "scripts" / "make_gallery.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gallery():
    return _load_script()


def test_one_panel_renders_and_matches_the_committed_gallery(gallery, tmp_path):
    written = gallery.main(["--out", str(tmp_path), "--only", "specmix_gamma_0.3", "--dpi", "50"])
    assert [p.name for p in written] == ["specmix_gamma_0.3.png"]
    image = Image.open(written[0])
    assert image.size == (350, 140)  # 7 x 2.8 inches at 50 dpi
    assert len(np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)) > 50
    title = json.loads((tmp_path / "panels.json").read_text())["specmix_gamma_0.3"]
    assert "λ = " in title
    committed = json.loads((GALLERY / "panels.json").read_text())
    assert title == committed["specmix_gamma_0.3"], (
        "docs/gallery is stale: run `python scripts/make_gallery.py` and look at the images"
    )


def test_committed_gallery_is_complete_and_shown(gallery):
    committed = json.loads((GALLERY / "panels.json").read_text())
    assert sorted(committed) == sorted(gallery.PANELS)
    page = (ROOT / "docs" / "gallery.md").read_text()
    for name in [*gallery.PANELS, "gallery"]:
        path = GALLERY / f"{name}.png"
        assert path.exists() and path.stat().st_size < 400_000, path
        if name != "gallery":
            assert f"gallery/{name}.png" in page


def test_region_check_rejects_a_wrong_outline(gallery):
    x = np.random.default_rng(0).normal(size=(2, 6, 4)).astype(np.float32)
    donor = np.zeros((6, 4), bool)
    donor[1:3] = True
    out = np.where(donor, x[1], x[0])[None]
    gallery.check_mix(x, out, 1 - donor.mean(), donor, 1)  # the right outline passes
    shifted = np.roll(donor, 1, axis=0)
    with pytest.raises(AssertionError):
        gallery.check_mix(x, out, 1 - donor.mean(), shifted, 1)  # a shifted one does not
    with pytest.raises(AssertionError):
        gallery.check_mix(x, out, 0.5, donor, 1)  # nor a wrong λ
