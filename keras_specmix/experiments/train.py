"""One training run: build, fit with validation checkpoints, score the test set once."""

import dataclasses
import os
import time
from typing import TYPE_CHECKING
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_specmix import _faults as faults
from keras_specmix import datasets
from keras_specmix.data import augment_dataset
from keras_specmix.datasets import pipeline
from keras_specmix.experiments import conditions as conditions_lib
from keras_specmix.experiments import models
from keras_specmix.experiments import optim
from keras_specmix.layers.base import LABELS
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.device_impulse_response import ELIGIBLE

if TYPE_CHECKING:
    from keras_specmix.experiments.distribute import KerasDistribution
    from keras_specmix.experiments.sources import Splits


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Settings shared by every run of a comparison.

    Attributes:
        dataset: dataset name (for the record and the paper's row).
        model: a name of :data:`~keras_specmix.experiments.models.MODELS`.
        width: model width (None: the model's default).
        epochs: number of epochs (each ends with a validation pass).
        steps_per_epoch: training steps per epoch; None: one pass over the
            training split (``train_size // batch_size``).
        batch_size: global batch size (split across replicas).
        crop_frames: random crop length for training (the paper: 400 of
            423 frames); None trains on whole clips. Evaluation always uses
            whole clips.
        learning_rate: Adam learning rate.
        weight_decay: weight decay coefficient.
        weight_decay_mode: "l2" (PyTorch Adam, the paper) or "decoupled".
        lr_milestones: steps where the learning rate drops ×0.1 (tuple).
        eval_batch_size: batch size of validation and test passes.
        shuffle_buffer: cap of the training shuffle buffer.
        jit_compile: passed to ``compile`` (True, False or "auto").
        augmentation: :class:`~keras_specmix.experiments.conditions.AugmentationParams`.
        augment_in: where the augmentation runs: ``"model"`` (each
            condition's placement: inside the compiled training step,
            :func:`~keras_specmix.experiments.conditions.wrap_model`, unless
            the condition goes in ``tf.data``) or ``"data"`` (every condition
            in ``tf.data``, on each process's own batches, with
            :func:`keras_specmix.data.augment_dataset`).
    """

    dataset: str = "synthetic"
    model: str = "small"
    width: object = None
    epochs: int = 10
    steps_per_epoch: int | None = None
    batch_size: int = 32
    crop_frames: object = None
    learning_rate: float = 1e-3
    weight_decay: float = 1e-3
    weight_decay_mode: str = "l2"
    lr_milestones: tuple = ()
    eval_batch_size: int = 64
    shuffle_buffer: int = 4096
    jit_compile: object = False
    augmentation: Any = dataclasses.field(  # a conditions.AugmentationParams
        default_factory=conditions_lib.AugmentationParams
    )
    augment_in: str = "model"

    def to_dict(self):
        """A JSON-ready dict of the settings."""
        out = dataclasses.asdict(self)
        if out["augment_in"] == "model":  # the default: earlier results keep their keys
            del out["augment_in"]
        out["lr_milestones"] = list(self.lr_milestones)
        gamma = self.augmentation.gamma
        out["augmentation"]["gamma"] = list(gamma) if isinstance(gamma, tuple) else gamma
        return out


def _one_hot(num_classes):
    return lambda x, y: (x, tf.one_hot(y, num_classes))


def process_seed(seed, num_processes=1, process_index=0):
    """The data seed of one process: ``seed`` itself on one process.

    With several processes each gets its own seed, derived from
    ``(seed, process_index)`` by NumPy's ``SeedSequence``, so their shuffles,
    crops and augmentation draws differ, and a run stays reproducible from
    ``seed`` for a fixed process count.

    Args:
        seed: int >= 0, the run seed.
        num_processes: int >= 1.
        process_index: int in ``[0, num_processes)``.

    Returns:
        int in ``[0, 2**31 - 1)``.

    Examples:

    >>> process_seed(7)
    7
    >>> process_seed(7, 2, 0) != process_seed(7, 2, 1)
    True
    """
    if num_processes == 1:
        return seed
    state = np.random.SeedSequence([seed, process_index]).generate_state(1)[0]
    return int(state % (2**31 - 1))


def training_dataset(splits, config, seed, augmentation=None, eligible=None):
    """Shuffled, repeated, cropped, one-hot, batched (and augmented) training data.

    When ``splits.train`` is one process's shard (``splits.shard`` is
    ``(n, index)``), the batches are that process's ``batch_size / n``
    examples of each global batch, and the seeds are
    :func:`process_seed`'s.

    Args:
        splits: :class:`~keras_specmix.experiments.splits.Splits`.
        config: :class:`RunConfig`.
        seed: run seed (shuffle order, crops and augmentation draws).
        augmentation: None, or a ``keras_specmix`` layer applied to each
            batch in ``tf.data`` (``config.augment_in == "data"``).
        eligible: None, or a bool array aligned with ``splits.train`` (this
            shard's examples, in order): the augmentation gets it as the
            ``"eligible"`` entry of a dict batch (DIR changes only those
            clips; :func:`eligible_examples`).

    Returns:
        An infinite ``tf.data.Dataset`` of ``(x (batch, time, F, C), y
        (batch, classes))`` batches.
    """
    num_processes, index = splits.shard or (1, 0)
    seed = process_seed(seed, num_processes, index)
    ds = splits.train
    if eligible is not None:
        if augmentation is None:
            raise ValueError("`eligible` is read by an augmentation in tf.data; none was given")
        column = tf.data.Dataset.from_tensor_slices(np.asarray(eligible, bool))
        ds = tf.data.Dataset.zip((ds, column)).map(lambda xy, e: (xy[0], xy[1], e))
    ds = ds.shuffle(
        min(splits.shard_size, config.shuffle_buffer), seed=seed, reshuffle_each_iteration=True
    ).repeat()
    if config.crop_frames is not None:
        ds = datasets.random_crop(ds, config.crop_frames, seed=seed)
    one_hot = _one_hot(len(splits.class_names))
    ds = ds.map(lambda x, y, *rest: (*one_hot(x, y), *rest), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(config.batch_size // num_processes, drop_remainder=True)
    if eligible is not None:
        ds = ds.map(lambda x, y, e: {SPECTROGRAMS: x, LABELS: y, ELIGIBLE: e})
    if augmentation is not None:
        ds = augment_dataset(ds, augmentation, seed)
    if eligible is not None:
        ds = ds.map(lambda d: (d[SPECTROGRAMS], d[LABELS]))
    return ds.prefetch(tf.data.AUTOTUNE)


def eligible_examples(splits, devices, condition):
    """Which training examples (of this process's shard) a device-reading condition may change.

    Args:
        splits: :class:`~keras_specmix.experiments.splits.Splits`.
        devices: the eligible device names
            (:func:`~keras_specmix.experiments.conditions.eligible_devices`).
        condition: the condition's name (for the messages).

    Returns:
        A bool array aligned with ``splits.train``.

    Raises:
        ValueError: when the dataset has no ``device`` metadata, or none of
            its training clips is from ``devices`` (the layer would never
            apply).
    """
    column = splits.train_metadata.get("device")
    if column is None:
        raise ValueError(
            f"condition {condition} changes only the clips of devices {', '.join(devices)} "
            "(--dir-devices), but this dataset has no device metadata"
        )
    column = np.asarray(column).astype(str)
    if splits.shard is not None:  # train_metadata is the whole split, train one shard of it
        column = column[pipeline.shard_indices(len(column), *splits.shard)]
    eligible = np.isin(column, np.asarray(devices, str))
    if not eligible.any():
        raise ValueError(
            f"condition {condition} changes only the clips of devices {', '.join(devices)} "
            f"(--dir-devices), and no training clip is from them; the training devices "
            f"are {', '.join(sorted(set(column.tolist())))}"
        )
    return eligible


def _pad_to_multiple(multiple):
    """A map function: pads a batch with zero examples of weight 0 to a multiple of ``multiple``."""

    def pad(x, y):
        n = tf.shape(x)[0]
        extra = (-n) % multiple
        weights = tf.concat([tf.ones([n]), tf.zeros([extra])], axis=0)
        pad_rows = lambda t: tf.pad(t, [[0, extra]] + [[0, 0]] * (t.shape.rank - 1))  # noqa: E731
        return pad_rows(x), pad_rows(y), weights

    return pad


def padded_per_pass(num_examples, batch_size, multiple):
    """Zero-weight examples :func:`evaluation_dataset` adds over one pass.

    Examples:

    >>> padded_per_pass(7, 3, 2)  # batches of 3, 3 and 1, each padded to 4, 4 and 2
    3
    """
    sizes = [min(batch_size, num_examples - k) for k in range(0, num_examples, batch_size)]
    return sum(-b % multiple for b in sizes)


def evaluation_dataset(ds, num_classes, batch_size, pad_to=1):
    """Whole clips, one-hot labels, in order.

    Args:
        ds: unbatched ``(features, label)`` dataset.
        num_classes: int, for the one-hot labels.
        batch_size: int, examples per batch (the last batch may be smaller).
        pad_to: int >= 1. Above 1, each batch is padded with all-zero
            examples to a multiple of ``pad_to`` (the devices a batch is
            split over, which must divide it) and the batches become
            ``(x, y, sample_weight)`` with weight 1 for the real examples
            and 0 for the padding: weighted metrics count every real
            example exactly once and the padding not at all
            (:func:`padded_per_pass` says how many were added).

    Returns:
        A ``tf.data.Dataset`` of ``(x, y)`` batches, or ``(x, y, weight)``
        when ``pad_to > 1``.
    """
    ds = ds.map(_one_hot(num_classes)).batch(batch_size)
    if pad_to > 1:
        ds = ds.map(_pad_to_multiple(pad_to))
    return ds.prefetch(tf.data.AUTOTUNE)


class _EpochFaultPoint(keras.callbacks.Callback):
    """Fault point ``run.epoch`` after each epoch and its checkpoint (:mod:`.faults`)."""

    def on_epoch_end(self, epoch, logs=None):
        faults.point("run.epoch")


class _TrainTimer(keras.callbacks.Callback):
    """Seconds spent in training batches per epoch (validation excluded)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._stopped = time.perf_counter(), False

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()

    def _stop(self):
        if not self._stopped:
            self.seconds.append(time.perf_counter() - self._start)
            self._stopped = True


def accuracy_breakdown(probabilities, labels, class_names, devices=None, seen=()):
    """Overall, per-class and per-device accuracy (percent).

    Args:
        probabilities: ``(n, classes)`` predictions.
        labels: ``(n,)`` int labels.
        class_names: names of the classes.
        devices: ``(n,)`` device of each example, or None.
        seen: devices present in training; the others count as unseen.

    Returns:
        ``{"accuracy", "per_class", "confusion_matrix" (rows: true class,
        columns: predicted, counts), "per_device", "seen_devices",
        "seen_devices_accuracy", "unseen_devices_accuracy"}`` (device entries
        None without devices).

    Examples:

    >>> out = accuracy_breakdown(np.eye(2)[[0, 1, 1]], np.array([0, 1, 0]),
    ...                          ("a", "b"), np.array(["x", "x", "y"]), ["x"])
    >>> round(out["accuracy"], 2), out["per_device"], out["unseen_devices_accuracy"]
    (66.67, {'x': 100.0, 'y': 0.0}, 0.0)
    """
    predicted = np.argmax(probabilities, axis=-1)
    correct = predicted == np.asarray(labels)
    pct = lambda mask: float(100.0 * correct[mask].mean()) if mask.any() else None  # noqa: E731
    labels = np.asarray(labels)
    out = {
        "accuracy": pct(np.ones_like(correct)),
        "per_class": {name: pct(labels == i) for i, name in enumerate(class_names)},
        "confusion_matrix": tf.math.confusion_matrix(
            labels, predicted, num_classes=len(class_names)
        )
        .numpy()
        .tolist(),
        "per_device": None,
        "seen_devices": None,
        "seen_devices_accuracy": None,
        "unseen_devices_accuracy": None,
    }
    if devices is not None:
        devices = np.asarray(devices).astype(str)
        out["per_device"] = {d: pct(devices == d) for d in sorted(set(devices.tolist()))}
        out["seen_devices"] = sorted(str(d) for d in seen)
        is_seen = np.isin(devices, np.asarray(list(seen), str))
        out["seen_devices_accuracy"] = pct(is_seen)
        out["unseen_devices_accuracy"] = pct(~is_seen)
    return out


def run_one(
    splits: "Splits",
    config: "RunConfig",
    condition: str,
    seed: int,
    run_dir: str | os.PathLike[str],
    strategy: "tf.distribute.Strategy | KerasDistribution | None" = None,
    verbose: int = 1,
) -> dict[str, Any] | None:
    """Trains one (condition, seed) and scores the best-validation checkpoint.

    Weights are seeded with ``keras.utils.set_random_seed(seed)``; the
    augmentation layer gets ``seed`` (stateless draws; under a multi-replica
    strategy each replica folds in its replica id); data order and crops use
    ``seed`` too (each process its :func:`process_seed`).

    Under a :class:`~keras_specmix.experiments.distribute.KerasDistribution`
    of several processes every process trains (its own shard, its part of
    each global batch) and keeps its own copy of the best checkpoint in its
    ``run_dir``; process 0 alone scores the test set, on a local copy of the
    classifier, and the others return None.

    Args:
        splits: :class:`~keras_specmix.experiments.splits.Splits`.
        config: :class:`RunConfig`.
        condition: one of :data:`~keras_specmix.experiments.conditions.CONDITIONS`.
        seed: int >= 0.
        run_dir: folder for this run's checkpoint (local to the process).
        strategy: a ``tf.distribute.Strategy``, a ``KerasDistribution`` or
            None (the default one).
        verbose: Keras ``fit`` verbosity (1: progress bars).

    Returns:
        A JSON-ready dict: condition, seed, test accuracy breakdown, best
        epoch, validation history, step timings, process and device counts
        and wall time (None on processes other than 0).
    """
    from keras_specmix.experiments import distribute  # noqa: PLC0415

    start = time.perf_counter()
    strategy = strategy or tf.distribute.get_strategy()
    num_processes = distribute.process_count(strategy)
    lead = distribute.process_index(strategy) == 0
    num_classes = len(splits.class_names)
    time_len, n_mels, channels = splits.feature_shape
    if config.crop_frames is not None and time_len is not None and config.crop_frames > time_len:
        raise ValueError(
            f"`crop_frames` must be <= the clips' {time_len} frames. "
            f"Received: crop_frames={config.crop_frames}"
        )
    if config.batch_size % strategy.num_replicas_in_sync:
        raise ValueError(
            f"`batch_size` must be a multiple of the {strategy.num_replicas_in_sync} "
            f"devices ({num_processes} process(es)). Received: batch_size={config.batch_size}"
        )
    steps = config.steps_per_epoch or max(1, splits.sizes["train"] // config.batch_size)
    keras.utils.set_random_seed(seed)  # the same initial weights on every process
    augmentation = conditions_lib.make_augmentation(condition, config.augmentation, seed)
    in_data = conditions_lib.placement(condition, config.augment_in) == "data"
    devices = conditions_lib.eligible_devices(condition, config.augmentation)
    eligible = None if devices is None else eligible_examples(splits, devices, condition)
    build = lambda: models.build_model(  # noqa: E731
        config.model, (None, n_mels, channels), num_classes, config.width
    )
    with strategy.scope():
        classifier = build()
        model = (
            classifier
            if in_data
            else conditions_lib.wrap_model(classifier, augmentation, condition)
        )
        model.compile(
            optimizer=optim.make_optimizer(
                config.learning_rate,
                config.weight_decay,
                config.weight_decay_mode,
                config.lr_milestones,
            ),
            loss=keras.losses.CategoricalCrossentropy(),
            # Weighted: the zero-weight padding of validation batches is not counted.
            weighted_metrics=["accuracy"],
            jit_compile=config.jit_compile,
        )
    # keras.distribution splits every batch over this process's devices: the
    # validation batches are padded to a multiple of them (zero weight).
    pad_to = getattr(strategy, "num_local_devices", 1)
    os.makedirs(run_dir, exist_ok=True)
    checkpoint = os.path.join(run_dir, "best.weights.h5")
    timer = _TrainTimer()
    faults.point("run.start")
    with strategy.scope():
        history = model.fit(
            training_dataset(splits, config, seed, augmentation if in_data else None, eligible),
            epochs=config.epochs,
            steps_per_epoch=steps,
            shuffle=False,  # the dataset is already shuffled (seeded)
            validation_data=evaluation_dataset(
                splits.validation, num_classes, config.eval_batch_size, pad_to
            ),
            callbacks=[
                timer,
                keras.callbacks.ModelCheckpoint(
                    checkpoint,
                    monitor="val_accuracy",
                    mode="max",
                    save_best_only=True,
                    save_weights_only=True,
                ),
                _EpochFaultPoint(),
            ],
            verbose=verbose,
        )
        model.load_weights(checkpoint)
        if num_processes > 1:  # its arrays span every process: score a local copy
            best = os.path.join(run_dir, "best_classifier.weights.h5")
            classifier.save_weights(best)
    if not lead:
        return None
    if num_processes > 1:
        classifier = build()
        classifier.load_weights(best)
    test = evaluation_dataset(splits.test, num_classes, config.eval_batch_size)
    probabilities = classifier.predict(test, verbose=0)
    labels = np.concatenate([np.argmax(y, -1) for _, y in test])
    faults.point("run.scored")
    val_acc = [float(v) * 100 for v in history.history["val_accuracy"]]
    steady = timer.seconds[1:] or timer.seconds
    record = {
        "condition": condition,
        "seed": seed,
        "augmentation_params": conditions_lib.record_config(augmentation),
        **accuracy_breakdown(
            probabilities,
            labels,
            splits.class_names,
            splits.test_metadata.get("device"),
            splits.seen_devices,
        ),
        "best_epoch": int(np.argmax(val_acc)) + 1,
        "best_validation_accuracy": max(val_acc),
        "validation_accuracy_per_epoch": val_acc,
        "train_loss_per_epoch": [float(v) for v in history.history["loss"]],
        "steps_per_epoch": steps,
        "train_steps_per_second": steps * len(steady) / sum(steady),
        "num_replicas": strategy.num_replicas_in_sync,
        "per_replica_batch_size": config.batch_size // strategy.num_replicas_in_sync,
        "num_processes": num_processes,
        "num_devices": strategy.num_replicas_in_sync,
        "per_process_batch_size": config.batch_size // num_processes,
        "validation_padding": None
        if pad_to == 1
        else {
            "devices": pad_to,
            "padded_examples_per_pass": padded_per_pass(
                splits.sizes["validation"], config.eval_batch_size, pad_to
            ),
            "weight": 0.0,
        },
        "wall_time_s": time.perf_counter() - start,
    }
    return record
