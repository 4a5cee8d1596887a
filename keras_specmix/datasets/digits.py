"""Spoken digits synthesised with espeak-ng: a small real-signal-chain set.

Ten classes ("zero" .. "nine") spoken by espeak-ng *voices* (English accents)
with *variants* (m1-m4, f1-f4: timbre and pitch presets) at random speed and
pitch. A recording's "device" is ``voice+variant``. Voices are held out:
validation and test speakers never occur in training, a true domain shift.

The WAVs (22.05 kHz, 16-bit) are written once into a cache folder keyed by the
settings, atomically, then read by the same audio pipeline as TAU. espeak-ng is
a system package: run ``scripts/install_system_deps.sh`` (or ``apt-get install
espeak-ng``).
"""

import os
import shutil
import subprocess
import uuid
from typing import Literal

import numpy as np
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix._typing import StrPath
from keras_specmix.datasets import cache as cache_lib
from keras_specmix.datasets import pipeline
from keras_specmix.datasets.table import ExampleTable
from keras_specmix.features import FrontEndConfig

CLASS_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VOICES = {
    "train": ("en-us", "en-gb", "en-gb-x-rp", "en-gb-x-gbcwmd"),
    "validation": ("en-gb-x-gbclan",),
    "test": ("en-gb-scotland", "en-029"),
}
VARIANTS = ("m1", "m2", "m3", "m4", "f1", "f2", "f3", "f4")
DIGITS_CONFIG = FrontEndConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=64)
"""Front end of the digits: 16 kHz, FFT 512, hop 128, 64 mels, Δ/ΔΔ; 1-s
clips give features ``(118, 64, 3)``."""


def _espeak():
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError(
            "spoken_digits() needs the espeak-ng speech synthesiser, which is "
            "not on PATH. Install it with `bash scripts/install_system_deps.sh` "
            "(as root) or `sudo apt-get install espeak-ng`."
        )
    return exe


def _default_dir():
    return os.path.join(
        os.path.expanduser("~"), ".keras", "datasets", "keras_specmix_spoken_digits"
    )


def _render(exe, folder, repeats, seed):
    """Writes every clip of the settings into ``folder``; returns the rows."""
    rows = []
    for split, voices in VOICES.items():
        for voice in voices:
            for variant in VARIANTS:
                for digit, word in enumerate(CLASS_NAMES):
                    for rep in range(repeats):
                        rng = np.random.default_rng(
                            [
                                seed,
                                sorted(sum(VOICES.values(), ())).index(voice),
                                VARIANTS.index(variant),
                                digit,
                                rep,
                            ]
                        )
                        speed = int(rng.integers(120, 200))
                        pitch = int(rng.integers(20, 80))
                        name = f"{word}-{voice}+{variant}-{rep}.wav"
                        subprocess.run(
                            [
                                exe,
                                "-v",
                                f"{voice}+{variant}",
                                "-s",
                                str(speed),
                                "-p",
                                str(pitch),
                                "-w",
                                os.path.join(folder, name),
                                word,
                            ],
                            check=True,
                            capture_output=True,
                        )
                        rows.append((name, word, split, voice, f"{voice}+{variant}"))
    return rows


def render_spoken_digits(data_dir: StrPath | None = None, repeats: int = 1, seed: int = 0) -> str:
    """Synthesises the clips once (cached) and returns the folder.

    Args:
        data_dir: where to keep the WAVs; defaults to
            ``~/.keras/datasets/keras_specmix_spoken_digits``.
        repeats: clips per (voice, variant, digit), each with its own speed
            and pitch. Defaults to 1 (560 clips: 320 train, 80 validation,
            160 test).
        seed: int >= 0 for the speed/pitch draws.

    Returns:
        The folder holding the WAVs and ``index.csv``.

    Raises:
        RuntimeError: if espeak-ng is not installed (naming the fix).

    Examples:
        Not run by the docstring tests: rendering the 560 clips takes about
        3 minutes on one core.

        >>> folder = render_spoken_digits(repeats=1, seed=0)  # doctest: +SKIP
        >>> sum(name.endswith(".wav") for name in os.listdir(folder))  # doctest: +SKIP
        560
    """
    repeats = _validation.check_int("repeats", repeats, minimum=1)
    seed = _validation.check_int("seed", seed, minimum=0)
    exe = _espeak()
    data_dir = os.fspath(data_dir or _default_dir())
    key = cache_lib.cache_key(
        repeats=repeats, seed=seed, voices=VOICES, variants=VARIANTS, version=1
    )
    folder = os.path.join(data_dir, f"wav-{key}")
    if os.path.isfile(os.path.join(folder, "index.csv")):
        return folder
    os.makedirs(data_dir, exist_ok=True)
    tmp = os.path.join(data_dir, f".wav-{key}.tmp-{uuid.uuid4().hex}")
    os.makedirs(tmp)
    try:
        rows = _render(exe, tmp, repeats, seed)
        with open(os.path.join(tmp, "index.csv"), "w") as f:
            f.write("path\tlabel\tsplit\tvoice\tdevice\n")
            f.writelines("\t".join(r) + "\n" for r in rows)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def spoken_digits(
    split: Literal["train", "validation", "test"] = "train",
    repeats: int = 1,
    seed: int = 0,
    data_dir: StrPath | None = None,
    config: FrontEndConfig | None = None,
    clip_seconds: float = 1.0,
    cache_dir: StrPath | None = None,
    return_metadata: bool = False,
    progress: bool = False,
) -> tf.data.Dataset:
    """Spoken digits (espeak-ng) as ``(features, label)``.

    Args:
        split: "train", "validation" or "test" (disjoint voices).
        repeats: clips per (voice, variant, digit). Defaults to 1.
        seed: int >= 0 for the speed/pitch draws.
        data_dir: folder for the WAVs (see :func:`render_spoken_digits`).
        config: front end; defaults to :data:`DIGITS_CONFIG` (16 kHz).
        clip_seconds: crop/zero-pad length. Defaults to 1.0: ``(118, 64, 3)``.
        cache_dir: feature cache folder, or None.
        return_metadata: also yield ``{"path", "voice", "device", "split"}``.
        progress: progress bar while filling the cache.

    Returns:
        A :class:`~keras_specmix.datasets.LoadedSplit` (the dataset, its
        ``class_names``, ``metadata`` and ``table``).

    Raises:
        RuntimeError: if espeak-ng is missing.

    Examples:
        Not run by the docstring tests: the first call renders the clips
        (about 3 minutes on one core; later calls reuse them).

        >>> ds = spoken_digits("train", progress=False)  # doctest: +SKIP
        >>> ds.element_spec[0].shape, ds.class_names[:2]  # doctest: +SKIP
        (TensorShape([118, 64, 3]), ('zero', 'one'))
    """
    split = _validation.check_choice("split", split, tuple(VOICES))
    folder = render_spoken_digits(data_dir, repeats, seed)
    with open(os.path.join(folder, "index.csv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    rows = [r for r in rows if r[2] == split]
    table = ExampleTable.from_rows(
        [os.path.join(folder, r[0]) for r in rows],
        [r[1] for r in rows],
        metadata={
            "split": [r[2] for r in rows],
            "voice": [r[3] for r in rows],
            "device": [r[4] for r in rows],
        },
        class_names=CLASS_NAMES,
    )
    return pipeline.files_dataset(
        table,
        f"spoken_digits-{split}",
        config=config or DIGITS_CONFIG,
        clip_seconds=clip_seconds,
        channel="mean",
        resample=True,
        cache_dir=cache_dir,
        return_metadata=return_metadata,
        progress=progress,
    )
