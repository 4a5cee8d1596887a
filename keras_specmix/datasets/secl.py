"""SECL-UMONS (office sound events, 11 classes, 7-microphone array), unilabel.

Layout (root name is the user's)::

    <root>/
      unilabel_split1_train.csv    # one column: optional header "0", then
      unilabel_split1_test.csv     #   wav paths relative to <root>
      unilabel_split2_{train,test}.csv
      Unilabel/.../<class_folder>/room1_array_micro0_1_1_1.wav (micro0..micro6)

Each recording exists once per microphone (``micro0`` .. ``micro6``, 44.1 kHz).
The label is the name of the folder holding the wav (the 11 folders:
chair_movement, cup_drop_off, furniture_drawer, hand_clap, keyboard, knock,
phone_ring, radio, speaker, step, whistle); the vocabulary is read from the
split lists, never from a hard-coded order. List entries may name one
microphone's file or a stem without the ``_micro[N]`` part.
"""

import os
import re
from typing import Any
from typing import Literal

import numpy as np
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix._typing import OnError
from keras_specmix._typing import StrPath
from keras_specmix.datasets import pipeline
from keras_specmix.datasets.table import ExampleTable
from keras_specmix.datasets.table import LoadedSplit
from keras_specmix.features.config import FrontEndConfig

NUM_MICROPHONES = 7
_MIC = re.compile(r"_micro(\d+)_")


