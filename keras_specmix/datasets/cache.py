"""Feature cache: extract once into TFRecord shards, reuse on later runs.

The one feature cache of the package: the file readers and the synthetic
scenes use it, and so does the experiment runner through them. A cache lives
in ``<cache_dir>/<name>-<key>/`` where ``key`` hashes everything the features
depend on (front-end settings, clip length, channels, the file list with
sizes and modification times, labels, and the source code that computes them:
:func:`code_fingerprint`). It is written into a hidden
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
import importlib.util
import json
import os
import pathlib
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

from keras_specmix import _faults
from keras_specmix import _validation
from keras_specmix._typing import StrPath

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


def temporary_path(path: StrPath) -> str:
    """A hidden temporary name beside ``path``, holding this host and process id.

    What :func:`remove_stale_temporaries` recognises (as a folder) once its
    writer no longer runs.
    """
    parent, name = os.path.split(os.path.abspath(os.fspath(path)))
    return os.path.join(parent, f".{name}.tmp-{_host()}-{os.getpid()}-{uuid.uuid4().hex}")


def remove_stale_temporaries(cache_dir: StrPath) -> list[str]:
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


def cache_key(**parts: Any) -> str:
    """A 16-hex-digit hash of JSON-serialisable ``parts`` (order-free)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def files_fingerprint(paths: Iterable[StrPath]) -> str:
    """Hash of (path, size, mtime) for every file: changes when a file does."""
    h = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        h.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def code_fingerprint(*modules: str) -> str:
    """Hash of the source files of ``modules``: changes when the code computing features does.

    Args:
        *modules: module names (``"keras_specmix.features"``); a package
            counts with every ``.py`` file under it. Nothing is imported.

    Returns:
        str, 16 hex digits.

    Examples:

    >>> len(code_fingerprint("keras_specmix.features"))
    16
    """
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"code_fingerprint: no module named {name!r}")
        if spec.submodule_search_locations:  # a package: every module in it
            root = pathlib.Path(spec.submodule_search_locations[0])
            files = sorted(root.rglob("*.py"))
        else:
            root, files = pathlib.Path(spec.origin).parent, [pathlib.Path(spec.origin)]
        for path in files:
            digest.update(f"{name}:{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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


def write_feature_cache(
    dataset: tf.data.Dataset,
    path: StrPath,
    num_examples: int | None = None,
    shard_size: int = 512,
    progress: bool = True,
    info: Mapping[str, Any] | None = None,
) -> str:
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
        ``path``, as a str.

    Raises:
        ValueError: if the dataset is empty.
        Any error raised while iterating ``dataset``: the temporary folder
        is removed and nothing loadable is left at ``path`` (after a
        SIGKILL, the next call removes it: :func:`remove_stale_temporaries`).

    Examples:
        >>> import os, tempfile
        >>> ds = tf.data.Dataset.from_tensor_slices((tf.zeros([5, 4, 3]), tf.range(5)))
        >>> path = write_feature_cache(ds, os.path.join(tempfile.mkdtemp(), "c"), progress=False)
        >>> sorted(os.listdir(path))
        ['manifest.json', 'shard-00000.tfrecord']
    """
    shard_size = _validation.check_int("shard_size", shard_size, minimum=1)
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent)
    tmp = temporary_path(path)
    os.makedirs(tmp)
    bar = keras.utils.Progbar(num_examples, unit_name="clip") if progress else None
    shards: list[str] = []
    writer: Any = None  # a tf.io.TFRecordWriter from the first example on
    count, shape = 0, None
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
        _faults.point("cache.written")
        try:
            os.rename(tmp, path)
        except OSError:
            # Another process (a job of several, one cache folder) wrote the
            # same cache first: the same key is the same features, use it.
            if read_manifest(path) is None:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        if writer is not None:
            writer.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def read_manifest(path: StrPath) -> dict[str, Any] | None:
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


def read_feature_cache(path: StrPath) -> tf.data.Dataset:
    """Loads a cache written by :func:`write_feature_cache`.

    Args:
        path: the cache folder.

    Returns:
        ``tf.data.Dataset`` of ``(features float32, label int64)`` in the
        order they were written.

    Raises:
        FileNotFoundError: naming ``path`` if it holds no complete cache.

    Examples:
        >>> import os, tempfile
        >>> ds = tf.data.Dataset.from_tensor_slices((tf.zeros([5, 4, 3]), tf.range(5)))
        >>> path = write_feature_cache(ds, os.path.join(tempfile.mkdtemp(), "c"), progress=False)
        >>> cached = read_feature_cache(path)
        >>> [int(label) for _, label in cached], cached.element_spec[0].shape
        ([0, 1, 2, 3, 4], TensorShape([4, 3]))
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
    # Split batches by example under tf.distribute, never by shard file: with
    # the default (file) policy a MirroredStrategy over 2 replicas gives one
    # replica a whole batch and the other an empty one (a crash in fit).
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    ds = ds.with_options(options)
    return ds.apply(tf.data.experimental.assert_cardinality(manifest["num_examples"]))


def cached_features(
    build_fn: Callable[[], tuple[tf.data.Dataset, Mapping[str, Any] | None]],
    cache_dir: StrPath,
    name: str,
    key: str,
    num_examples: int | None = None,
    progress: bool = True,
) -> tuple[tf.data.Dataset, dict[str, Any]]:
    """Loads ``<cache_dir>/<name>-<key>`` and its ``info``, or builds and writes them first.

    Args:
        build_fn: zero-argument callable returning ``(dataset, info)``: the
            ``(features, label)`` dataset to extract and a JSON-serialisable
            dict stored in the manifest (called only on a cache miss).
        cache_dir: the folder that holds caches.
        name: a readable prefix (e.g. "tau2020_mobile-train").
        key: the hash from :func:`cache_key`.
        num_examples: expected count, for the progress bar.
        progress: show a progress bar during extraction.

    Returns:
        ``(dataset, info)``: the cached ``tf.data.Dataset`` and the ``info``
        dict ``build_fn`` gave when the cache was written.

    Examples:
        >>> import tempfile
        >>> pairs = tf.data.Dataset.from_tensor_slices((tf.zeros([2, 3]), tf.range(2)))
        >>> build = lambda: (pairs, {"n": 2})
        >>> folder, key = tempfile.mkdtemp(), cache_key(n=2)
        >>> ds, info = cached_features(build, folder, "demo", key, progress=False)
        >>> len(list(ds)), info
        (2, {'n': 2})
    """
    path = os.path.join(os.fspath(cache_dir), f"{name}-{key}")
    if read_manifest(path) is None:
        if os.path.exists(path):
            shutil.rmtree(path)
        dataset, info = build_fn()
        write_feature_cache(dataset, path, num_examples, progress=progress, info=info)
    manifest = read_manifest(path)
    if manifest is None:  # written just above, or by another process: never absent
        raise RuntimeError(f"The feature cache {path!r} has no manifest after it was written")
    return read_feature_cache(path), manifest["info"]


def cached_dataset(
    build_fn: Callable[[], tf.data.Dataset],
    cache_dir: StrPath,
    name: str,
    key: str,
    num_examples: int | None = None,
    progress: bool = True,
    info: Mapping[str, Any] | None = None,
) -> tf.data.Dataset:
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

    Examples:
        >>> import tempfile
        >>> calls = []
        >>> def build():
        ...     calls.append(1)
        ...     return tf.data.Dataset.from_tensor_slices((tf.zeros([3, 2]), tf.range(3)))
        >>> folder, key = tempfile.mkdtemp(), cache_key(n=3)
        >>> first = cached_dataset(build, folder, "demo", key, progress=False)
        >>> again = cached_dataset(build, folder, "demo", key, progress=False)  # a hit
        >>> len(calls), [int(y) for _, y in again]
        (1, [0, 1, 2])
    """
    build = lambda: (build_fn(), info)  # noqa: E731
    return cached_features(build, cache_dir, name, key, num_examples, progress)[0]
