"""tf.data helpers whose output depends only on the seed and the element.

A Keras layer mapped over a dataset draws its seeds from one shared
variable; with ``num_parallel_calls > 1`` the order of those draws depends on
thread scheduling, so two runs of the same pipeline differ. The helpers here
give every element its own seed instead, taken from a
``tf.data.Dataset.random(seed, rerandomize_each_iteration=True)`` stream
zipped with the data: element ``i`` of epoch ``e`` always gets the same seed,
whatever the parallelism, and each epoch gets new ones.
"""

from typing import Any

import tensorflow as tf

from keras_specmix import _validation
from keras_specmix._keys import LABELS
from keras_specmix._keys import SPECTROGRAMS
from keras_specmix._typing import Augmentation


def element_seeds(seed: int) -> tf.data.Dataset:
    """An endless dataset of shape-``[2]`` int32 seeds, new each epoch.

    Args:
        seed: int >= 0.

    Returns:
        A ``tf.data.Dataset`` of int32 tensors of shape ``[2]``.

    Examples:
        >>> seeds = element_seeds(7)
        >>> first = [s.numpy().tolist() for s in seeds.take(2)]
        >>> first == [s.numpy().tolist() for s in element_seeds(7).take(2)]  # reproducible
        True
        >>> first[0] != first[1], len(first[0])  # a new seed per element
        (True, 2)
    """
    seed = _validation.check_int("seed", seed, minimum=0)
    stream = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return stream.batch(2).map(lambda s: tf.cast(s % (2**31 - 1), tf.int32))


def _to_dict(element):
    """``(x, y)`` or ``(x, y, w)`` tuples and bare tensors -> the layer dict."""
    if isinstance(element, dict):
        return element, "dict"
    if isinstance(element, tuple):
        if len(element) not in (2, 3):
            raise ValueError(
                "Dataset elements must be x, (x, y), (x, y, sample_weight) or a "
                f"dict. Received a tuple of {len(element)} items."
            )
        data = {SPECTROGRAMS: element[0], LABELS: element[1]}
        if len(element) == 3:
            data["sample_weights"] = element[2]
        return data, "tuple"
    return element, "tensor"


def _from_dict(data, kind):
    if kind == "tuple":
        out: tuple[Any, ...] = (data[SPECTROGRAMS], data[LABELS])
        if "sample_weights" in data:
            out += (data["sample_weights"],)
        return out
    return data


def augment_dataset(
    dataset: tf.data.Dataset,
    augmentation: Augmentation,
    seed: int,
    num_parallel_calls: int = tf.data.AUTOTUNE,
) -> tf.data.Dataset:
    """Maps an augmentation layer over a dataset of *batches*, reproducibly.

    Args:
        dataset: a ``tf.data.Dataset`` of batches: ``(x, y)``,
            ``(x, y, sample_weight)``, a dict with ``"spectrograms"`` (and
            ``"labels"``), or a bare ``x`` for layers that need no labels.
        augmentation: a ``keras_specmix`` layer (anything with
            ``augment(inputs, seed)``).
        seed: int >= 0, the pipeline's seed.
        num_parallel_calls: passed to ``Dataset.map``; the result does not
            depend on it.

    Returns:
        A dataset with the same element structure; labels become float
        ``(batch, classes)`` for mixing layers.

    Raises:
        TypeError: if ``augmentation`` has no ``augment`` method.

    Examples:
        >>> import keras_specmix as ks
        >>> x = tf.random.normal([64, 100, 40, 1])
        >>> y = tf.range(64) % 4
        >>> ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
        >>> ds = ks.data.augment_dataset(ds, ks.SpecMix(num_classes=4), seed=7)
        >>> [tuple(t.shape) for t in next(iter(ds))]
        [(16, 100, 40, 1), (16, 4)]
    """
    if not callable(getattr(augmentation, "augment", None)):
        raise TypeError(
            "`augmentation` must be a keras_specmix layer with an `augment` "
            f"method. Received: augmentation={augmentation!r}"
        )

    def apply(element, element_seed):
        data, kind = _to_dict(element)
        return _from_dict(augmentation.augment(data, element_seed), kind)

    zipped = tf.data.Dataset.zip((dataset, element_seeds(seed)))
    return zipped.map(apply, num_parallel_calls=num_parallel_calls, deterministic=True)