def _read_list(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Missing SECL-UMONS split list {path!r}.")
    with open(path, encoding="utf-8") as f:
        lines = [line.strip().split("\t")[0].strip() for line in f]
    lines = [line for line in lines if line]
    if lines and lines[0] == "0":  # pandas-style header of the author's files
        lines = lines[1:]
    if not lines:
        raise ValueError(f"SECL-UMONS split list {path!r} lists no file.")
    for number, line in enumerate(lines, start=1):
        if not line.lower().endswith(".wav"):
            raise ValueError(f"{path!r}: entry {number} is not a .wav path: {line!r}")
    return [os.path.normpath(line) for line in lines]


def microphone_path(path: str, mic: int) -> str:
    """The path of microphone ``mic``'s file for a listed recording."""
    name = os.path.basename(path)
    if _MIC.search(name):
        name = _MIC.sub(f"_micro{mic}_", name, count=1)
    elif name.startswith("room") and "_array_" in name:
        name = name.replace("_array_", f"_array_micro{mic}_", 1)
    else:
        raise ValueError(f"SECL-UMONS file name {path!r} has no 'room[R]_array[_micro[M]]_' part.")
    return os.path.join(os.path.dirname(path), name)


def secl_umons_table(
    root: StrPath,
    split: Literal["train", "test"] = "train",
    split_index: Literal[1, 2] = 1,
    microphone: int = 0,
) -> ExampleTable:
    """File list, labels and metadata of a SECL-UMONS unilabel split.

    Args:
        root: the folder holding ``unilabel_split{1,2}_{train,test}.csv``.
        split: "train" or "test".
        split_index: 1 (the paper's split) or 2 (held-out sub-classes).
        microphone: which microphone's files, 0 to 6.

    Returns:
        An :class:`ExampleTable`; metadata columns ``room``, ``microphone``,
        ``recording`` (the listed path without microphone) and ``split``.

    Raises:
        FileNotFoundError: for a wrong root or a missing list, naming it.
        ValueError: for a malformed list entry, naming it.

    Examples:
        >>> import tempfile
        >>> from keras_specmix.datasets import write_fake_secl_umons
        >>> root = write_fake_secl_umons(tempfile.mkdtemp() + "/secl")  # a tiny fake tree
        >>> table = secl_umons_table(root, "train")
        >>> len(table), table.class_names, sorted(table.metadata)
        (6, ('chair_movement', 'knock', 'whistle'), ['microphone', 'recording', 'room', 'split'])
    """
    split = _validation.check_choice("split", split, ("train", "test"))
    split_index = _validation.check_choice("split_index", split_index, (1, 2))
    microphone = _validation.check_int("microphone", microphone, 0, NUM_MICROPHONES - 1)
    root = os.fspath(root)
    lists = {
        s: os.path.join(root, f"unilabel_split{split_index}_{s}.csv") for s in ("train", "test")
    }
    if not os.path.isdir(root) or not os.path.isfile(lists[split]):
        raise FileNotFoundError(
            f"{root!r} is not a SECL-UMONS root: {lists[split]!r} is missing. "
            "Pass the folder that holds unilabel_split1_train.csv."
        )
    entries = _read_list(lists[split])
    other = lists["test" if split == "train" else "train"]
    vocabulary = entries + (_read_list(other) if os.path.isfile(other) else [])
    class_names = tuple(sorted({os.path.basename(os.path.dirname(p)) for p in vocabulary}))
    if "" in class_names:
        raise ValueError(f"{lists[split]!r}: an entry has no class folder.")
    rooms = []
    for p in entries:
        match = re.match(r"room(\d+)_", os.path.basename(p))
        rooms.append(match.group(1) if match else "")
    return ExampleTable.from_rows(
        [os.path.join(root, microphone_path(p, microphone)) for p in entries],
        [os.path.basename(os.path.dirname(p)) for p in entries],
        metadata={
            "room": rooms,
            "microphone": np.full(len(entries), str(microphone)),
            "recording": entries,
            "split": np.full(len(entries), split),
        },
        class_names=class_names,
    )


def secl_umons(
    root: StrPath,
    split: Literal["train", "test"] = "train",
    split_index: Literal[1, 2] = 1,
    microphone: int | Literal["all"] = 0,
    config: FrontEndConfig | None = None,
    clip_seconds: float = 2.0,
    on_error: OnError = "raise",
    cache_dir: StrPath | None = None,
    return_metadata: bool = False,
    progress: bool = True,
) -> tf.data.Dataset:
    """SECL-UMONS unilabel as ``(features, label)``.

    Args:
        root: the folder holding the ``unilabel_split*`` lists.
        split: "train" or "test".
        split_index: 1 (default, the paper's) or 2.
        microphone: an int 0-6 (default 0, as the paper), or "all" to stack
            the 7 microphones' features on the channel axis
            (``(time, n_mels, 7 * 3)``, microphone-major).
        config: front end; None for the paper's.
        clip_seconds: crop/zero-pad to this length; 2.0 as the paper (first
            2 s), giving ``(79, 128, 3)``.
        on_error: "raise" or "skip".
        cache_dir: folder for a feature cache, or None.
        return_metadata: also yield the metadata dict.
        progress: progress bar while filling the cache.

    Returns:
        A :class:`~keras_specmix.datasets.LoadedSplit` (the dataset, its
        ``class_names``, ``metadata``, ``skipped`` and ``table``).

    Raises:
        FileNotFoundError, ValueError, AudioFileError: naming the path.

    Examples:
        >>> import tempfile
        >>> from keras_specmix.datasets import write_fake_secl_umons
        >>> root = write_fake_secl_umons(tempfile.mkdtemp() + "/secl")  # your copy's folder
        >>> ds = secl_umons(root, "train", clip_seconds=0.25, progress=False)
        >>> ds.element_spec[0].shape, ds.class_names
        (TensorShape([3, 128, 3]), ('chair_movement', 'knock', 'whistle'))
    """
    kwargs: dict[str, Any] = dict(
        config=config,
        clip_seconds=clip_seconds,
        channel=0,
        on_error=on_error,
        cache_dir=cache_dir,
        progress=progress,
    )
    name = f"secl_umons-split{split_index}-{split}"
    if microphone != "all":
        table = secl_umons_table(root, split, split_index, microphone)
        return pipeline.files_dataset(
            table, f"{name}-mic{microphone}", return_metadata=return_metadata, **kwargs
        )
    if on_error != "raise":
        raise ValueError(
            "`on_error` must be 'raise' with microphone='all' (the 7 files of a "
            f"recording must stay aligned). Received: on_error={on_error!r}"
        )
    tables = [secl_umons_table(root, split, split_index, m) for m in range(NUM_MICROPHONES)]
    parts = [pipeline.files_dataset(t, f"{name}-mic{m}", **kwargs) for m, t in enumerate(tables)]
    ds = tf.data.Dataset.zip(tuple(p.dataset for p in parts)).map(
        lambda *xy: (tf.concat([x for x, _ in xy], axis=-1), xy[0][1])
    )
    metadata = {**parts[0].metadata, "microphone": np.full(len(tables[0]), "all")}
    if return_metadata:
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(metadata)))
        ds = ds.map(lambda xy, m: (xy[0], xy[1], m))
    return LoadedSplit(ds, tables[0].class_names, metadata, [], tables[0])
