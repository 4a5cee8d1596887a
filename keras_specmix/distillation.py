"""Knowledge distillation with mixed inputs: teacher targets mixed like the labels.

When a student is trained on MixUp/CutMix/SpecMix inputs, the teacher's
soft targets must be mixed with the *same* partner and λ as the inputs and
labels (the "SoftMixUp" pattern of distillation recipes, e.g. Cai et al.,
DCASE 2024): the teacher saw the unmixed clips, so its probabilities for
example ``b`` and its partner are blended as ``λ·p_b + (1 − λ)·p_partner``.

* ``mix_targets(targets, partners, mix_weights)`` does that for any
  ``(batch, ...)`` targets, with a mixer's ``"partners"`` and
  ``"mix_weights"`` (``return_mix_info=True``), in ``tf.data`` or in a model.
* ``DistillationLoss`` is the usual distillation objective on packed
  targets: ``(1 − w)·CE(y, s) + w·T²·KL(p_teacher ‖ softmax(s / T))``.
* ``DistillationModel(student, mixer, teacher)`` trains a student with
  both: ``fit`` mixes the batch, runs the teacher on the unmixed inputs (or
  reads precomputed teacher logits from the labels) and mixes its
  probabilities at temperature ``T`` with the mixer's partner and λ.
"""

from typing import TYPE_CHECKING
from typing import Any
from typing import Final

import keras

from keras_specmix import _compat
from keras_specmix import _validation
from keras_specmix._keys import LABELS
from keras_specmix._keys import MIX_WEIGHTS
from keras_specmix._keys import PARTNERS
from keras_specmix._keys import SPECTROGRAMS
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend
from keras_specmix.training import MixingModel
from keras_specmix.training import _compile_arguments

if TYPE_CHECKING:
    from keras_specmix.layers.mixing import MixingLayer

#: Key of precomputed teacher logits in a ``fit`` label dict.
TEACHER_LOGITS: Final = "teacher_logits"


def mix_targets(targets: TensorLike, partners: TensorLike, mix_weights: TensorLike) -> Tensor:
    """``λ·t + (1 − λ)·t[partner]`` per example: mixes any targets like the labels.

    Args:
        targets: float ``(batch, ...)``: teacher probabilities, soft labels,
            embeddings. Mix probabilities, not logits, to get the SoftMixUp
            target (a mix of logits is not a mix of distributions).
        partners: int ``(batch,)``, a mixer's ``"partners"``.
        mix_weights: float ``(batch,)``, a mixer's ``"mix_weights"`` (λ).

    Returns:
        A tensor like ``targets`` (float32 for integer targets), on the
        backend of the inputs (TensorFlow in a ``tf.data`` map).

    Examples:
        >>> t = tf.constant([[1.0, 0.0], [0.0, 1.0]])
        >>> mix_targets(t, tf.constant([1, 0]), tf.constant([0.75, 1.0])).numpy().tolist()
        [[0.75, 0.25], [0.0, 1.0]]
    """
    xp = _backend.namespace(targets, partners, mix_weights)
    targets = xp.convert_to_tensor(targets)
    if "float" not in keras.backend.standardize_dtype(targets.dtype):
        targets = xp.cast(targets, "float32")
    rank = len(targets.shape)
    lam = xp.cast(xp.reshape(mix_weights, (-1,) + (1,) * (rank - 1)), targets.dtype)
    other = xp.take(targets, xp.cast(partners, "int32"), axis=0)
    return lam * targets + (1 - lam) * other


