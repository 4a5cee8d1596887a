"""Random time crops with explicit stateless seeds (the paper's 400 frames)."""

import tensorflow as tf

from keras_specmix import _validation
from keras_specmix._typing import TensorLike


def crop_time(features: TensorLike, length: int, seed: TensorLike) -> tf.Tensor:
    """Crops ``length`` consecutive frames at a seeded uniform offset.

    Args:
        features: tensor ``(time, ...)`` (one example, time first).
        length: frames to keep (Python int).
        seed: shape-``[2]`` int32/int64 tensor, a stateless seed.

    Returns:
        Tensor ``(length, ...)``; the offset is uniform in
        ``[0, time - length]``. Same seed -> same crop.

    Raises:
        InvalidArgumentError: at run time if ``time < length``.

    Examples:
        >>> frames = tf.reshape(tf.range(10), [10, 1])
        >>> crop_time(frames, 4, tf.constant([0, 1])).numpy().ravel().tolist()
        [3, 4, 5, 6]
    """
    features = tf.convert_to_tensor(features)
    time = tf.shape(features)[0]
    check = tf.debugging.assert_greater_equal(
        time, length, message=f"random crop: fewer frames than length={length}"
    )
    with tf.control_dependencies([check]):
        offset = tf.random.stateless_uniform(
            [], seed=seed, minval=0, maxval=time - length + 1, dtype=tf.int32
        )
    cropped = features[offset : offset + length]
    cropped.set_shape([length] + features.shape[1:].as_list())
    return cropped


def random_crop(dataset: tf.data.Dataset, length: int = 400, seed: int = 0) -> tf.data.Dataset:
    """Maps a random ``length``-frame crop over an unbatched dataset.

    Element ``i`` is cropped with the seed ``fold_in([seed, 0], i)``, so the
    result depends only on ``seed`` and the element's position: it is the
    same at every ``num_parallel_calls``, and a repeated dataset
    (``ds.repeat()`` before this call) gets fresh crops every epoch.

    Args:
        dataset: ``tf.data.Dataset`` whose elements are ``(features, label)``
            or ``(features, label, metadata)`` with features
            ``(time, freq, channels)``.
        length: frames to keep. Defaults to 400 (the paper).
        seed: int >= 0. Defaults to 0.

    Returns:
        The mapped dataset; features become ``(length, freq, channels)``.

    Examples:

    >>> ds = tf.data.Dataset.from_tensors((tf.zeros([423, 128, 3]), 0))
    >>> next(iter(random_crop(ds, 400, seed=1)))[0].shape
    TensorShape([400, 128, 3])
    """
    length = _validation.check_int("length", length, minimum=1)
    seed = _validation.check_int("seed", seed, minimum=0)
    base = tf.constant([seed, 0], tf.int64)

    def crop(index, element):
        element_seed = tf.random.experimental.stateless_fold_in(base, index)
        return (crop_time(element[0], length, element_seed),) + tuple(element[1:])

    return dataset.enumerate().map(crop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
