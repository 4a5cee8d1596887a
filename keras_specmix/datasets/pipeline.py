"""Shared file -> features pipeline behind every file-based loader."""

import os
import warnings
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix._typing import Channel
from keras_specmix._typing import OnError
from keras_specmix._typing import StrPath
from keras_specmix._typing import TensorLike
from keras_specmix.datasets import audio_io
from keras_specmix.datasets import cache as cache_lib
from keras_specmix.datasets.table import ExampleTable
from keras_specmix.datasets.table import LoadedSplit
from keras_specmix.features import FrontEndConfig
from keras_specmix.features import compute_features


def waveform_features(waveform: TensorLike, config: FrontEndConfig) -> tf.Tensor:
    """``(samples, channels)`` -> ``(time, n_mels, channels * feature_channels)``.

    With one audio channel this is just the front end's ``(time, n_mels, 3)``;
    with several, each channel's [x, Δ, ΔΔ] are stacked channel-major.
    """
    features = compute_features(tf.transpose(waveform), config)  # (C, T, F, K)
    features = tf.transpose(features, [1, 2, 0, 3])
    shape = tf.shape(features)
    static = features.shape
    out_channels = None if static[2] is None or static[3] is None else static[2] * static[3]
    features = tf.reshape(features, [shape[0], shape[1], shape[2] * shape[3]])
    features.set_shape([static[0], static[1], out_channels])
    return features


CUT = "cut"
"""The metadata column of :func:`segment_table`: which piece of its file a row is."""


def segment_table(table: ExampleTable, clip_seconds: float, segment_seconds: float) -> ExampleTable:
    """Each row of ``table`` as ``⌊clip_seconds / segment_seconds⌋`` rows, one per piece.

    How TAU Urban Acoustic Scenes 2022 Mobile was made from the 2020 set:
    each 10-s clip cut into ten 1-s clips. Row ``r`` becomes rows ``(r,
    0), (r, 1), ...`` in that order, with the same path, label and metadata
    plus a column ``"cut"`` (``"0"``, ``"1"``, ...): piece ``k`` is samples
    ``[k·S, (k + 1)·S)`` of the clip (``S`` = ``segment_seconds``), a
    remainder shorter than ``S`` is dropped. Every piece of a file stays
    with its file, so splits made by file, recording or location keep a
    recording's pieces together.

    Args:
        table: an :class:`~keras_specmix.datasets.table.ExampleTable`.
        clip_seconds: float > 0, the clips' length.
        segment_seconds: float in ``(0, clip_seconds]``.

    Returns:
        An :class:`~keras_specmix.datasets.table.ExampleTable`.

    Raises:
        ValueError: on a length out of range, or a table already cut.

    Examples:

    >>> from keras_specmix.datasets.table import ExampleTable
    >>> t = segment_table(ExampleTable.from_rows(["x.wav"], ["bus"]), 10.0, 1.0)
    >>> len(t), t.metadata["cut"][:3].tolist()
    (10, ['0', '1', '2'])
    """
    clip_seconds = _validation.check_float("clip_seconds", clip_seconds, 0.0, open_min=True)
    segment_seconds = _validation.check_float(
        "segment_seconds", segment_seconds, 0.0, clip_seconds, open_min=True
    )
    if CUT in table.metadata:
        raise ValueError(f"The table is already cut (it has a {CUT!r} column).")
    pieces = int(np.floor(clip_seconds / segment_seconds + 1e-9))
    rows = np.repeat(np.arange(len(table)), pieces)
    out = table.subset(rows)
    out.metadata[CUT] = np.tile(np.arange(pieces), len(table)).astype(str)
    return out


def _decode_features(
    paths, config, num_samples, channel, num_channels, num_parallel_calls, cuts=None, piece=None
):
    """Dataset of the features of ``paths``: decode, resample, crop (cut), front end."""

    def load(path, cut=None):
        audio = audio_io.decode_audio(path, config.sample_rate, channel, num_channels, num_samples)
        if cut is not None:
            audio = audio[cut * piece : (cut + 1) * piece]
        return waveform_features(audio, config)

    if cuts is None:
        source = tf.data.Dataset.from_tensor_slices(list(paths))
    else:
        source = tf.data.Dataset.from_tensor_slices((list(paths), cuts))
    return source.map(load, num_parallel_calls=num_parallel_calls, deterministic=True)


