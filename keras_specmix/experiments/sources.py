"""The dataset sources of the runner: one registry entry each.

A :class:`Source` holds everything the runner knows about one ``--dataset``:
how its splits are read (:attr:`Source.read`), what ``--data-dir`` is for it,
the metadata column validation groups are carved by, its features' mel bins
and default training crop, and which source-specific flags apply
(:data:`SOURCE_FLAGS`). The command line checks, the presets and
:func:`~keras_specmix.experiments.splits.load_splits` all read it.

- ``synthetic``: :func:`keras_specmix.datasets.synthetic_scenes`, which
  already has validation locations disjoint from training and test.
- ``digits``: :func:`keras_specmix.datasets.spoken_digits` (held-out voices).
- ``tau2020_mobile``: fold 1 ``train`` (minus validation locations) and
  ``evaluate`` (the paper's test fold); with ``--clip-seconds 1`` every 10-s
  clip is cut into ten 1-s clips, the TAU22 clips of DCASE 2022-2025 Task 1
  (the pieces keep their clip's split and location).
- ``secl_umons``: split 1 ``train`` (minus validation recordings) and ``test``.
- ``folder`` / ``csv``: your audio; the library's held-out subset
  (``validation_split``) is the test split here, and validation is carved
  from the rest.

The validation split is always carved out of the *training* data, by group
(TAU: recording locations; SECL-UMONS: recordings; your CSV: its group
column), and checkpoints are picked on it; the test split is scored once.
(The author's script picked the checkpoint with the best test accuracy.)

This module imports neither TensorFlow nor Keras (the command line is
checked against it before TensorFlow starts); each reader imports the
library's loaders when it runs. :func:`load_splits`, :class:`Splits`,
:func:`split_by_group` and :func:`skip_report` live in
:mod:`~keras_specmix.experiments.splits` and are importable from here too.
"""

import dataclasses
import fractions
import importlib

DATA_DIR_USES = ("none", "required", "optional")
"""What ``--data-dir`` is to a source: refused, required, or optional."""

SOURCE_FLAGS = {
    "clip_seconds": "--clip-seconds",
    "skip_unreadable": "--skip-unreadable",
    "num_locations": "--num-locations",
    "clips_per_location": "--clips-per-location",
}
"""Source-specific flags (argparse ``dest`` -> option): each applies only to
the sources that list it in :attr:`Source.flags`."""


@dataclasses.dataclass(frozen=True)
class Request:
    """What a reader is asked for (the runner's data flags).

    Attributes:
        data_dir: ``--data-dir`` or None.
        seed: the data seed (generation, held-out subsets).
        paper_shape: ``--paper``: the synthetic scenes at the paper's shape.
        cache_dir: the feature cache folder, or None.
        synthetic_kwargs: ``num_locations``/``clips_per_location`` of the
            synthetic scenes.
        clip_seconds: folder/csv: crop or zero-pad every clip to this
            length; tau2020_mobile: cut every 10-s clip into pieces of this
            length (1.0: the TAU22 clips); or None.
        on_error: ``"raise"`` or ``"skip"`` for unreadable files.
    """

    data_dir: object = None
    seed: int = 0
    paper_shape: bool = False
    cache_dir: object = None
    synthetic_kwargs: dict = dataclasses.field(default_factory=dict)
    clip_seconds: object = None
    on_error: str = "raise"


@dataclasses.dataclass(frozen=True)
class Source:
    """One ``--dataset`` of the runner.

    Attributes:
        name: the ``--dataset`` name.
        read: ``Request -> (train, validation, test)``, each a
            :class:`~keras_specmix.datasets.LoadedSplit`; ``validation`` None
            when it is carved from ``train`` by :attr:`group_column`.
        data_dir: ``"none"`` (reads no files: ``--data-dir`` refused),
            ``"required"`` or ``"optional"``.
        data_dir_kind: ``"folder"`` or ``"file"``: what ``--data-dir`` must be.
        data_dir_help: what ``--data-dir`` is, for ``--help``.
        group_column: the metadata column validation groups are carved by;
            None (every example its own group) or when the source has its
            own validation split.
        n_mels: mel bins of the features.
        frontend: the ``FrontEndConfig`` fields of the reader's front end
            that differ from the library's default (``{}``: the default,
            the paper's); ``n_mels`` must agree with it.
        paper_frontend: the same with ``--paper`` when it changes, else None.
        crop_frames: the training crop (frames) by default; None trains on
            whole clips.
        mask_frames: without a crop, the frames SpecAugment's default time
            mask ``T`` is a fifth of (with a crop: the crop's).
        paper_features: ``(n_mels, crop_frames)`` with ``--paper`` when the
            source then changes shape (the synthetic scenes at the paper's
            shape), else None.
        flags: the :data:`SOURCE_FLAGS` that apply.
        shard_refusal: why the source cannot be read per process, or None.
    """

    name: str
    read: object
    data_dir: str = "none"
    data_dir_kind: str = "folder"
    data_dir_help: str = ""
    group_column: object = None
    n_mels: int = 128
    frontend: dict = dataclasses.field(default_factory=dict)
    paper_frontend: object = None
    crop_frames: object = None
    mask_frames: int = 400
    paper_features: object = None
    flags: tuple = ()
    shard_refusal: object = None

    def __post_init__(self):
        for paper in (False, True):
            mels = self.frontend_fields(paper).get("n_mels", 128)
            if mels != self.features(paper)[0]:
                raise ValueError(
                    f"source {self.name!r}: n_mels {self.features(paper)[0]} disagrees with "
                    f"its front end's {mels} (paper={paper})"
                )

    def features(self, paper=False):
        """``(n_mels, crop_frames)`` of the source's features (with ``--paper``)."""
        if paper and self.paper_features is not None:
            return self.paper_features
        return (self.n_mels, self.crop_frames)

    def frontend_fields(self, paper=False):
        """The reader's ``FrontEndConfig`` fields that differ from the default (``--paper``)."""
        if paper and self.paper_frontend is not None:
            return dict(self.paper_frontend)
        return dict(self.frontend)


