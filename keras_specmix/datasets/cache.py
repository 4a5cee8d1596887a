"""Feature cache: extract once into TFRecord shards, reuse on later runs.

A cache lives in ``<cache_dir>/<name>-<key>/`` where ``key`` hashes everything
the features depend on (front-end settings, clip length, channels, the file
list with sizes and modification times, labels). It is written into a hidden
temporary folder and renamed into place only after the last shard and the
manifest are on disk, so an interrupted extraction never leaves a cache that
loads: the next run simply extracts again. The temporary folder's name holds
the host and process id of its writer; a process killed outright (SIGKILL,
out of memory, a power cut) cannot remove it, so every later extraction into
the same ``cache_dir`` first removes the temporary folders whose writer is no
longer running on this host (or, for another host's, that are older than
:data:`STALE_SECONDS`).
"""

import hashlib
import json
import os
import re
import shutil
import socket
import time
import uuid

import keras
import numpy as np
import tensorflow as tf

from keras_specmix import _validation

MANIFEST = "manifest.json"
_FORMAT_VERSION = 1
STALE_SECONDS = 7 * 24 * 3600
"""Age after which another host's (or an unnamed) temporary folder is stale."""
_TMP = re.compile(r"^\..+\.tmp-(?:(?P<host>[A-Za-z0-9_.]+)-(?P<pid>\d+)-)?[0-9a-f]{32}$")


def _host():
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def temporary_path(path):
    """A hidden temporary name beside ``path``, holding this host and process id.

    What :func:`remove_stale_temporaries` recognises (as a folder) once its
    writer no longer runs.
    """
    parent, name = os.path.split(os.path.abspath(os.fspath(path)))
    return os.path.join(parent, f".{name}.tmp-{_host()}-{os.getpid()}-{uuid.uuid4().hex}")