@keras.saving.register_keras_serializable(package="keras_specmix")
class DistillationLoss(keras.losses.Loss):
    """Label loss blended with a distillation loss at temperature ``T``.

    ``y_true`` packs ``[y (C), p_teacher (C)]``, float ``(batch, 2·C)``:
    the (mixed) labels and the (mixed) teacher probabilities at temperature
    ``T``. ``y_pred`` are the student's logits ``s`` ``(batch, C)``. Per
    example::

        (1 − w)·CE(y, softmax(s)) + w·T²·KL(p_teacher ‖ softmax(s / T))

    ``T²`` keeps the gradient scale of the soft term independent of ``T``
    (Hinton et al., 2015). Targets of ``C`` columns (``evaluate`` with plain
    labels) give the cross-entropy alone.

    Args:
        temperature: float > 0, ``T``. Defaults to 2.0.
        kd_weight: float in [0, 1], ``w``. Defaults to 0.5.
        name: the loss name. Defaults to ``"distillation"``.
        reduction: as ``keras.losses.Loss``. Defaults to
            ``"sum_over_batch_size"``.
        dtype: the dtype of the loss computations, as ``keras.losses.Loss``.
            Defaults to None (``keras.config.floatx()``).

    Raises:
        ValueError: on an out-of-range argument, or targets with neither
            ``C`` nor ``2·C`` columns.

    Examples:
        >>> import numpy as np
        >>> loss = DistillationLoss(temperature=1.0, kd_weight=1.0)
        >>> p = np.array([[0.5, 0.5]], "float32")
        >>> y = np.concatenate([[[1.0, 0.0]], p], axis=1)
        >>> round(float(loss(y, np.zeros([1, 2], "float32"))), 6)  # KL(p || p) = 0
        0.0
    """

    def __init__(
        self,
        temperature: float = 2.0,
        kd_weight: float = 0.5,
        name: str = "distillation",
        reduction: str | None = "sum_over_batch_size",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.temperature = _validation.check_float("temperature", temperature, 0.0, open_min=True)
        self.kd_weight = _validation.check_float("kd_weight", kd_weight, 0.0, 1.0)

    def call(self, y_true, y_pred):
        classes, columns = y_pred.shape[-1], y_true.shape[-1]
        if classes is None or columns not in (classes, 2 * classes):
            raise ValueError(
                f"DistillationLoss takes targets of {classes} columns (labels) or "
                f"{None if classes is None else 2 * classes} ([labels, teacher "
                f"probabilities]) for {classes}-class logits. Received: "
                f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            )
        y_pred = keras.ops.cast(y_pred, "float32")
        y_true = keras.ops.cast(y_true, "float32")
        labels = y_true[:, :classes]
        ce = keras.losses.categorical_crossentropy(labels, y_pred, from_logits=True)
        if columns == classes:
            return ce
        return (1.0 - self.kd_weight) * ce + self.kd_weight * kd_divergence(
            y_true[:, classes:], y_pred, self.temperature
        )

    def get_config(self):
        config = super().get_config()
        config.update(temperature=self.temperature, kd_weight=self.kd_weight)
        return config


def kd_divergence(
    teacher_probs: TensorLike, student_logits: TensorLike, temperature: float
) -> Tensor:
    """``T²·KL(p_teacher ‖ softmax(s / T))`` per example.

    Args:
        teacher_probs: float ``(batch, C)``, the teacher's probabilities at
            temperature ``T`` (mixed or not); rows sum to 1.
        student_logits: float ``(batch, C)``.
        temperature: float > 0.

    Returns:
        float32 ``(batch,)``; terms with ``p_teacher = 0`` count 0.

    Examples:
        >>> import numpy as np
        >>> p = np.array([[0.2, 0.8]], "float32")
        >>> kl = kd_divergence(p, np.log(p), 1.0)
        >>> bool(abs(float(kl[0])) < 1e-6)
        True
    """
    t = float(temperature)
    p = keras.ops.cast(teacher_probs, "float32")
    log_q = keras.ops.log_softmax(keras.ops.cast(student_logits, "float32") / t, axis=-1)
    log_p = keras.ops.log(keras.ops.maximum(p, 1e-30))
    kl = keras.ops.sum(keras.ops.where(p > 0, p * (log_p - log_q), 0.0), axis=-1)
    return (t * t) * kl


@keras.saving.register_keras_serializable(package="keras_specmix")
class DistillationModel(MixingModel):
    """Trains a student on mixed inputs, mixed labels and mixed teacher targets.

    In ``fit``, each ``(x, y)`` batch goes through ``mixer`` (with
    ``return_mix_info`` switched on); the teacher's logits for the
    *unmixed* batch, from ``teacher`` (run with ``training=False``, never
    trained) or from the labels (``y = {"labels": y, "teacher_logits": t}``,
    precomputed), become probabilities at temperature ``T`` and are mixed
    with the partner and λ the mixer drew (``mix_targets``). The loss is
    ``DistillationLoss(temperature, kd_weight)`` (set by ``compile`` unless
    you pass one) on the student's logits. ``predict``, ``evaluate`` and
    ``export`` are the student's, unaugmented; ``evaluate`` takes plain
    labels and reports the cross-entropy.

    Args:
        model: the student, a ``keras.Model`` mapping spectrograms to class
            logits.
        mixer: a mixing layer (``MixUp``, ``CutMix``, ``SpecMix``,
            ``MixingPolicy``).
        teacher: a ``keras.Model`` mapping the same spectrograms to logits,
            or None (teacher logits in the labels). Its weights are frozen.
        temperature: float > 0, ``T``. Defaults to 2.0.
        kd_weight: float in [0, 1], the weight of the distillation term.
            Defaults to 0.5.
        **kwargs: ``keras.Model`` arguments such as ``name``.

    Raises:
        TypeError: if ``mixer`` is not a mixing layer.
        ValueError: on ``fit`` without teacher logits when ``teacher`` is
            None, or a loss other than a ``DistillationLoss``.

    Examples:
        >>> import keras, numpy as np
        >>> import keras_specmix as ks
        >>> def net(width):
        ...     return keras.Sequential([keras.Input((20, 16, 1)), keras.layers.Flatten(),
        ...                              keras.layers.Dense(width, "relu"), keras.layers.Dense(3)])
        >>> model = ks.DistillationModel(net(4), ks.MixUp(num_classes=3, seed=0),
        ...                              teacher=net(32), temperature=2.0)
        >>> model.compile("adam", metrics=["accuracy"])
        >>> x = np.random.rand(8, 20, 16, 1).astype("float32")
        >>> _ = model.fit(x, np.arange(8) % 3, epochs=1, verbose=0)
        >>> model.predict(x, verbose=0).shape
        (8, 3)
    """

    def __init__(
        self,
        model: keras.Model,
        mixer: "MixingLayer",
        teacher: keras.Model | None = None,
        temperature: float = 2.0,
        kd_weight: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, mixer, **kwargs)
        self.mixer.return_mix_info = True
        self.temperature = _validation.check_float("temperature", temperature, 0.0, open_min=True)
        self.kd_weight = _validation.check_float("kd_weight", kd_weight, 0.0, 1.0)
        self.teacher = teacher
        if teacher is not None:
            teacher.trainable = False

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """``keras.Model.compile``; the loss defaults to this model's ``DistillationLoss``.

        Takes the arguments of ``keras.Model.compile``, positional or by name.

        Raises:
            ValueError: for a loss that is not a ``DistillationLoss``.
        """
        arguments = _compile_arguments(self, args, kwargs)
        loss = arguments.get("loss")
        if loss is None:
            arguments["loss"] = DistillationLoss(self.temperature, self.kd_weight)
        elif not isinstance(loss, DistillationLoss):
            raise ValueError(
                "DistillationModel trains on [labels, teacher probabilities] targets: "
                "leave `loss` out (DistillationLoss(temperature, kd_weight) is used) "
                f"or pass a DistillationLoss. Received: loss={loss!r}"
            )
        super().compile(**arguments)

    def _through_mixer(self, data, training):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        teacher_logits = None
        if isinstance(y, dict):
            teacher_logits = y.get(TEACHER_LOGITS)
            y = y[LABELS]
        if not training or y is None:
            data = keras.utils.pack_x_y_sample_weight(x, y, sample_weight)
            return super()._through_mixer(data, training)
        if teacher_logits is None:
            if self.teacher is None:
                raise ValueError(
                    "DistillationModel needs teacher logits: pass `teacher=` or give "
                    f"labels as {{'labels': y, '{TEACHER_LOGITS}': logits}}."
                )
            teacher_logits = self.teacher(x, training=False)
        teacher_logits = keras.ops.cast(keras.ops.stop_gradient(teacher_logits), "float32")
        teacher_probs = keras.ops.softmax(teacher_logits / self.temperature, axis=-1)
        out = self.mixer({SPECTROGRAMS: x, LABELS: y}, training=True)
        mixed_teacher = mix_targets(teacher_probs, out[PARTNERS], out[MIX_WEIGHTS])
        labels = keras.ops.cast(out[LABELS], "float32")
        packed = keras.ops.concatenate([labels, mixed_teacher], axis=-1)
        return keras.utils.pack_x_y_sample_weight(out[SPECTROGRAMS], packed, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        classes = y_pred.shape[-1]
        if classes is not None and y.shape[-1] == 2 * classes:
            y = y[:, :classes]
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def _symbolic_build(self, iterator=None, data_batch=None):
        # Keras builds the loss and metrics from a raw batch: show it the
        # labels alone when they come with precomputed teacher logits.
        if data_batch is None and iterator is not None:
            data_batch = _compat.first_batch(iterator)
        if data_batch is not None:
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data_batch)
            if isinstance(y, dict):
                data_batch = keras.utils.pack_x_y_sample_weight(x, y[LABELS], sample_weight)
        return super()._symbolic_build(iterator=iterator, data_batch=data_batch)

    def get_config(self):
        config = super().get_config()
        config.update(
            teacher=None
            if self.teacher is None
            else keras.saving.serialize_keras_object(self.teacher),
            temperature=self.temperature,
            kd_weight=self.kd_weight,
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if config.get("teacher") is not None:
            config["teacher"] = keras.saving.deserialize_keras_object(
                config["teacher"], custom_objects=custom_objects
            )
        return super().from_config(config, custom_objects=custom_objects)