def _datasets():
    """:mod:`keras_specmix.datasets` (imported when a reader runs: it imports TensorFlow)."""
    return importlib.import_module("keras_specmix.datasets")


def _read_synthetic(request):
    read = _datasets().synthetic_scenes
    kwargs = dict(request.synthetic_kwargs, paper_shape=request.paper_shape)
    return tuple(
        read(s, seed=request.seed, progress=True, cache_dir=request.cache_dir, **kwargs)
        for s in ("train", "validation", "test")
    )


def _read_digits(request):
    read = _datasets().spoken_digits
    return tuple(
        read(s, seed=request.seed, data_dir=request.data_dir, cache_dir=request.cache_dir)
        for s in ("train", "validation", "test")
    )


def _read_tau(request):
    read = _datasets().tau2020_mobile
    train, test = (
        read(
            request.data_dir,
            s,
            cache_dir=request.cache_dir,
            on_error=request.on_error,
            segment_seconds=request.clip_seconds,  # --clip-seconds 1: the TAU22 cut
        )
        for s in ("train", "evaluate")
    )
    return train, None, test


def _read_secl(request):
    read = _datasets().secl_umons
    train, test = (
        read(request.data_dir, s, cache_dir=request.cache_dir, on_error=request.on_error)
        for s in ("train", "test")
    )
    return train, None, test


def _read_own(loader):
    def read(request):
        train, test = getattr(_datasets(), loader)(
            request.data_dir,
            validation_split=0.2,
            subset="both",
            seed=request.seed,
            cache_dir=request.cache_dir,
            clip_seconds=request.clip_seconds,
            on_error=request.on_error,
        )
        if request.clip_seconds is None:
            _require_one_length(loader, [*train.metadata["path"], *test.metadata["path"]])
        return train, None, test

    return read


def _require_one_length(loader, paths):
    """Raises if the audio files differ in length (they are batched whole)."""
    name = {"from_directory": "folder", "from_csv": "csv"}[loader]
    seconds = {}
    for path in paths:
        info = _datasets().inspect_audio(path)
        seconds.setdefault(fractions.Fraction(info.num_frames, info.sample_rate), path)
    if len(seconds) > 1:
        short, long = min(seconds), max(seconds)
        raise ValueError(
            f"--dataset {name}: the clips differ in length ({float(short):.3f} s, "
            f"{seconds[short]!r}, to {float(long):.3f} s, {seconds[long]!r}), so they "
            "cannot be batched whole. Pass clip_seconds (--clip-seconds S) to crop or "
            "zero-pad every clip to S seconds."
        )


_FILES = ("skip_unreadable",)
_ENTRIES = (
    Source(
        "synthetic",
        _read_synthetic,
        n_mels=64,
        frontend={"sample_rate": 16000, "n_fft": 1024, "hop_length": 512, "n_mels": 64},
        paper_frontend={},
        crop_frames=112,
        paper_features=(128, 400),
        flags=("num_locations", "clips_per_location"),
    ),
    Source(
        "digits",
        _read_digits,
        data_dir="optional",
        data_dir_help="digits: where to render the WAVs, default ~/.keras/datasets",
        n_mels=64,
        frontend={"sample_rate": 16000, "n_fft": 512, "hop_length": 128, "n_mels": 64},
        mask_frames=112,
    ),
    Source(
        "tau2020_mobile",
        _read_tau,
        data_dir="required",
        data_dir_help="TAU: the folder with meta.csv",
        group_column="location",
        crop_frames=400,
        flags=("clip_seconds", *_FILES),
    ),
    Source(
        "secl_umons",
        _read_secl,
        data_dir="required",
        data_dir_help="SECL-UMONS: the folder with the split lists",
        group_column="recording",
        flags=_FILES,
        shard_refusal="its seven microphones are joined after decoding",
    ),
    Source(
        "folder",
        _read_own("from_directory"),
        data_dir="required",
        data_dir_help="folder: class sub-folders",
        group_column="group",
        mask_frames=112,
        flags=("clip_seconds", *_FILES),
    ),
    Source(
        "csv",
        _read_own("from_csv"),
        data_dir="required",
        data_dir_kind="file",
        data_dir_help="csv: the CSV file",
        group_column="group",
        mask_frames=112,
        flags=("clip_seconds", *_FILES),
    ),
)

SOURCES = {s.name: s for s in _ENTRIES}
"""``{name: Source}``."""

DATASETS = tuple(SOURCES)
"""Dataset names the runner accepts."""

NEEDS_DATA_DIR = tuple(s.name for s in _ENTRIES if s.data_dir == "required")
"""Sources that need ``--data-dir``."""

GROUP_COLUMNS = {s.name: s.group_column for s in _ENTRIES if s.group_column is not None}
"""The metadata column each carved source holds out validation groups by."""

_SPLITS_NAMES = ("Splits", "load_splits", "split_by_group", "skip_report")


def __getattr__(name):
    """The loading machinery of :mod:`~keras_specmix.experiments.splits`, imported on use."""
    if name in _SPLITS_NAMES:
        return getattr(importlib.import_module("keras_specmix.experiments.splits"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
