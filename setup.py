"""Packaging for keras_specmix.

The verified versions are pinned in ``constraints.txt``; ``import keras_specmix``
needs only TensorFlow, Keras and NumPy. Reading audio files needs the ``audio``
extra (libsndfile through ``soundfile``, libsoxr through ``soxr``);
tensorflow-io is never required (the ``tfio`` extra, for the decode benchmark).
"""

import pathlib
import re

from setuptools import find_packages
from setuptools import setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"',
    (HERE / "keras_specmix" / "version.py").read_text(),
).group(1)

setup(
    name="keras_specmix",
    version=VERSION,
    description=(
        "SpecMix, MixUp, CutMix and SpecAugment as XLA-compilable Keras 3 "
        "layers and tf.data functions"
    ),
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(exclude=("tests*", "benchmarks*", "examples*")),
    install_requires=["tensorflow>=2.16", "keras>=3.11", "numpy"],
    extras_require={
        # Decoding (every libsndfile format, MP3 and Opus included) and
        # resampling: maintained C libraries with wheels for every platform.
        "audio": ["soundfile>=0.12.1", "soxr>=0.3"],
        # Only benchmarks/bench_decode.py compares against it (TF 2.17 only).
        "tfio": ["tensorflow-io>=0.37"],
        # librosa is a reference the tests compare against, never a runtime
        # dependency; hypothesis drives the property tests.
        "test": ["pytest", "scipy", "librosa", "soundfile", "matplotlib", "hypothesis"],
        # Lint and format (ruff), as CI runs them.
        "dev": ["ruff"],
        # The experiment runner's plots.
        "experiments": ["matplotlib", "scipy"],
        # The documentation site (scripts/build_docs.sh).
        "docs": ["mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python"],
    },
    entry_points={
        "console_scripts": [
            "keras-specmix-experiments=keras_specmix.experiments.runner:main",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: Keras",
        "Topic :: Multimedia :: Sound/Audio :: Analysis",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
