"""One training run: build, fit with validation checkpoints, score the test set once."""

import dataclasses
import os
import time

import keras
import numpy as np
import tensorflow as tf

from keras_specmix import datasets
from keras_specmix.experiments import conditions as conditions_lib
from keras_specmix.experiments import models
from keras_specmix.experiments import optim


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
    """

    dataset: str = "synthetic"
    model: str = "small"
    width: object = None
    epochs: int = 10
    steps_per_epoch: object = None
    batch_size: int = 32
    crop_frames: object = None
    learning_rate: float = 1e-3
    weight_decay: float = 1e-3
    weight_decay_mode: str = "l2"
    lr_milestones: tuple = ()
    eval_batch_size: int = 64
    shuffle_buffer: int = 4096
    jit_compile: object = False
    augmentation: conditions_lib.AugmentationParams = dataclasses.field(
        default_factory=conditions_lib.AugmentationParams
    )

    def to_dict(self):
        """A JSON-ready dict of the settings."""
        out = dataclasses.asdict(self)
        out["lr_milestones"] = list(self.lr_milestones)
        gamma = self.augmentation.gamma
        out["augmentation"]["gamma"] = list(gamma) if isinstance(gamma, tuple) else gamma
        return out


def _one_hot(num_classes):
    return lambda x, y: (x, tf.one_hot(y, num_classes))


def training_dataset(splits, config, seed):
    """Shuffled, repeated, cropped, one-hot, batched training data.

    Args:
        splits: :class:`~keras_specmix.experiments.sources.Splits`.
        config: :class:`RunConfig`.
        seed: run seed (shuffle order and crops).

    Returns:
        An infinite ``tf.data.Dataset`` of ``(x (batch, time, F, C), y
        (batch, classes))`` global batches.
    """
    ds = splits.train.shuffle(
        min(splits.sizes["train"], config.shuffle_buffer), seed=seed, reshuffle_each_iteration=True
    ).repeat()
    if config.crop_frames is not None:
        ds = datasets.random_crop(ds, config.crop_frames, seed=seed)
    ds = ds.map(_one_hot(len(splits.class_names)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(config.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def evaluation_dataset(ds, num_classes, batch_size):
    """Whole clips, one-hot labels, in order."""
    return ds.map(_one_hot(num_classes)).batch(batch_size).prefetch(tf.data.AUTOTUNE)


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


def run_one(splits, config, condition, seed, run_dir, strategy=None, verbose=1):
    """Trains one (condition, seed) and scores the best-validation checkpoint.

    Weights are seeded with ``keras.utils.set_random_seed(seed)``; the
    augmentation layer gets ``seed`` (stateless draws; under a multi-replica
    strategy each replica folds in its replica id); data order and crops use
    ``seed`` too.

    Args:
        splits: :class:`~keras_specmix.experiments.sources.Splits`.
        config: :class:`RunConfig`.
        condition: one of :data:`~keras_specmix.experiments.conditions.CONDITIONS`.
        seed: int >= 0.
        run_dir: folder for this run's checkpoint.
        strategy: a ``tf.distribute.Strategy`` or None (the default one).
        verbose: Keras ``fit`` verbosity (1: progress bars).

    Returns:
        A JSON-ready dict: condition, seed, test accuracy breakdown, best
        epoch, validation history, step timings and wall time.
    """
    start = time.perf_counter()
    strategy = strategy or tf.distribute.get_strategy()
    num_classes = len(splits.class_names)
    time_len, n_mels, channels = splits.feature_shape
    if config.crop_frames is not None and time_len is not None and config.crop_frames > time_len:
        raise ValueError(
            f"`crop_frames` must be <= the clips' {time_len} frames. "
            f"Received: crop_frames={config.crop_frames}"
        )
    steps = config.steps_per_epoch or max(1, splits.sizes["train"] // config.batch_size)
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        classifier = models.build_model(
            config.model, (None, n_mels, channels), num_classes, config.width
        )
        augmentation = conditions_lib.make_augmentation(condition, config.augmentation, seed)
        model = conditions_lib.wrap_model(classifier, augmentation)
        model.compile(
            optimizer=optim.make_optimizer(
                config.learning_rate,
                config.weight_decay,
                config.weight_decay_mode,
                config.lr_milestones,
            ),
            loss=keras.losses.CategoricalCrossentropy(),
            metrics=["accuracy"],
            jit_compile=config.jit_compile,
        )
    os.makedirs(run_dir, exist_ok=True)
    checkpoint = os.path.join(run_dir, "best.weights.h5")
    timer = _TrainTimer()
    history = model.fit(
        training_dataset(splits, config, seed),
        epochs=config.epochs,
        steps_per_epoch=steps,
        shuffle=False,  # the dataset is already shuffled (seeded)
        validation_data=evaluation_dataset(splits.validation, num_classes, config.eval_batch_size),
        callbacks=[
            timer,
            keras.callbacks.ModelCheckpoint(
                checkpoint,
                monitor="val_accuracy",
                mode="max",
                save_best_only=True,
                save_weights_only=True,
            ),
        ],
        verbose=verbose,
    )
    model.load_weights(checkpoint)
    test = evaluation_dataset(splits.test, num_classes, config.eval_batch_size)
    probabilities = classifier.predict(test, verbose=0)
    labels = np.concatenate([np.argmax(y, -1) for _, y in test])
    val_acc = [float(v) * 100 for v in history.history["val_accuracy"]]
    steady = timer.seconds[1:] or timer.seconds
    record = {
        "condition": condition,
        "seed": seed,
        "augmentation_params": config.augmentation.for_condition(condition),
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
        "wall_time_s": time.perf_counter() - start,
    }
    return record
