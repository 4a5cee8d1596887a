"""Optional packages: imported at first use; a missing one fails in one line naming the extra."""

import ast
import os
import pathlib
import subprocess
import sys
import tomllib

import numpy as np
import pytest
import tensorflow as tf

from keras_specmix import _optional
from keras_specmix import datasets
from keras_specmix.datasets import audio_io
from keras_specmix.datasets import fakes
from keras_specmix.features import FrontEndConfig

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DISTRIBUTIONS = {
    "tensorflow_io": "tensorflow-io",
    "jaxlib": "jax",
}  # module -> what the extra lists

# Imports of optional packages outside keras_specmix/_optional.py, each reached
# only when the package is already there: the JAX/PyTorch code runs only on
# that Keras backend (Keras imported the package, or `import keras_specmix`
# stopped with the one-line error of _optional.import_keras), and the report
# only probes tensorflow-io's version (None without it).
ALLOWED_DIRECT_IMPORTS = {
    ("keras_specmix/_compat.py", "jax"),
    ("keras_specmix/ops/_backend.py", "jax"),
    ("keras_specmix/ops/random.py", "jax"),
    ("keras_specmix/ops/random.py", "torch"),
    ("keras_specmix/_typing.py", "jax"),  # annotations only (TYPE_CHECKING)
    ("keras_specmix/_typing.py", "torch"),
    ("keras_specmix/experiments/distribute.py", "jax"),
    ("keras_specmix/experiments/report.py", "tensorflow_io"),
}