def files_dataset(
    table: ExampleTable,
    name: str,
    config: FrontEndConfig | None = None,
    clip_seconds: float | None = None,
    channel: Channel = 0,
    resample: bool = False,
    on_error: OnError = "raise",
    cache_dir: StrPath | None = None,
    return_metadata: bool = False,
    num_parallel_calls: int = tf.data.AUTOTUNE,
    progress: bool = True,
    segment_seconds: float | None = None,
) -> LoadedSplit:
    """``tf.data.Dataset`` of ``(features, label)`` for the files of a table.

    Args:
        table: an :class:`ExampleTable`.
        name: a readable name (used for the cache folder).
        config: :class:`FrontEndConfig`; None for the paper's front end.
        clip_seconds: crop (keeping the start) or zero-pad every clip to this
            length; None keeps each file's length (then batch with
            ``padded_batch`` or crop first).
        channel: int channel index, "mean" (downmix) or "all" (each channel's
            features stacked on the last axis).
        resample: resample files whose rate differs from
            ``config.sample_rate`` (libsoxr); if False such a file is an error.
        on_error: "raise" or "skip" (unreadable files dropped, listed with
            their reasons in ``skipped``, and in a :class:`SkippedFilesWarning`).
        cache_dir: folder for a feature cache, or None to compute on the fly.
        return_metadata: yield ``(features, label, metadata)`` where
            metadata is a dict of string tensors (the table's columns).
        num_parallel_calls: parallelism of the decode + features map.
        progress: show a progress bar while filling the cache.
        segment_seconds: None, or the length of the pieces of a table cut by
            :func:`segment_table` (its ``"cut"`` column says which piece of
            the ``clip_seconds`` clip each row is). Defaults to None.

    Returns:
        A :class:`~keras_specmix.datasets.LoadedSplit`: the dataset, its
        ``class_names``, ``metadata`` (NumPy columns aligned with the
        elements, with a ``path`` column), ``skipped`` (list of ``(path,
        reason)``), ``table`` (the :class:`ExampleTable` of the kept files);
        its ``subset(indices, suffix, cache_dir=...)`` is the same pipeline
        over those rows of ``table`` only, named ``<name>-<suffix>``,
        decoding nothing else (a process's shard, see :func:`shard_indices`).

    Raises:
        AudioFileError: naming a bad file, with ``on_error="raise"``.
        MissingDependencyError: (an ``ImportError``) soundfile is not
            installed, or soxr is not and a file needs resampling; raised
            here, not while iterating.
        ValueError: if no file is left, or ``segment_seconds`` comes without
            ``clip_seconds`` or a table cut by :func:`segment_table`.

    Examples:
        >>> import tempfile
        >>> from keras_specmix.datasets import tau2020_mobile_table, write_fake_tau2020_mobile
        >>> table = tau2020_mobile_table(write_fake_tau2020_mobile(tempfile.mkdtemp() + "/t"))
        >>> split = files_dataset(table, "demo", clip_seconds=0.3, progress=False)
        >>> split.element_spec[0].shape, len(list(split)), split.class_names
        (TensorShape([5, 128, 3]), 6, ('airport', 'bus', 'tram'))
    """
    config = config or FrontEndConfig()
    channel = audio_io.check_channel(channel)
    num_samples = piece = None
    if clip_seconds is not None:
        clip_seconds = _validation.check_float("clip_seconds", clip_seconds, 0.0, open_min=True)
        num_samples = int(round(clip_seconds * config.sample_rate))
    if segment_seconds is not None:
        if clip_seconds is None or CUT not in table.metadata:
            raise ValueError(
                "`segment_seconds` reads pieces of clips cut by segment_table(table, "
                "clip_seconds, segment_seconds): pass that table and `clip_seconds`. "
                f"Received: clip_seconds={clip_seconds!r}, columns={sorted(table.metadata)}"
            )
        segment_seconds = _validation.check_float(
            "segment_seconds", segment_seconds, 0.0, clip_seconds, open_min=True
        )
        piece = int(round(segment_seconds * config.sample_rate))
    unique = list(dict.fromkeys(os.fspath(p) for p in table.paths))  # a cut table repeats them
    infos, skipped = audio_io.scan_audio_files(
        unique, config.sample_rate, resample, channel, on_error
    )
    if skipped:
        warnings.warn(skip_report(skipped, name), audio_io.SkippedFilesWarning, stacklevel=3)
    kept = {info.path for info in infos}
    table = table.subset([i for i, p in enumerate(table.paths) if os.fspath(p) in kept])
    if not len(table):
        raise ValueError(f"No usable audio file in {name!r} ({len(skipped)} skipped).")
    channels = sorted({i.channels for i in infos})
    if channel == "all" and len(channels) > 1:
        raise audio_io.AudioFileError(
            f"channel='all' needs the same channel count in every file of "
            f"{name!r}; found {channels}. Pass channel='mean' or an int."
        )

    def build():
        cuts = None if piece is None else table.metadata[CUT].astype(np.int64)
        features = _decode_features(
            table.paths, config, num_samples, channel, channels[0], num_parallel_calls, cuts, piece
        )
        labels = tf.data.Dataset.from_tensor_slices(table.labels)
        return tf.data.Dataset.zip((features, labels))

    if cache_dir is None:
        ds = build()
    else:
        key = cache_lib.cache_key(
            config=config.to_dict(),
            num_samples=num_samples,
            **({} if piece is None else {"piece": piece, "cuts": table.metadata[CUT].tolist()}),
            channel=channel,
            decoder=audio_io.decoder_id(
                resampling=any(i.sample_rate != config.sample_rate for i in infos)
            ),
            files=cache_lib.files_fingerprint(table.paths),
            labels=table.labels.tolist(),
            code=cache_lib.code_fingerprint("keras_specmix.features", audio_io.__name__, __name__),
        )
        ds = cache_lib.cached_dataset(
            build,
            cache_dir,
            name,
            key,
            num_examples=len(table),
            progress=progress,
            info={"name": name, "config": config.to_dict()},
        )
    metadata = {"path": np.asarray(table.paths, dtype=str), **table.metadata}
    if return_metadata:
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(metadata)))
        ds = ds.map(lambda xy, m: (xy[0], xy[1], m))

    def rebuild(rows, suffix, cache_dir=cache_dir):
        """The same pipeline over the table ``rows`` only (decodes only those)."""
        return files_dataset(
            rows,
            f"{name}-{suffix}",
            config=config,
            clip_seconds=clip_seconds,
            channel=channel,
            resample=resample,
            on_error=on_error,
            cache_dir=cache_dir,
            return_metadata=return_metadata,
            num_parallel_calls=num_parallel_calls,
            progress=progress,
            segment_seconds=segment_seconds,
        )

    return LoadedSplit(ds, tuple(table.class_names), metadata, list(skipped), table, rebuild)


