"""`ExampleTable`, the examples behind a file-based dataset; `LoadedSplit`, what loaders return."""

import dataclasses
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


@dataclasses.dataclass
class ExampleTable:
    """Files, integer labels, class names and per-example metadata.

    Attributes:
        paths: list of audio file paths, one per example.
        labels: int64 array ``(num_examples,)`` of indices into
            ``class_names``.
        class_names: tuple of class names; the label vocabulary read from
            the dataset's own files, sorted alphabetically.
        metadata: dict of column name -> array ``(num_examples,)`` of str
            (for example ``device``, ``city``, ``location``, ``split``).

    Examples:
        >>> table = ExampleTable.from_rows(["a.wav", "b.wav", "c.wav"], ["dog", "cat", "dog"],
        ...                                {"device": ["x", "y", "x"]})
        >>> table.class_names, table.labels.tolist(), len(table)
        (('cat', 'dog'), [1, 0, 1], 3)
        >>> table.subset([2, 0]).paths
        ['c.wav', 'a.wav']
    """

    paths: list
    labels: np.ndarray
    class_names: tuple
    metadata: dict = dataclasses.field(default_factory=dict)

    def __len__(self):
        return len(self.paths)

    def subset(self, indices: ArrayLike) -> "ExampleTable":
        """The rows at ``indices``, in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        return ExampleTable(
            paths=[self.paths[i] for i in indices],
            labels=self.labels[indices],
            class_names=self.class_names,
            metadata={k: v[indices] for k, v in self.metadata.items()},
        )

    @classmethod
    def from_rows(
        cls,
        paths: Iterable[str],
        label_names: Sequence[str],
        metadata: Mapping[str, ArrayLike] | None = None,
        class_names: Sequence[str] | None = None,
    ) -> "ExampleTable":
        """Builds a table from label strings (vocabulary sorted if not given)."""
        if class_names is None:
            class_names = tuple(sorted(set(label_names)))
        index = {name: i for i, name in enumerate(class_names)}
        labels = np.array([index[name] for name in label_names], dtype=np.int64)
        metadata = {k: np.asarray(v, dtype=str) for k, v in (metadata or {}).items()}
        return cls(list(paths), labels, tuple(class_names), metadata)


_SAME = object()


@dataclasses.dataclass(frozen=True, eq=False)
class LoadedSplit:
    """What a loader returns: the ``tf.data.Dataset`` and what it is made of.

    The dataset is a plain ``tf.data.Dataset``; the class names, the
    per-example metadata, the skipped files and the table of files live here,
    beside it, so no transformation of the dataset can lose them. For code
    written for a dataset, a ``LoadedSplit`` answers the dataset's methods and
    attributes (``batch``, ``map``, ``take``, ``element_spec``, iteration,
    ``len``) with the dataset's: what they return is a plain dataset. Pass
    ``split.dataset`` where a ``tf.data.Dataset`` itself is required
    (``tf.data.Dataset.zip``, ``isinstance``, ``model.fit``).

    Attributes:
        dataset: ``tf.data.Dataset`` of ``(features, label)``, or
            ``(features, label, metadata)`` with ``return_metadata=True``.
        class_names: tuple of str, the label vocabulary.
        metadata: dict of NumPy columns aligned with the elements (``path``
            for files; ``device``, ``city``, ``location``, ... where the
            source has them).
        skipped: list of ``(path, reason)``: unreadable files left out with
            ``on_error="skip"``.
        table: the :class:`ExampleTable` of the files read, or None for
            generated data.

    Examples:

    >>> import tensorflow as tf
    >>> devices = {"device": np.array(list("xyxy"))}
    >>> split = LoadedSplit(tf.data.Dataset.range(4), ("a", "b"), devices)
    >>> split.class_names, len(split), [int(v) for v in split.take(2)]
    (('a', 'b'), 4, [0, 1])
    """

    dataset: Any  # a tf.data.Dataset (this module imports no TensorFlow)
    class_names: tuple[str, ...]
    metadata: dict[str, Any]
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    table: ExampleTable | None = None
    rebuild: Callable[..., "LoadedSplit"] | None = dataclasses.field(default=None, repr=False)
    """``(table, suffix[, cache_dir]) -> LoadedSplit``: the same pipeline over other rows."""

    def subset(self, indices: ArrayLike, suffix: str, cache_dir: Any = _SAME) -> "LoadedSplit":
        """The same pipeline over the rows ``indices`` of :attr:`table` only.

        Only those files are decoded (a process's shard of the training
        files, see :func:`~keras_specmix.datasets.pipeline.shard_indices`).

        Args:
            indices: row indices into :attr:`table`.
            suffix: appended to the dataset's name (its cache folder).
            cache_dir: the feature cache of the subset (default: this
                split's), or None.

        Returns:
            A new :class:`LoadedSplit`.

        Raises:
            ValueError: for a split that was not read from files.
        """
        if self.rebuild is None or self.table is None:
            raise ValueError("`subset` needs a split read from files (it has no table of files).")
        kwargs = {} if cache_dir is _SAME else {"cache_dir": cache_dir}
        return self.rebuild(self.table.subset(indices), suffix, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__") or name == "dataset":  # copies and pickles, half-built objects
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __iter__(self):
        return iter(self.dataset)

    def __len__(self):
        return len(self.dataset)
