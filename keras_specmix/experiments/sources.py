"""Train / validation / test splits of every dataset the runner knows.

The validation split is always carved out of the *training* data, by group
(TAU: recording locations; SECL-UMONS: recordings; your CSV: its group
column), and checkpoints are picked on it; the test split is scored once.
(The author's script picked the checkpoint with the best test accuracy.)

- ``synthetic``: :func:`keras_specmix.datasets.synthetic_scenes`, which
  already has validation locations disjoint from training and test; its
  features are cached as ``.npz`` so reruns skip the generation.
- ``digits``: :func:`keras_specmix.datasets.spoken_digits` (held-out voices).
- ``tau2020_mobile``: fold 1 ``train`` (minus validation locations) and
  ``evaluate`` (the paper's test fold).
- ``secl_umons``: split 1 ``train`` (minus validation recordings) and ``test``.
- ``folder`` / ``csv``: your audio; the library's held-out subset
  (``validation_split``) is the test split here, and validation is carved
  from the rest.
"""

import dataclasses
import fractions
import hashlib
import os
import pathlib
import warnings

import numpy as np
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix import datasets
from keras_specmix.datasets import cache
from keras_specmix.datasets import pipeline
from keras_specmix.experiments import faults

DATASETS = ("synthetic", "digits", "tau2020_mobile", "secl_umons", "folder", "csv")
"""Dataset names the runner accepts."""
NEEDS_DATA_DIR = ("tau2020_mobile", "secl_umons", "folder", "csv")
GROUP_COLUMNS = {
    "tau2020_mobile": "location",
    "secl_umons": "recording",
    "folder": "group",
    "csv": "group",
}


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


def _require_one_length(name, paths):
    """Raises if the audio files differ in length (they are batched whole)."""
    seconds = {}
    for path in paths:
        info = datasets.inspect_audio(path)
        seconds.setdefault(fractions.Fraction(info.num_frames, info.sample_rate), path)
    if len(seconds) > 1:
        short, long = min(seconds), max(seconds)
        raise ValueError(
            f"--dataset {name}: the clips differ in length ({float(short):.3f} s, "
            f"{seconds[short]!r}, to {float(long):.3f} s, {seconds[long]!r}), so they "
            "cannot be batched whole. Pass clip_seconds (--clip-seconds S) to crop or "
            "zero-pad every clip to S seconds."
        )


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


def _carve(ds, metadata, column, fraction, seed):
    metadata = metadata or {}
    groups = metadata.get(column)
    if groups is None:  # no group column (a folder of files): every example its own
        count = len(next(iter(metadata.values()))) if metadata else int(ds.cardinality())
        groups = np.arange(count).astype(str)
    kept, held = split_by_group(np.asarray(groups), fraction, seed)
    sub = {k: np.asarray(v)[kept] for k, v in metadata.items()}
    total = len(groups)
    return (_select(ds, kept, total), _select(ds, held, total), sub, (len(kept), len(held)))


