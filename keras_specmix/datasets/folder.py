"""The user's own data: a folder of class sub-folders, or a CSV list.

Works the way ``keras.utils.audio_dataset_from_directory`` does (class names
from sub-folder names, alphabetical; ``validation_split``/``subset``/``seed``),
and returns the same ``(features, label)`` datasets as the other loaders. With
a CSV, a third column (device, speaker, location...) makes the split by group:
no group has examples on both sides.
"""

import csv
import os
from collections.abc import Sequence
from typing import Literal

import numpy as np
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix._typing import Channel
from keras_specmix._typing import OnError
from keras_specmix._typing import StrPath
from keras_specmix.datasets import _tsv
from keras_specmix.datasets import pipeline
from keras_specmix.datasets.table import ExampleTable
from keras_specmix.features.config import FrontEndConfig

AUDIO_EXTENSIONS = (
    ".wav",
    ".wave",
    ".flac",
    ".aif",
    ".aiff",
    ".aifc",
    ".ogg",
    ".oga",
    ".opus",
    ".mp3",
    ".au",
    ".snd",
    ".caf",
    ".w64",
    ".rf64",
)
"""Extensions of the usual formats libsndfile reads. :func:`from_directory`
reads every other non-hidden file too (libsndfile recognises the format from
the content), so an audio file is never ignored because of its name."""


def _list_files(folder):
    """Every non-hidden file under ``folder`` (recursively, sorted).

    Hidden files and folders (names starting with ".", e.g. ``.DS_Store`` or
    macOS ``._x.wav`` resource forks) are not audio and are left out.
    """
    found = []
    for base, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(base, f) for f in sorted(files) if not f.startswith(".")]
    return sorted(found)


def _split_indices(count, groups, validation_split, subset, seed):
    """Indices of the training and validation parts (by group if any)."""
    keys = np.arange(count) if groups is None else np.asarray(groups)
    unique = np.array(sorted(set(keys.tolist())))
    order = np.random.default_rng(seed).permutation(len(unique))
    n_val = int(round(len(unique) * validation_split))
    if n_val == 0 or n_val == len(unique):
        raise ValueError(
            "`validation_split` must leave at least one "
            f"{'group' if groups is not None else 'file'} "
            f"on each side; {len(unique)} available. "
            f"Received: validation_split={validation_split}"
        )
    val_keys = set(unique[order[:n_val]].tolist())
    is_val = np.array([k in val_keys for k in keys.tolist()])
    return {"training": np.flatnonzero(~is_val), "validation": np.flatnonzero(is_val)}


def _finish(table, name, groups, validation_split, subset, seed, kwargs):
    if validation_split is None:
        if subset is not None:
            raise ValueError(
                "`subset` needs `validation_split`. "
                f"Received: subset={subset!r}, validation_split=None"
            )
        return pipeline.files_dataset(table, name, **kwargs)
    _validation.check_float("validation_split", validation_split, 0.0, 1.0, open_min=True)
    _validation.check_choice("subset", subset, ("training", "validation", "both"))
    if seed is None:
        raise ValueError(
            "`seed` must be an int when `validation_split` is set, so both "
            "subsets agree. Received: seed=None"
        )
    parts = _split_indices(len(table), groups, validation_split, subset, seed)
    build = {
        s: pipeline.files_dataset(table.subset(parts[s]), f"{name}-{s}", **kwargs)
        for s in (("training", "validation") if subset == "both" else (subset,))
    }
    return (build["training"], build["validation"]) if subset == "both" else build[subset]