def remove_stale_temporaries(cache_dir):
    """Removes the temporary folders of killed extractions in ``cache_dir``.

    A temporary folder is stale when its writer (host and process id in its
    name) is this host's and no longer runs, or, for another host's or an
    older unnamed one, when it is older than :data:`STALE_SECONDS`.

    Args:
        cache_dir: the folder that holds caches (need not exist).

    Returns:
        list of the removed paths.
    """
    cache_dir = os.fspath(cache_dir)
    if not os.path.isdir(cache_dir):
        return []
    removed, host, now = [], _host(), time.time()
    for entry in os.listdir(cache_dir):
        match = _TMP.match(entry)
        path = os.path.join(cache_dir, entry)
        if match is None or not os.path.isdir(path):
            continue
        if match["host"] == host:
            stale = not _running(int(match["pid"]))
        else:
            stale = now - os.path.getmtime(path) > STALE_SECONDS
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def cache_key(**parts):
    """A 16-hex-digit hash of JSON-serialisable ``parts`` (order-free)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def files_fingerprint(paths):
    """Hash of (path, size, mtime) for every file: changes when a file does."""
    h = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        h.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _serialize(features, label):
    example = tf.train.Example(
        features=tf.train.Features(
            feature={
                "features": tf.train.Feature(
                    bytes_list=tf.train.BytesList(value=[tf.io.serialize_tensor(features).numpy()])
                ),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
            }
        )
    )
    return example.SerializeToString()


def write_feature_cache(dataset, path, num_examples=None, shard_size=512, progress=True, info=None):
    """Writes a ``(features, label)`` dataset to TFRecord shards, atomically.

    Args:
        dataset: unbatched ``tf.data.Dataset`` of ``(features, label)``,
            features float32 of any fixed rank, label a scalar int.
        path: the final cache folder; it must not exist yet.
        num_examples: expected count, for the progress bar (optional).
        shard_size: examples per shard. Defaults to 512.
        progress: show a ``keras.utils.Progbar``. Defaults to True.
        info: optional JSON-serialisable dict stored in the manifest.

    Returns:
        ``path``.

    Raises:
        ValueError: if the dataset is empty.
        Any error raised while iterating ``dataset``: the temporary folder
        is removed and nothing loadable is left at ``path`` (after a
        SIGKILL, the next call removes it: :func:`remove_stale_temporaries`).
    """
    shard_size = _validation.check_int("shard_size", shard_size, minimum=1)
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent)
    tmp = temporary_path(path)
    os.makedirs(tmp)
    bar = keras.utils.Progbar(num_examples, unit_name="clip") if progress else None
    shards, count, writer, shape = [], 0, None, None
    try:
        for features, label in dataset:
            if count % shard_size == 0:
                if writer is not None:
                    writer.close()
                shards.append(f"shard-{len(shards):05d}.tfrecord")
                writer = tf.io.TFRecordWriter(os.path.join(tmp, shards[-1]))
            if shape is None:
                shape = list(features.shape)
            elif list(features.shape) != shape:
                shape = [None if a != b else a for a, b in zip(shape, features.shape)]
            writer.write(_serialize(tf.cast(features, tf.float32), label))
            count += 1
            if bar is not None:
                bar.update(count)
        if writer is not None:
            writer.close()
        if count == 0:
            raise ValueError(f"Nothing to cache: the dataset for {path!r} is empty.")
        manifest = {
            "format_version": _FORMAT_VERSION,
            "num_examples": count,
            "element_shape": shape,
            "shards": shards,
            "info": info or {},
        }
        with open(os.path.join(tmp, MANIFEST), "w") as f:
            json.dump(manifest, f, indent=1)
        os.rename(tmp, path)
    except BaseException:
        if writer is not None:
            writer.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def read_manifest(path):
    """The manifest of a complete cache, or None if ``path`` holds none."""
    manifest_path = os.path.join(os.fspath(path), MANIFEST)
    if not os.path.isfile(manifest_path):
        return None
    with open(manifest_path) as f:
        manifest = json.load(f)
    if manifest.get("format_version") != _FORMAT_VERSION:
        return None
    if not all(os.path.isfile(os.path.join(path, s)) for s in manifest["shards"]):
        return None
    return manifest


def read_feature_cache(path):
    """Loads a cache written by :func:`write_feature_cache`.

    Args:
        path: the cache folder.

    Returns:
        ``tf.data.Dataset`` of ``(features float32, label int64)`` in the
        order they were written.

    Raises:
        FileNotFoundError: naming ``path`` if it holds no complete cache.
    """
    path = os.fspath(path)
    manifest = read_manifest(path)
    if manifest is None:
        raise FileNotFoundError(f"No complete feature cache at {path!r}.")
    files = [os.path.join(path, s) for s in manifest["shards"]]
    shape = manifest["element_shape"]
    spec = {
        "features": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
    }

    def parse(record):
        parsed = tf.io.parse_single_example(record, spec)
        features = tf.io.parse_tensor(parsed["features"], tf.float32)
        features.set_shape(shape)
        return features, parsed["label"]

    ds = tf.data.TFRecordDataset(files)
    ds = ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.apply(tf.data.experimental.assert_cardinality(manifest["num_examples"]))


def cached_dataset(build_fn, cache_dir, name, key, num_examples=None, progress=True, info=None):
    """Loads ``<cache_dir>/<name>-<key>`` or builds and writes it first.

    Args:
        build_fn: zero-argument callable returning the ``(features, label)``
            dataset to extract (called only on a cache miss).
        cache_dir: the folder that holds caches.
        name: a readable prefix (e.g. "tau2020_mobile-train").
        key: the hash from :func:`cache_key`.
        num_examples: expected count, for the progress bar.
        progress: show a progress bar during extraction.
        info: dict stored in the manifest.

    Returns:
        The cached ``tf.data.Dataset``.
    """
    path = os.path.join(os.fspath(cache_dir), f"{name}-{key}")
    if read_manifest(path) is None:
        if os.path.exists(path):
            shutil.rmtree(path)
        write_feature_cache(build_fn(), path, num_examples, progress=progress, info=info)
    return read_feature_cache(path)


def as_numpy(dataset):
    """Materialises a small ``(features, label)`` dataset as NumPy arrays."""
    xs, ys = [], []
    for x, y in dataset:
        xs.append(x.numpy())
        ys.append(y.numpy())
    return np.stack(xs), np.asarray(ys)