def _source_key():
    """Hash of the synthetic generator's source, so a changed generator is not
    served from a stale cache."""
    digest = hashlib.sha256()
    base = pathlib.Path(datasets.__file__).parent
    for name in ("synthetic.py", "_synth_dsp.py", "pipeline.py"):
        path = base / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _synthetic_split(split, seed, kwargs, cache_dir):
    key = hashlib.sha256(
        repr((split, seed, sorted(kwargs.items()), _source_key())).encode()
    ).hexdigest()[:16]
    path = None if cache_dir is None else os.path.join(cache_dir, f"synthetic-{split}-{key}.npz")
    if path and os.path.exists(path):
        with np.load(path) as npz:
            features, labels = npz["features"], npz["labels"]
            metadata = {k[5:]: npz[k] for k in npz.files if k.startswith("meta_")}
            class_names = tuple(npz["class_names"].tolist())
    else:
        print(f"Generating synthetic scenes ({split})...", flush=True)
        ds = datasets.synthetic_scenes(split, seed=seed, progress=True, **kwargs)
        class_names, metadata = ds.class_names, dict(ds.metadata)
        features = np.stack([f.numpy() for f, _ in ds])
        labels = np.array([int(y) for _, y in ds], np.int64)
        faults.point("data.generated")
        if path:
            # In a temporary folder named like the feature caches' (host, process
            # id): processes sharing the cache never collide, and a killed
            # writer's folder is removed by the next writer.
            cache.remove_stale_temporaries(cache_dir)
            tmp_dir = cache.temporary_path(path)
            os.makedirs(tmp_dir)
            tmp = os.path.join(tmp_dir, "features.npz")
            np.savez(
                tmp,
                features=features,
                labels=labels,
                class_names=np.array(class_names),
                **{f"meta_{k}": np.asarray(v) for k, v in metadata.items()},
            )
            faults.point("cache.written")
            os.replace(tmp, path)
            os.rmdir(tmp_dir)
    return (features, labels), class_names, metadata


def _read_files(name, data_dir, seed, cache_dir, clip_seconds, on_error):
    """The ``(train, test)`` datasets of a file-based source."""
    if name == "tau2020_mobile":
        return tuple(
            datasets.tau2020_mobile(data_dir, s, cache_dir=cache_dir, on_error=on_error)
            for s in ("train", "evaluate")
        )
    if name == "secl_umons":
        return tuple(
            datasets.secl_umons(data_dir, s, cache_dir=cache_dir, on_error=on_error)
            for s in ("train", "test")
        )
    read = datasets.from_directory if name == "folder" else datasets.from_csv
    return read(
        data_dir,
        validation_split=0.2,
        subset="both",
        seed=seed,
        cache_dir=cache_dir,
        clip_seconds=clip_seconds,
        on_error=on_error,
    )


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
        name: one of :data:`DATASETS`.
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
    name = _validation.check_choice("dataset", name, DATASETS)
    on_error = _validation.check_choice("on_error", on_error, ("raise", "skip"))
    if shard is not None:
        num_shards, index = shard
        pipeline.shard_indices(0, num_shards, index)  # validates both
        if name == "secl_umons":
            raise ValueError(
                "dataset 'secl_umons' cannot be sharded per process yet: its seven "
                "microphones are joined after decoding. Train it on one host "
                f"(--strategy mirrored for its GPUs). Received: shard={shard!r}"
            )
    try:
        return _load_splits(
            name,
            data_dir,
            seed,
            paper_shape,
            validation_fraction,
            cache_dir,
            synthetic_kwargs,
            clip_seconds,
            on_error,
            shard,
        )
    except datasets.AudioFileError as error:
        raise datasets.AudioFileError(
            f"{error} With the runner: --skip-unreadable skips such files and reports them."
        ) from None