def shard_indices(count: int, num_shards: int, index: int) -> np.ndarray:
    """The positions of shard ``index`` of ``num_shards``: ``index, index + num_shards, ...``.

    Strided rather than contiguous: with the examples in a fixed order, the
    ``k``-th batches of ``num_shards`` processes (``batch / num_shards``
    examples each) hold together exactly the ``k``-th global batch of one
    process, so a run without shuffling sees the same global batches on any
    process count (when ``count`` is a multiple of ``num_shards``).

    Args:
        count: int >= 0, the number of examples.
        num_shards: int >= 1, e.g. the number of processes.
        index: int in ``[0, num_shards)``, e.g. this process's index.

    Returns:
        A sorted int64 NumPy array.

    Raises:
        ValueError: if ``index`` is not in ``[0, num_shards)``.

    Examples:

    >>> shard_indices(5, 2, 1).tolist()
    [1, 3]
    """
    count = _validation.check_int("count", count, minimum=0)
    num_shards = _validation.check_int("num_shards", num_shards, minimum=1)
    index = _validation.check_int("index", index, minimum=0)
    if index >= num_shards:
        raise ValueError(
            f"`index` must be in [0, num_shards={num_shards}). Received: index={index}"
        )
    return np.arange(index, count, num_shards, dtype=np.int64)


def skip_report(
    skipped: Sequence[tuple[str, str]], name: str = "the dataset", limit: int | None = 10
) -> str:
    """A readable summary of skipped files: how many, and each one's reason.

    Args:
        skipped: list of ``(path, reason)`` (a ``LoadedSplit.skipped``).
        name: what the files belong to.
        limit: list at most this many files; None lists every one.

    Returns:
        str, e.g. ``"Skipped 1 unreadable file(s) of 'x':\n  'a.wav': ..."``;
        empty when nothing was skipped.

    Examples:

    >>> print(skip_report([("a.wav", "'a.wav': not a sound file")], "mine"))
    Skipped 1 unreadable file(s) of 'mine':
      'a.wav': not a sound file
    """
    if not skipped:
        return ""
    shown = skipped if limit is None else skipped[:limit]
    lines = [f"Skipped {len(skipped)} unreadable file(s) of {name!r}:"]
    lines += [f"  {reason}" for _, reason in shown]
    if len(shown) < len(skipped):
        lines.append(f"  ... and {len(skipped) - len(shown)} more (see the split's `skipped`)")
    return "\n".join(lines)