def from_directory(
    directory: StrPath,
    class_names: Sequence[str] | None = None,
    validation_split: float | None = None,
    subset: Literal["training", "validation", "both"] | None = None,
    seed: int | None = None,
    config: FrontEndConfig | None = None,
    clip_seconds: float | None = None,
    channel: Channel = "mean",
    resample: bool = True,
    on_error: OnError = "raise",
    cache_dir: StrPath | None = None,
    return_metadata: bool = False,
    progress: bool = True,
) -> tf.data.Dataset | tuple[tf.data.Dataset, tf.data.Dataset]:
    """``(features, label)`` from the audio files in ``directory/<class_name>/``.

    Every non-hidden file under a class folder is read with libsndfile,
    whatever its extension (WAV, FLAC, AIFF, OGG Vorbis, Opus, MP3, ...;
    mixed rates, channel counts and lengths are fine: files are resampled,
    downmixed by ``channel="mean"``, and cropped/padded by ``clip_seconds``).
    A file that cannot be read is never ignored silently: it raises
    :class:`AudioFileError` naming the file, or with ``on_error="skip"`` it is
    dropped, counted in a :class:`~keras_specmix.datasets.SkippedFilesWarning`
    and listed with its reason in the result's ``skipped``.

    Args:
        directory: folder with one sub-folder per class (files found
            recursively inside each).
        class_names: explicit class order (a subset of the sub-folders), or
            None for all sub-folders, sorted.
        validation_split: fraction of files for validation, or None.
        subset: "training", "validation" or "both" (returns a tuple), with
            ``validation_split``.
        seed: int, required with ``validation_split``.
        config: front end; None for the paper's.
        clip_seconds: crop/zero-pad length, or None for each file's own
            length (then crop or ``padded_batch`` before batching).
        channel: "mean" (default), an int, or "all".
        resample: resample files to ``config.sample_rate`` (default True).
        on_error: "raise" (default): an unreadable file (corrupt, empty,
            zero-length, not audio, unreadable permissions, or in a format
            the installed libsndfile lacks) raises; "skip": such files are
            dropped and listed as ``(path, reason)`` in the result's ``skipped``.
        cache_dir, return_metadata, progress: as in
            :func:`~keras_specmix.datasets.tau2020_mobile`.

    Returns:
        A :class:`~keras_specmix.datasets.LoadedSplit` (the dataset, its
        ``class_names``, ``metadata``, ``skipped`` and ``table``), or a
        tuple of two for ``subset="both"``.

    Raises:
        FileNotFoundError: if ``directory`` is not a folder.
        AudioFileError: naming an unreadable file and the ``on_error``
            option, with ``on_error="raise"``.
        ValueError: for no class folder, no file, or bad split args.

    Examples:

    >>> train, val = from_directory("my_sounds", validation_split=0.2,
    ...                             subset="both", seed=0)  # doctest: +SKIP
    """
    directory = _tsv.require_dir(directory, "`directory`")
    found = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
    if class_names is None:
        class_names = found
    else:
        missing = [c for c in class_names if c not in found]
        if missing:
            raise ValueError(
                f"`class_names` must name sub-folders of {directory!r}; "
                f"missing {missing}. Received: class_names={list(class_names)}"
            )
    if not class_names:
        raise ValueError(f"{directory!r} has no class sub-folder.")
    paths, labels = [], []
    for name in class_names:
        files = _list_files(os.path.join(directory, name))
        paths += files
        labels += [name] * len(files)
    if not paths:
        raise ValueError(f"No file under the class folders of {directory!r}.")
    table = ExampleTable.from_rows(paths, labels, class_names=tuple(class_names))
    kwargs = dict(
        config=config,
        clip_seconds=clip_seconds,
        channel=channel,
        resample=resample,
        on_error=on_error,
        cache_dir=cache_dir,
        return_metadata=return_metadata,
        progress=progress,
    )
    return _finish(
        table,
        f"folder-{os.path.basename(os.path.abspath(directory))}",
        None,
        validation_split,
        subset,
        seed,
        kwargs,
    )