def _load_splits(
    name,
    data_dir,
    seed,
    paper_shape,
    validation_fraction,
    cache_dir,
    synthetic_kwargs,
    clip_seconds,
    on_error,
    shard,
):
    if name in NEEDS_DATA_DIR and not data_dir:
        raise ValueError(
            f"dataset {name!r} needs `data_dir` (--data-dir). Received: data_dir={data_dir!r}"
        )
    if name == "synthetic":
        kwargs = dict(synthetic_kwargs or {}, paper_shape=paper_shape)
        parts = {
            s: _synthetic_split(s, seed, kwargs, cache_dir) for s in ("train", "validation", "test")
        }
        sizes = {s: len(parts[s][2]["device"]) for s in parts}
        keep = slice(None)
        if shard is not None:  # generated, not decoded: this shard's rows only enter tf.data
            keep = pipeline.shard_indices(sizes["train"], *shard)
        data = {
            s: tf.data.Dataset.from_tensor_slices(
                tuple(a[keep] for a in parts[s][0]) if s == "train" else parts[s][0]
            )
            for s in parts
        }
        return Splits(
            data["train"],
            data["validation"],
            data["test"],
            parts["train"][1],
            parts["train"][2],
            parts["test"][2],
            sizes,
            shard=shard,
            shard_size=None if shard is None else len(keep),
        )
    if name == "digits":
        lazy = cache_dir if shard is None else None  # sharded: decode below, per shard
        ds = {
            s: datasets.spoken_digits(s, seed=seed, data_dir=data_dir, cache_dir=lazy)
            for s in ("train", "validation", "test")
        }
        sizes = {s: len(next(iter(ds[s].metadata.values()))) for s in ds}
        if shard is not None:
            return _sharded(ds["train"], ds["validation"], ds["test"], None, cache_dir, shard)
        return Splits(
            ds["train"],
            ds["validation"],
            ds["test"],
            ds["train"].class_names,
            dict(ds["train"].metadata),
            dict(ds["test"].metadata),
            sizes,
        )
    lazy = cache_dir if shard is None else None  # sharded: decode below, per shard
    with warnings.catch_warnings():  # the runner prints its own skip report
        warnings.filterwarnings("ignore", "Skipped", UserWarning)
        train, test = _read_files(name, data_dir, seed, lazy, clip_seconds, on_error)
    if name in ("folder", "csv") and clip_seconds is None:
        _require_one_length(name, [*train.metadata["path"], *test.metadata["path"]])
    train_meta = dict(train.metadata or {})
    if shard is not None:
        groups = train_meta.get(GROUP_COLUMNS[name])
        if groups is None:
            groups = np.arange(len(train.table)).astype(str)
        kept, held = split_by_group(np.asarray(groups), validation_fraction, seed)
        return _sharded(train, train, test, (kept, held), cache_dir, shard)

    fit, validation, fit_meta, (n_fit, n_val) = _carve(
        train, train_meta, GROUP_COLUMNS[name], validation_fraction, seed
    )
    test_meta = dict(test.metadata or {})
    n_test = len(next(iter(test_meta.values()))) if test_meta else int(test.cardinality())
    skipped = sorted({*map(tuple, train.skipped), *map(tuple, test.skipped)})
    return Splits(
        fit,
        validation,
        test,
        tuple(train.class_names),
        fit_meta,
        test_meta,
        {"train": n_fit, "validation": n_val, "test": n_test},
        [list(s) for s in skipped],
    )


def _sharded(train, validation, test, carve, cache_dir, shard):
    """Splits whose ``train`` is one shard, decoded from its own files only.

    ``train``/``validation``/``test`` are the lazy (uncached) datasets of
    :func:`~keras_specmix.datasets.pipeline.files_dataset`; ``carve`` is
    ``(kept, held)`` row indices of ``train`` (validation carved from it),
    or None when ``validation`` is its own dataset.
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
    meta = dict(train.metadata or {})
    skipped = sorted({*map(tuple, train.skipped), *map(tuple, test.skipped)})
    return Splits(
        _drop_metadata(fit),
        _drop_metadata(validation),
        _drop_metadata(test),
        tuple(train.class_names),
        {k: np.asarray(v)[kept] for k, v in meta.items()},
        dict(test.metadata or {}),
        {"train": len(kept), "validation": len(validation.table), "test": len(test.table)},
        [list(s) for s in skipped],
        shard=shard,
        shard_size=len(mine),
    )


def _drop_metadata(ds):
    """``(features, label[, metadata])`` -> ``(features, label)``."""
    if len(ds.element_spec) == 2:
        return ds
    return ds.map(lambda x, y, _: (x, y))


def skip_report(skipped):
    """What the runner prints about skipped files: how many, then each one's reason.

    Args:
        skipped: ``Splits.skipped``.

    Returns:
        str (empty when nothing was skipped).
    """
    if not skipped:
        return ""
    lines = [f"Skipped {len(skipped)} unreadable file(s) (--skip-unreadable):"]
    lines += [f"  {reason}" for _, reason in skipped]
    return "\n".join(lines)