def _hide(monkeypatch, *names):
    """Makes ``import name`` fail as if the package were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def _wav_folder(root, rates):
    """``root/<class>/clip<k>.wav`` with one 0.1 s tone per rate, two classes."""
    for k, rate in enumerate(rates):
        label = "a" if k % 2 == 0 else "b"
        fakes.write_wav(root / label / f"clip{k}.wav", fakes.tone(0.1, rate, 440), rate, 16)
    return root


def test_every_optional_import_goes_through_the_helper():
    found = set()
    for path in sorted((ROOT / "keras_specmix").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "keras_specmix/_optional.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            found |= {
                (rel, n.partition(".")[0]) for n in names if n.partition(".")[0] in _optional.EXTRAS
            }
    assert found <= ALLOWED_DIRECT_IMPORTS, sorted(found - ALLOWED_DIRECT_IMPORTS)


def test_every_module_maps_to_an_extra_that_installs_it():
    extras = PYPROJECT["project"]["optional-dependencies"]
    for module, extra in _optional.EXTRAS.items():
        listed = {r.split(">")[0].split("=")[0].strip() for r in extras[extra]}
        assert DISTRIBUTIONS.get(module, module) in listed, (module, extra, listed)


def test_missing_module_raises_one_line_naming_the_extra(monkeypatch):
    _hide(monkeypatch, "soundfile")
    with pytest.raises(_optional.MissingDependencyError) as info:
        _optional.require("soundfile", "Reading audio files")
    assert str(info.value) == (
        "Reading audio files needs soundfile, which is not installed: "
        'pip install "keras_specmix[audio]"'
    )
    assert isinstance(info.value, ImportError) and info.value.name == "soundfile"
    assert info.value.__suppress_context__


def test_module_that_fails_to_load_says_why_in_the_same_line(monkeypatch):
    def broken(name, *args, **kwargs):
        raise OSError("cannot load library 'libsndfile.so':\nno such file")

    monkeypatch.setattr(_optional.importlib, "import_module", broken)
    with pytest.raises(_optional.MissingDependencyError) as info:
        _optional.require("soundfile", "Reading audio files")
    message = str(info.value)
    assert "\n" not in message
    assert (
        "which failed to import (OSError: cannot load library 'libsndfile.so': no such" in message
    )
    assert message.endswith('pip install "keras_specmix[audio]"')


def test_dependency_of_the_package_missing_is_not_called_the_package_missing(monkeypatch):
    def broken(name, *args, **kwargs):
        raise ModuleNotFoundError("No module named '_cffi_backend'", name="_cffi_backend")

    monkeypatch.setattr(_optional.importlib, "import_module", broken)
    with pytest.raises(_optional.MissingDependencyError, match="failed to import"):
        _optional.require("soxr", "Resampling audio")


def test_unlisted_module_is_a_programming_error():
    with pytest.raises(KeyError):
        _optional.require("json", "Reading JSON")
    with pytest.raises(KeyError):
        _optional.lazy("json", "Reading JSON")


def test_lazy_module_imports_at_first_use_and_fails_there(monkeypatch):
    _hide(monkeypatch, "scipy", "scipy.stats")
    stats = _optional.lazy("scipy.stats", "The paired statistics")  # no import yet
    with pytest.raises(_optional.MissingDependencyError, match=r"keras_specmix\[experiments\]"):
        stats.ttest_rel  # noqa: B018 - the first attribute read imports
    # Introspection probes special names; they never raise the install error.
    assert not hasattr(stats, "__wrapped__")
    assert "scipy.stats" in repr(stats)


def test_lazy_module_forwards_attributes():
    stats = _optional.lazy("scipy.stats", "The paired statistics")
    assert stats.norm.cdf(0.0) == pytest.approx(0.5)
    assert stats.__name__ == "scipy.stats"


def test_statistics_module_imports_without_scipy_and_names_the_extra_when_called(monkeypatch):
    from keras_specmix.experiments import stats

    monkeypatch.setattr(stats, "scipy_stats", _optional.lazy("scipy.stats", "The statistics"))
    _hide(monkeypatch, "scipy", "scipy.stats")
    with pytest.raises(_optional.MissingDependencyError, match=r"keras_specmix\[experiments\]"):
        stats.paired_difference([1.0, 2.0, 3.0], [0.5, 1.5, 2.0])


def test_reading_audio_without_soundfile_fails_before_the_dataset_is_built(tmp_path, monkeypatch):
    root = _wav_folder(tmp_path, [16000, 16000])
    _hide(monkeypatch, "soundfile")
    with pytest.raises(_optional.MissingDependencyError, match=r"keras_specmix\[audio\]"):
        datasets.from_directory(root)
    with pytest.raises(
        _optional.MissingDependencyError, match="Writing audio files needs soundfile"
    ):
        fakes.write_wav(tmp_path / "x.wav", np.zeros(10), 16000)


def test_from_directory_needs_no_soxr_when_no_file_is_resampled(tmp_path, monkeypatch):
    # Regression: soxr was imported for every file, inside tf.data's iteration,
    # and failed there as an opaque UnknownError (PyFuncStateless).
    root = _wav_folder(tmp_path / "data", [16000, 16000])
    config = FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16)
    _hide(monkeypatch, "soxr")
    for cache_dir in (None, str(tmp_path / "cache")):
        ds = datasets.from_directory(
            root, config=config, clip_seconds=0.1, cache_dir=cache_dir, progress=False
        )
        features = [x.numpy() for x, _ in ds]
        assert len(features) == 2 and all(np.isfinite(f).all() for f in features)
    assert audio_io.decoder_id(resampling=False).startswith("libsndfile ")


def test_from_directory_without_soxr_fails_at_build_naming_the_file_and_extra(
    tmp_path, monkeypatch
):
    root = _wav_folder(tmp_path, [16000, 22050])
    config = FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16)
    _hide(monkeypatch, "soxr")
    with pytest.raises(_optional.MissingDependencyError) as info:
        datasets.from_directory(root, config=config, clip_seconds=0.1)
    message = str(info.value)
    assert "clip1.wav' (22050 Hz) to 16000 Hz needs soxr, which is not installed" in message
    assert message.endswith('pip install "keras_specmix[audio]"') and "\n" not in message
    # on_error="skip" skips unreadable files, not a missing package.
    with pytest.raises(_optional.MissingDependencyError):
        datasets.from_directory(root, config=config, clip_seconds=0.1, on_error="skip")


def test_resampling_cache_key_names_soxr_only_when_files_are_resampled():
    with_soxr = audio_io.decoder_id()
    assert ", soxr " in with_soxr and with_soxr.startswith(audio_io.decoder_id(resampling=False))


def test_resampling_still_works_with_soxr(tmp_path):
    root = _wav_folder(tmp_path, [16000, 22050])
    config = FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16)
    ds = datasets.from_directory(root, config=config, clip_seconds=0.1)
    assert [tuple(x.shape) for x, _ in ds] == [tuple(ds.element_spec[0].shape)] * 2
    assert tf.reduce_all(tf.math.is_finite(next(iter(ds))[0]))


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_missing_keras_backend_package_is_one_line_naming_the_extra(backend):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    code = f"import sys; sys.modules[{backend!r}] = None; import keras_specmix"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"keras_specmix._optional.MissingDependencyError: The Keras backend {backend!r} "
        f"(KERAS_BACKEND) needs {backend}, which is not installed: "
        f'pip install "keras_specmix[{backend}]"'
    )