def from_csv(
    csv_path: StrPath,
    validation_split: float | None = None,
    subset: Literal["training", "validation", "both"] | None = None,
    seed: int | None = None,
    config: FrontEndConfig | None = None,
    clip_seconds: float | None = None,
    channel: Channel = "mean",
    resample: bool = True,
    on_error: OnError = "raise",
    cache_dir: StrPath | None = None,
    return_metadata: bool = False,
    progress: bool = True,
) -> tf.data.Dataset | tuple[tf.data.Dataset, tf.data.Dataset]:
    """``(features, label)`` from a CSV of ``path,label[,group]`` rows.

    The first row is a header (any names; the columns are read by position); a first
    row that names an existing file is refused, as a missing header.
    Relative paths are relative to the CSV's folder. The class vocabulary is
    the sorted set of labels. With a third column, ``validation_split``
    splits whole groups (e.g. devices, speakers, locations), and the group
    is in ``dataset.metadata["group"]``.

    The other arguments (``validation_split``, ``subset``, ``seed``,
    ``config``, ``clip_seconds``, ``channel``, ``resample``, ``on_error``,
    ``cache_dir``, ``return_metadata``, ``progress``) are as in
    :func:`from_directory`.

    Args:
        csv_path: the CSV file (comma- or TAB-separated).

    Returns:
        A :class:`~keras_specmix.datasets.LoadedSplit`, or a tuple of two for
        ``subset="both"``.

    Raises:
        FileNotFoundError: if the CSV is missing.
        ValueError: for a malformed CSV (naming it and the line), or one
            whose first row names an existing file (a missing header).

    Examples:
        >>> import os, tempfile
        >>> from keras_specmix.datasets import write_wav
        >>> from keras_specmix.features import FrontEndConfig
        >>> folder = tempfile.mkdtemp()
        >>> for name in ("a", "b"):
        ...     _ = write_wav(os.path.join(folder, name + ".wav"), np.zeros(16000), 16000)
        >>> with open(os.path.join(folder, "list.csv"), "w") as f:
        ...     print("path,label", "a.wav,dog", "b.wav,cat", sep=os.linesep, file=f)
        >>> ds = from_csv(os.path.join(folder, "list.csv"),
        ...               config=FrontEndConfig(sample_rate=16000), progress=False)
        >>> ds.class_names, [int(y) for _, y in ds]
        (('cat', 'dog'), [1, 0])
    """
    csv_path = os.fspath(csv_path)
    if not os.path.isfile(csv_path):
        raise FileNotFoundError(f"Missing CSV {csv_path!r}.")
    with open(csv_path, newline="", encoding="utf-8") as f:
        sample = f.read(4096)
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter=delimiter) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError(f"CSV {csv_path!r} has no data row after its header.")
    width = len(rows[0])
    if width not in (2, 3):
        raise ValueError(
            f"CSV {csv_path!r} must have 2 or 3 columns (path, label[, group]); "
            f"its header is {rows[0]}."
        )
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width or not row[0].strip() or not row[1].strip():
            raise ValueError(f"{csv_path!r}, line {number}: malformed row {row}.")
    base = os.path.dirname(os.path.abspath(csv_path))
    if os.path.isfile(os.path.join(base, rows[0][0].strip())):
        raise ValueError(
            f"CSV {csv_path!r}: its first row {rows[0]} names an existing file, but the first "
            "row is read as a header, so that example would be dropped. Add a header row "
            "(for example 'path,label')."
        )
    paths = [os.path.join(base, r[0].strip()) for r in rows[1:]]
    groups = [r[2].strip() for r in rows[1:]] if width == 3 else None
    table = ExampleTable.from_rows(
        paths,
        [r[1].strip() for r in rows[1:]],
        metadata={"group": groups} if groups is not None else None,
    )
    kwargs = dict(
        config=config,
        clip_seconds=clip_seconds,
        channel=channel,
        resample=resample,
        on_error=on_error,
        cache_dir=cache_dir,
        return_metadata=return_metadata,
        progress=progress,
    )
    name = f"csv-{os.path.splitext(os.path.basename(csv_path))[0]}"
    return _finish(table, name, groups, validation_split, subset, seed, kwargs)
