"""Shared file -> features pipeline behind every file-based loader."""

import os
import warnings

import numpy as np
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix.datasets import audio_io
from keras_specmix.datasets import cache as cache_lib
from keras_specmix.features import FrontEndConfig
from keras_specmix.features import compute_features


def waveform_features(waveform, config):
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


def _decode_features(paths, config, num_samples, channel, num_channels, num_parallel_calls):
    """Dataset of the features of ``paths``: decode, resample, crop, front end."""

    def load(path):
        audio = audio_io.decode_audio(path, config.sample_rate, channel, num_channels, num_samples)
        return waveform_features(audio, config)

    return tf.data.Dataset.from_tensor_slices(list(paths)).map(
        load, num_parallel_calls=num_parallel_calls, deterministic=True
    )


def files_dataset(
    table,
    name,
    config=None,
    clip_seconds=None,
    channel=0,
    resample=False,
    on_error="raise",
    cache_dir=None,
    return_metadata=False,
    num_parallel_calls=tf.data.AUTOTUNE,
    progress=True,
):
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
            their reasons in ``dataset.skipped``, and counted in a warning).
        cache_dir: folder for a feature cache, or None to compute on the fly.
        return_metadata: yield ``(features, label, metadata)`` where
            metadata is a dict of string tensors (the table's columns).
        num_parallel_calls: parallelism of the decode + features map.
        progress: show a progress bar while filling the cache.

    Returns:
        The dataset, with attributes ``class_names`` (tuple of str),
        ``metadata`` (dict of NumPy arrays aligned with the elements, with a
        ``path`` column), ``skipped`` (list of ``(path, reason)``),
        ``table`` (the :class:`ExampleTable` of the kept files) and
        ``subset(indices, suffix, cache_dir=...)``: the same pipeline over
        those rows of ``table`` only, named ``<name>-<suffix>``, decoding
        nothing else (a process's shard, see :func:`shard_indices`).

    Raises:
        AudioFileError: naming a bad file, with ``on_error="raise"``.
        MissingDependencyError: (an ``ImportError``) soundfile is not
            installed, or soxr is not and a file needs resampling; raised
            here, not while iterating.
        ValueError: if no file is left.
    """
    config = config or FrontEndConfig()
    channel = audio_io.check_channel(channel)
    num_samples = None
    if clip_seconds is not None:
        clip_seconds = _validation.check_float("clip_seconds", clip_seconds, 0.0, open_min=True)
        num_samples = int(round(clip_seconds * config.sample_rate))
    infos, skipped = audio_io.scan_audio_files(
        table.paths, config.sample_rate, resample, channel, on_error
    )
    if skipped:
        warnings.warn(skip_report(skipped, name), stacklevel=3)
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
        features = _decode_features(
            table.paths, config, num_samples, channel, channels[0], num_parallel_calls
        )
        labels = tf.data.Dataset.from_tensor_slices(table.labels)
        return tf.data.Dataset.zip((features, labels))

    if cache_dir is None:
        ds = build()
    else:
        key = cache_lib.cache_key(
            config=config.to_dict(),
            num_samples=num_samples,
            channel=channel,
            decoder=audio_io.decoder_id(
                resampling=any(i.sample_rate != config.sample_rate for i in infos)
            ),
            files=cache_lib.files_fingerprint(table.paths),
            labels=table.labels.tolist(),
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
    ds = attach(ds, table.class_names, metadata, skipped, table)

    def subset(indices, suffix, cache_dir=cache_dir):
        """The same pipeline over ``table`` rows ``indices`` only (decodes only those)."""
        return files_dataset(
            table.subset(indices),
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
        )

    ds.subset = subset
    return ds


def shard_indices(count, num_shards, index):
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


def skip_report(skipped, name="the dataset", limit=10):
    """A readable summary of skipped files: how many, and each one's reason.

    Args:
        skipped: list of ``(path, reason)``.
        name: what the files belong to.
        limit: list at most this many files.

    Returns:
        str, e.g. ``"Skipped 1 unreadable file(s) of 'x': 'a.wav': ..."``.
    """
    lines = [f"Skipped {len(skipped)} unreadable file(s) of {name!r}:"]
    lines += [f"  {reason}" for _, reason in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"  ... and {len(skipped) - limit} more (see `dataset.skipped`)")
    return "\n".join(lines)


def attach(ds, class_names, metadata, skipped=(), table=None):
    """Sets the ``class_names``/``metadata``/``skipped`` attributes on ``ds``."""
    ds.class_names = tuple(class_names)
    ds.metadata = metadata
    ds.skipped = list(skipped)
    ds.table = table
    return ds
