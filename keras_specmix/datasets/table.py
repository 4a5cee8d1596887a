"""`ExampleTable`: the list of examples behind a file-based dataset."""

import dataclasses
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence

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
