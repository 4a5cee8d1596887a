"""TAU Urban Acoustic Scenes 2020 Mobile (DCASE2020 Task 1A), development set.

Layout (all lists TAB-separated with a header row)::

    <root>/                           # the folder that holds meta.csv
      meta.csv                        # filename, scene_label, identifier, source_label
      audio/{scene}-{city}-{location}-{segment}-{device}.wav
      evaluation_setup/fold1_train.csv     # filename, scene_label
      evaluation_setup/fold1_evaluate.csv  # filename, scene_label
      evaluation_setup/fold1_test.csv      # filename

Clips are 10 s, 44.1 kHz, 24-bit mono. Devices: a, b, c, s1-s6 (s4-s6 only in
the evaluate fold: unseen); the evaluation set adds d and s7-s11.
"""

import os
from typing import Literal

import numpy as np

from keras_specmix import _validation
from keras_specmix._typing import Channel
from keras_specmix._typing import OnError
from keras_specmix._typing import StrPath
from keras_specmix.datasets import _tsv
from keras_specmix.datasets import pipeline
from keras_specmix.datasets.table import ExampleTable
from keras_specmix.datasets.table import LoadedSplit
from keras_specmix.features.config import FrontEndConfig

SPLITS = {
    "train": "fold1_train.csv",
    "evaluate": "fold1_evaluate.csv",
    "test": "fold1_test.csv",
    "all": None,
}


def parse_tau_filename(filename: str) -> dict[str, str]:
    """Splits a TAU file name into its fields.

    Args:
        filename: e.g. ``"audio/airport-lisbon-1000-40000-s10.wav"``.

    Returns:
        dict with ``scene``, ``city``, ``location`` (``"city-location_id"``,
        TAU's ``identifier``), ``segment`` and ``device`` (``"a"``, ``"s10"``).

    Raises:
        ValueError: naming the file if it does not follow the grammar.

    Examples:

    >>> parse_tau_filename("audio/bus-paris-214-6518-s1.wav")["device"]
    's1'
    """
    stem = os.path.splitext(os.path.basename(filename))[0]
    parts = stem.split("-")
    if len(parts) != 5 or not all(parts):
        raise ValueError(
            f"TAU file name {filename!r} does not match "
            "'{scene}-{city}-{location}-{segment}-{device}.wav'."
        )
    scene, city, location, segment, device = parts
    return {
        "scene": scene,
        "city": city,
        "location": f"{city}-{location}",
        "segment": segment,
        "device": device.lower(),
    }


def _check_root(root):
    root = os.fspath(root)
    if not os.path.isfile(os.path.join(root, "meta.csv")):
        hint = ""
        if os.path.isdir(root):
            nested = [
                d
                for d in sorted(os.listdir(root))
                if os.path.isfile(os.path.join(root, d, "meta.csv"))
            ]
            if nested:
                hint = f" Did you mean {os.path.join(root, nested[0])!r}?"
        raise FileNotFoundError(
            f"{root!r} is not a TAU Urban Acoustic Scenes 2020 Mobile root: it "
            f"has no meta.csv. Pass the folder that holds meta.csv, audio/ and "
            f"evaluation_setup/.{hint}"
        )
    return root


def tau2020_mobile_table(
    root: StrPath, split: Literal["train", "evaluate", "test", "all"] = "train"
) -> ExampleTable:
    """Reads the file list, labels and metadata of one TAU 2020 Mobile split.

    Labels come from ``meta.csv`` (the vocabulary is its sorted set of
    ``scene_label`` values); the split list only selects files.

    Args:
        root: the folder that holds ``meta.csv``.
        split: "train" (fold1_train), "evaluate" (fold1_evaluate, the
            paper's test set), "test" (fold1_test; labels joined from
            meta.csv) or "all" (every file of meta.csv).

    Returns:
        An :class:`ExampleTable` with metadata columns ``device``, ``city``,
        ``location``, ``segment`` and ``split``.

    Raises:
        FileNotFoundError: for a wrong root or a missing list file, naming it.
        ValueError: for a malformed list, or a file listed in a split but not
            in meta.csv, or a label/device that disagrees with the file name.

    Examples:
        >>> import tempfile
        >>> from keras_specmix.datasets import write_fake_tau2020_mobile
        >>> root = write_fake_tau2020_mobile(tempfile.mkdtemp() + "/tau")  # a tiny fake tree
        >>> table = tau2020_mobile_table(root, "train")
        >>> len(table), table.class_names, sorted(table.metadata)
        (6, ('airport', 'bus', 'tram'), ['city', 'device', 'location', 'segment', 'split'])
    """
    split = _validation.check_choice("split", split, tuple(SPLITS))
    root = _check_root(root)
    meta_path = os.path.join(root, "meta.csv")
    meta_rows = _tsv.read_table(meta_path, ["filename", "scene_label"])
    meta = {}
    for row in meta_rows:
        fields = parse_tau_filename(row["filename"])
        if fields["scene"] != row["scene_label"]:
            raise ValueError(
                f"{meta_path!r}: {row['filename']!r} is labelled "
                f"{row['scene_label']!r} but its name says {fields['scene']!r}."
            )
        source = row.get("source_label", fields["device"]).lower()
        if source != fields["device"]:
            raise ValueError(
                f"{meta_path!r}: {row['filename']!r} has source_label "
                f"{source!r} but its name says device {fields['device']!r}."
            )
        meta[row["filename"]] = row["scene_label"], fields
    class_names = tuple(sorted({label for label, _ in meta.values()}))
    list_name = SPLITS[split]
    if list_name is None:
        names = list(meta)
    else:
        list_path = os.path.join(root, "evaluation_setup", list_name)
        names = [r["filename"] for r in _tsv.read_table(list_path, ["filename"])]
        unknown = [n for n in names if n not in meta]
        if unknown:
            raise ValueError(
                f"{list_path!r} lists {len(unknown)} file(s) missing from "
                f"meta.csv, e.g. {unknown[0]!r}."
            )
    columns = ("device", "city", "location", "segment")
    return ExampleTable.from_rows(
        [os.path.join(root, n) for n in names],
        [meta[n][0] for n in names],
        metadata={
            **{c: [meta[n][1][c] for n in names] for c in columns},
            "split": np.full(len(names), split),
        },
        class_names=class_names,
    )


