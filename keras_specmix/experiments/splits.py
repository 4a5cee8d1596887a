"""Train / validation / test splits of a dataset source, for the runner.

:func:`load_splits` reads a source of :data:`~keras_specmix.experiments.sources.SOURCES`
(its entry says how), carves the validation split out of the training data
by group where the source has none of its own, and with ``shard`` keeps only
one process's training examples (decoding only those files).
"""

import dataclasses
import warnings

import numpy as np
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix import datasets
from keras_specmix.datasets import pipeline
from keras_specmix.datasets.pipeline import skip_report
from keras_specmix.experiments import sources

__all__ = ["Splits", "load_splits", "split_by_group", "skip_report"]


@dataclasses.dataclass
class Splits:
    """Unbatched ``(features, label)`` datasets and their metadata.

    Attributes:
        train, validation, test: ``tf.data.Dataset`` of ``(features float32
            (time, n_mels, channels), label int64)``.
        class_names: tuple of str.
        train_metadata, test_metadata: dict of NumPy columns aligned with the
            elements (``device`` when the source has one).
        sizes: ``{"train": n, "validation": n, "test": n}``.
        skipped: ``(path, reason)`` of the unreadable files skipped with
            ``on_error="skip"`` (``--skip-unreadable``).
        shard: ``(num_shards, index)`` when ``train`` holds only this
            process's shard of the training examples (``sizes["train"]``
            stays the whole split's size), else None.
        shard_size: the number of training examples in ``train``.
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    class_names: tuple
    train_metadata: dict
    test_metadata: dict
    sizes: dict
    skipped: list = dataclasses.field(default_factory=list)
    shard: object = None
    shard_size: object = None

    def __post_init__(self):
        if self.shard_size is None:
            self.shard_size = self.sizes["train"]

    @property
    def feature_shape(self):
        """``(time, n_mels, channels)`` of the training features."""
        return tuple(self.train.element_spec[0].shape)

    @property
    def seen_devices(self):
        """Devices present in the training split (sorted)."""
        return sorted(set(self.train_metadata.get("device", ())))


def _select(ds, indices, total):
    """The elements of ``ds`` at ``indices`` (kept in order, lazily).

    ``total`` is the number of elements of ``ds`` (from its metadata): the
    keep-mask covers every element even when tf.data does not know the
    length, and a source of another length fails loudly instead of running
    past the mask.
    """
    keep = np.zeros(total, bool)
    keep[np.asarray(indices, np.int64)] = True
    count, keep = int(keep.sum()), tf.constant(keep)
    ds = ds.apply(tf.data.experimental.assert_cardinality(total))
    selected = ds.enumerate().filter(lambda i, _: tf.gather(keep, i)).map(lambda _, e: e)
    # A filter hides the length from tf.data; state it, so that Keras knows
    # how many validation batches there are (instead of running off the end
    # with an "input ran out of data" warning every epoch).
    return selected.apply(tf.data.experimental.assert_cardinality(count))


def split_by_group(groups, fraction, seed=0):
    """Indices ``(kept, held_out)`` holding out about ``fraction`` of the groups.

    Args:
        groups: array ``(n,)`` of group ids (one distinct id per example
            to hold out single examples).
        fraction: float in (0, 1).
        seed: int for the group permutation.

    Returns:
        Two sorted int arrays.

    Examples:

    >>> kept, held = split_by_group(["a", "a", "b", "c"], 0.34, seed=0)
    >>> sorted(kept.tolist() + held.tolist())
    [0, 1, 2, 3]
    """
    fraction = _validation.check_float("validation_fraction", fraction, 0.0, 1.0, open_min=True)
    keys = np.asarray(groups)
    unique = np.array(sorted(set(keys.tolist())))
    order = np.random.default_rng(seed).permutation(len(unique))
    held_groups = set(unique[order[: max(1, int(round(fraction * len(unique))))]].tolist())
    held = np.array([k in held_groups for k in keys.tolist()])
    return np.flatnonzero(~held), np.flatnonzero(held)


def _size(split):
    return len(next(iter(split.metadata.values())))


def _groups(split, column):
    """The group of each example (every example its own without the column)."""
    groups = split.metadata.get(column) if column else None
    return np.arange(_size(split)).astype(str) if groups is None else np.asarray(groups)


def load_splits(
    name,
    data_dir=None,
    seed=0,
    paper_shape=False,
    validation_fraction=0.1,
    cache_dir=None,
    synthetic_kwargs=None,
    clip_seconds=None,
    on_error="raise",
    shard=None,
):
    """Loads the three splits of dataset ``name``.

    Args:
        name: one of :data:`~keras_specmix.experiments.sources.DATASETS`.
        data_dir: the dataset's root folder (TAU, SECL-UMONS, folder) or CSV
            file, required for those; for ``digits``, where to render the
            WAVs (None: ``~/.keras/datasets``); ignored otherwise.
        seed: data seed (synthetic generation, group hold-out); fixed across
            the runs of a comparison so every condition sees the same data.
        paper_shape: synthetic scenes at the paper's shape (10-s 44.1-kHz
            clips, ``(423, 128, 3)``).
        validation_fraction: share of training groups held out for
            validation (not used by ``synthetic`` and ``digits``, which have
            their own validation split).
        cache_dir: folder for feature caches (None: no cache).
        synthetic_kwargs: extra ``synthetic_scenes`` arguments
            (``num_locations``, ``clips_per_location``, ``clip_seconds``).
        clip_seconds: ``folder``/``csv``: crop or zero-pad every clip to this
            length; None keeps each file's length, which must then be the
            same for all files.
        on_error: TAU, SECL-UMONS, ``folder``/``csv``: "raise" (default) on
            the first unreadable file, naming it and ``--skip-unreadable``;
            "skip" to drop unreadable files (listed in ``Splits.skipped``).
        shard: None, or ``(num_shards, index)``: ``train`` holds only the
            training examples :func:`~keras_specmix.datasets.pipeline.shard_indices`
            assigns to shard ``index``, and only those files are decoded
            (one process of a multi-process run). Validation and test stay
            whole (every process evaluates them); their caches get a
            per-shard name, so processes sharing ``cache_dir`` never write
            the same folder.

    Returns:
        :class:`Splits`.

    Raises:
        ValueError: for an unknown ``name`` or a missing ``data_dir``, or
            ``folder``/``csv`` files of different lengths without
            ``clip_seconds``.
        AudioFileError: (a ``ValueError``) naming an unreadable file, with
            ``on_error="raise"``.
    """
    source = sources.SOURCES[_validation.check_choice("dataset", name, sources.DATASETS)]
    on_error = _validation.check_choice("on_error", on_error, ("raise", "skip"))
    if source.data_dir == "required" and not data_dir:
        raise ValueError(
            f"dataset {name!r} needs `data_dir` (--data-dir). Received: data_dir={data_dir!r}"
        )
    if shard is not None:
        pipeline.shard_indices(0, *shard)  # validates both
        if source.shard_refusal:
            raise ValueError(
                f"dataset {name!r} cannot be sharded per process yet: "
                f"{source.shard_refusal}. Train it on one host "
                f"(--strategy mirrored for its GPUs). Received: shard={shard!r}"
            )
    request = sources.Request(
        data_dir=data_dir,
        seed=seed,
        paper_shape=paper_shape,
        cache_dir=cache_dir,
        synthetic_kwargs=dict(synthetic_kwargs or {}),
        clip_seconds=clip_seconds,
        on_error=on_error,
    )
    files = source.data_dir != "none"
    if shard is not None and files:  # decode below, per shard
        request = dataclasses.replace(request, cache_dir=None)
    try:
        with warnings.catch_warnings():  # the runner prints its own skip report
            warnings.simplefilter("ignore", datasets.SkippedFilesWarning)
            train, validation, test = source.read(request)
    except datasets.AudioFileError as error:
        raise datasets.AudioFileError(
            f"{error} With the runner: --skip-unreadable skips such files and reports them."
        ) from None
    carve = None
    if validation is None:
        carve = split_by_group(_groups(train, source.group_column), validation_fraction, seed)
    skipped = [list(s) for s in sorted({*map(tuple, train.skipped), *map(tuple, test.skipped)})]
    if shard is not None:
        part = _sharded if files else _sharded_in_memory
        return part(train, validation, test, carve, cache_dir, shard, skipped)
    if carve is not None:
        kept, held = carve
        total = _size(train)
        validation_ds = _select(train.dataset, held, total)
        train_ds = _select(train.dataset, kept, total)
        sizes = {"train": len(kept), "validation": len(held), "test": _size(test)}
    else:
        kept = slice(None)
        train_ds, validation_ds = train.dataset, validation.dataset
        sizes = {"train": _size(train), "validation": _size(validation), "test": _size(test)}
    return Splits(
        train_ds,
        validation_ds,
        test.dataset,
        tuple(train.class_names),
        {k: np.asarray(v)[kept] for k, v in train.metadata.items()},
        dict(test.metadata),
        sizes,
        skipped,
    )


def _sharded(train, validation, test, carve, cache_dir, shard, skipped):
    """Splits whose ``train`` is one shard, decoded from its own files only.

    ``train``/``validation``/``test`` are the uncached
    :class:`~keras_specmix.datasets.LoadedSplit` of files; ``carve`` is
    ``(kept, held)`` row indices of ``train`` (validation carved from it),
    or None when ``validation`` is its own split.
    """
    num_shards, index = shard
    kept, held = carve if carve is not None else (np.arange(len(train.table)), None)
    mine = kept[pipeline.shard_indices(len(kept), num_shards, index)]
    whole = f"p{index}of{num_shards}"  # evaluated whole by every process: one cache each
    fit = train.subset(mine, f"shard{index}of{num_shards}", cache_dir=cache_dir)
    if carve is not None:
        validation = train.subset(held, f"validation-{whole}", cache_dir=cache_dir)
    else:
        validation = validation.subset(np.arange(len(validation.table)), whole, cache_dir=cache_dir)
    test = test.subset(np.arange(len(test.table)), whole, cache_dir=cache_dir)
    return Splits(
        fit.dataset,
        validation.dataset,
        test.dataset,
        tuple(train.class_names),
        {k: np.asarray(v)[kept] for k, v in train.metadata.items()},
        dict(test.metadata),
        {"train": len(kept), "validation": len(validation.table), "test": len(test.table)},
        skipped,
        shard=shard,
        shard_size=len(mine),
    )


def _sharded_in_memory(train, validation, test, carve, cache_dir, shard, skipped):
    """Splits whose ``train`` is one shard of generated data (nothing to decode).

    The generated sources have their own validation split (``carve`` is None).
    """
    total = _size(train)
    mine = pipeline.shard_indices(total, *shard)
    return Splits(
        _select(train.dataset, mine, total),
        validation.dataset,
        test.dataset,
        tuple(train.class_names),
        dict(train.metadata),
        dict(test.metadata),
        {"train": total, "validation": _size(validation), "test": _size(test)},
        skipped,
        shard=shard,
        shard_size=len(mine),
    )