def tau2020_mobile(
    root: StrPath,
    split: Literal["train", "evaluate", "test", "all"] = "train",
    config: FrontEndConfig | None = None,
    clip_seconds: float = 10.0,
    channel: Channel = "mean",
    on_error: OnError = "raise",
    cache_dir: StrPath | None = None,
    return_metadata: bool = False,
    progress: bool = True,
    segment_seconds: float | None = None,
) -> LoadedSplit:
    """TAU Urban Acoustic Scenes 2020 Mobile as ``(features, label)``.

    Args:
        root: the folder that holds ``meta.csv``.
        split: "train", "evaluate", "test" or "all" (official fold 1).
        config: :class:`~keras_specmix.features.FrontEndConfig`; None for the
            paper's front end (44.1 kHz, 128 mels, Δ/ΔΔ).
        clip_seconds: every clip is cropped/zero-padded to this length.
            Defaults to 10.0 (the clips' length): features ``(423, 128, 3)``.
        channel: "mean" (default), an int, or "all".
        on_error: "raise" (default) or "skip" bad files (listed in the
            result's ``skipped``).
        cache_dir: a folder to cache features in (extracted once), or None.
        return_metadata: also yield a dict of string tensors per example
            (``path``, ``device``, ``city``, ``location``, ``segment``,
            ``split``).
        progress: progress bar while filling the cache.
        segment_seconds: None, or cut every clip into
            ``⌊clip_seconds / segment_seconds⌋`` pieces, each an example:
            ``segment_seconds=1.0`` gives the TAU Urban Acoustic Scenes 2022
            Mobile clips of DCASE 2022-2025 Task 1 (ten 1-s pieces per 10-s
            clip; :func:`~keras_specmix.datasets.pipeline.segment_table`).
            The pieces of a clip stay in its split and keep its ``location``,
            so splits by location never separate them; the metadata gains a
            ``cut`` column (``"0"`` to ``"9"``). Defaults to None.

    Returns:
        A :class:`~keras_specmix.datasets.LoadedSplit`: the ``tf.data.Dataset``
        of ``(features float32 (time, n_mels, 3), label int64)``, its
        ``class_names``, ``metadata``, ``skipped`` and ``table``.

    Raises:
        FileNotFoundError, ValueError: see :func:`tau2020_mobile_table`;
            ``AudioFileError`` for a broken audio file, naming it.

    Examples:

    >>> import tempfile
    >>> from keras_specmix.datasets import random_crop, write_fake_tau2020_mobile
    >>> root = write_fake_tau2020_mobile(tempfile.mkdtemp() + "/tau")  # your copy's folder
    >>> ds = tau2020_mobile(root, "train", clip_seconds=0.3, progress=False)
    >>> ds.element_spec[0].shape, ds.class_names
    (TensorShape([5, 128, 3]), ('airport', 'bus', 'tram'))
    >>> batches = random_crop(ds, length=4, seed=0).batch(32)  # the paper crops 400 frames
    """
    table = tau2020_mobile_table(root, split)
    name = f"tau2020_mobile-{split}"
    if segment_seconds is not None:
        table = pipeline.segment_table(table, clip_seconds, segment_seconds)
        name = f"{name}-cut{segment_seconds:g}s"
    return pipeline.files_dataset(
        table,
        name,
        config=config,
        clip_seconds=clip_seconds,
        channel=channel,
        on_error=on_error,
        cache_dir=cache_dir,
        return_metadata=return_metadata,
        progress=progress,
        segment_seconds=segment_seconds,
    )
