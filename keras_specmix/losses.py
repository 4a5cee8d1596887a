"""Loss-side mixing: mix the loss, not the labels, for any Keras loss.

MixUp, CutMix and SpecMix usually train on mixed *targets*,
``L(λ·y + (1 − λ)·y_partner, ŷ)``. Loss-side mixing trains on the mixed
*loss* instead::

    λ·L(y, ŷ) + (1 − λ)·L(y_partner, ŷ)

For cross-entropy with one-hot targets the two are the same number (the
loss is linear in the target); for other losses they differ: binary
cross-entropy for multi-label tagging, focal loss, label-smoothed or
margin losses. Sparse losses are not supported: ``LossMixingModel.compile``
refuses them and ``MixedLoss`` raises on their targets; use the categorical
loss (``LossMixingModel`` one-hot encodes sparse labels given a mixer with
``num_classes``).

Two ways to train with it:

* ``LossMixingModel(model, mixer)``: like ``MixingModel``, ``fit`` mixes each
  batch's inputs, and the compiled loss (any Keras loss, wrapped in
  ``MixedLoss`` for you) is mixed per example with the λ and partner the
  mixer drew. Metrics see the mixed soft labels, as under ``MixingModel``;
  ``evaluate`` and ``predict`` are unaugmented.
* In ``tf.data``: run the mixer with ``return_mix_info=True`` on a dict that
  also carries the unmixed labels under another key (other keys pass
  through a mixer untouched), then ``pack_mixed_targets`` them and compile
  the model with ``MixedLoss(loss)``; see ``docs/new_augmentations.md``.

The packed targets are float ``(batch, 2·C + 1)``:
``[y (C), y[partner] (C), λ (1)]``. ``MixedLoss`` reads them when their last
axis is ``2·C + 1`` for a prediction of ``C`` classes, and plain targets
(``C``) as the unmixed loss, so ``evaluate`` takes ordinary labels.
"""

from collections.abc import Callable
from typing import Any

import keras

from keras_specmix._keys import LABELS
from keras_specmix._keys import MIX_WEIGHTS
from keras_specmix._keys import PARTNERS
from keras_specmix._keys import SPECTROGRAMS
from keras_specmix._typing import Array
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.layers.mixing import MixingLayer
from keras_specmix.ops import _backend
from keras_specmix.training import MixingModel
from keras_specmix.training import _compile_arguments


def pack_mixed_targets(y: Array, partners: TensorLike, mix_weights: TensorLike) -> Tensor:
    """Packs ``[y, y[partners], λ]`` into one float ``(batch, 2·C + 1)`` target.

    Args:
        y: float ``(batch, classes)``, the unmixed (one-hot or multi-hot) labels.
        partners: int ``(batch,)``, the mixer's ``"partners"``.
        mix_weights: float ``(batch,)``, the mixer's ``"mix_weights"`` (λ).

    Returns:
        float ``(batch, 2·classes + 1)`` in ``y``'s float dtype (float32 for
        integer ``y``), on the backend of the inputs: TensorFlow in a
        ``tf.data`` map whatever ``KERAS_BACKEND`` is, like the layers.

    Examples:
        >>> y = tf.constant([[1.0, 0.0], [0.0, 1.0]])
        >>> pack_mixed_targets(y, tf.constant([1, 0]), tf.constant([0.75, 1.0])).numpy().tolist()
        [[1.0, 0.0, 0.0, 1.0, 0.75], [0.0, 1.0, 1.0, 0.0, 1.0]]
    """
    # The backend of the tensors (TensorFlow in a tf.data map, whatever
    # KERAS_BACKEND is), as the layers compute.
    xp = _backend.namespace(y, partners, mix_weights)
    y = xp.convert_to_tensor(y)
    if "float" not in keras.backend.standardize_dtype(y.dtype):
        y = xp.cast(y, "float32")
    partners = xp.cast(partners, "int32")
    lam = xp.cast(xp.reshape(mix_weights, (-1, 1)), y.dtype)
    return xp.concatenate([y, xp.take(y, partners, axis=0), lam], axis=-1)


def unpack_mixed_targets(y_true: Array, num_classes: int) -> tuple[Tensor, Tensor, Tensor]:
    """The inverse of ``pack_mixed_targets``: ``(y, y_partner, λ)``.

    Args:
        y_true: float ``(batch, 2·num_classes + 1)``.
        num_classes: int, C.

    Returns:
        ``(y (batch, C), y_partner (batch, C), lam (batch,))``.

    Examples:
        >>> packed = pack_mixed_targets(tf.eye(2), tf.constant([1, 0]), tf.constant([0.25, 1.0]))
        >>> y, y_partner, lam = unpack_mixed_targets(packed, 2)
        >>> y_partner.numpy().tolist(), lam.numpy().tolist()
        ([[0.0, 1.0], [1.0, 0.0]], [0.25, 1.0])
    """
    c = int(num_classes)
    return y_true[:, :c], y_true[:, c : 2 * c], y_true[:, 2 * c]


def mixed_targets(y_true: Array, num_classes: int) -> Tensor:
    """The mixed soft labels ``λ·y + (1 − λ)·y_partner`` of packed targets.

    Args:
        y_true: float ``(batch, 2·num_classes + 1)``, as from ``pack_mixed_targets``.
        num_classes: int, C.

    Returns:
        float ``(batch, C)``.

    Examples:
        >>> packed = tf.constant([[1.0, 0.0, 0.0, 1.0, 0.25]])
        >>> mixed_targets(packed, 2).numpy().tolist()
        [[0.25, 0.75]]
    """
    y, y_partner, lam = unpack_mixed_targets(y_true, num_classes)
    lam = keras.ops.expand_dims(lam, -1)
    return lam * y + (1 - lam) * y_partner


@keras.saving.register_keras_serializable(package="keras_specmix")
class MixedLoss(keras.losses.Loss):
    """``λ·L(y, ŷ) + (1 − λ)·L(y_partner, ŷ)`` per example, for any Keras loss ``L``.

    ``y_true`` is either packed targets ``(batch, 2·C + 1)`` (see
    ``pack_mixed_targets``), giving the mixed loss, or plain targets
    ``(batch, C)``, giving ``L`` itself (for ``evaluate``). The per-example
    values are reduced like any Keras loss (``reduction``, sample weights).

    Args:
        loss: a Keras loss: a name (``"binary_crossentropy"``), a function
            or a ``keras.losses.Loss`` instance. Its own reduction is not
            used: this loss takes its per-example values.
        name: the loss name. Defaults to ``"mixed_<name of loss>"``.
        reduction: as ``keras.losses.Loss``. Defaults to
            ``"sum_over_batch_size"``.

    Raises:
        ValueError: when ``y_true`` has neither C nor 2·C + 1 columns for a
            C-class prediction.

    Examples:
        >>> bce = keras.losses.BinaryCrossentropy()
        >>> loss = MixedLoss(bce)
        >>> y = tf.constant([[1.0, 0.0], [0.0, 1.0]])
        >>> y_pred = tf.constant([[0.8, 0.3], [0.4, 0.6]])
        >>> packed = pack_mixed_targets(y, tf.constant([1, 0]), tf.constant([0.25, 1.0]))
        >>> expected = (0.25 * bce(y[:1], y_pred[:1]) + 0.75 * bce(y[1:], y_pred[:1])
        ...             + bce(y[1:], y_pred[1:])) / 2
        >>> bool(abs(float(loss(packed, y_pred)) - float(expected)) < 1e-6)
        True
    """

    def __init__(
        self,
        loss: str | Callable[..., Any],
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: str | None = None,
    ) -> None:
        inner = keras.losses.get(loss)
        if inner is None or not callable(inner):
            raise ValueError(
                "`loss` must be a Keras loss (a name, a function or a keras.losses.Loss). "
                f"Received: loss={loss!r}"
            )
        if name is None:
            name = f"mixed_{_name_of(inner)}"
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.loss = inner

    def _per_example(self, y_true, y_pred):
        if isinstance(self.loss, keras.losses.Loss):
            return self.loss.call(y_true, y_pred)
        return self.loss(y_true, y_pred)

    def call(self, y_true, y_pred):
        classes = y_pred.shape[-1]
        columns = y_true.shape[-1]
        if classes is None or columns is None:
            raise ValueError(
                "MixedLoss needs the class axis of the targets and predictions to be "
                f"known. Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            )
        if columns == classes:
            return self._per_example(y_true, y_pred)
        if columns != 2 * classes + 1:
            raise ValueError(
                f"MixedLoss takes targets of {classes} columns (plain) or "
                f"{2 * classes + 1} (packed by pack_mixed_targets) for predictions of "
                f"{classes} classes. Received: y_true.shape={y_true.shape}"
            )
        y, y_partner, lam = unpack_mixed_targets(y_true, classes)
        own = self._per_example(y, y_pred)
        other = self._per_example(y_partner, y_pred)
        lam = keras.ops.cast(lam, own.dtype)
        lam = keras.ops.reshape(lam, (-1,) + (1,) * (len(own.shape) - 1))
        return lam * own + (1 - lam) * other

    def get_config(self):
        config = super().get_config()
        config["loss"] = keras.saving.serialize_keras_object(self.loss)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = keras.saving.deserialize_keras_object(config["loss"])
        return cls(**config)


def _name_of(loss):
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return name or type(loss).__name__.lower()


@keras.saving.register_keras_serializable(package="keras_specmix")
class LossMixingModel(MixingModel):
    """``MixingModel`` that mixes the loss instead of the labels.

    In ``fit`` each ``(x, y)`` batch goes through ``mixer`` (its inputs are
    mixed), and the loss is ``λ·L(y, ŷ) + (1 − λ)·L(y_partner, ŷ)`` per
    example, with the λ and partner the mixer drew (``return_mix_info`` is
    switched on for it). ``compile`` wraps the loss in ``MixedLoss`` (any
    Keras loss: ``"binary_crossentropy"`` for multi-label tagging, focal
    losses, ...); metrics see the mixed soft labels. ``predict``,
    ``evaluate``, ``export`` are the wrapped model's, unaugmented.

    Args:
        model: a ``keras.Model`` mapping spectrograms to class scores.
        mixer: a mixing layer (``MixUp``, ``CutMix``, ``SpecMix``, ``MixingPolicy``).
        **kwargs: ``keras.Model`` arguments such as ``name``.

    Raises:
        TypeError: if ``mixer`` is not a mixing layer.

    Examples:
        >>> import keras, numpy as np
        >>> import keras_specmix as ks
        >>> net = keras.Sequential([keras.Input((20, 16, 1)), keras.layers.Flatten(),
        ...                         keras.layers.Dense(3, activation="sigmoid")])
        >>> model = ks.losses.LossMixingModel(net, ks.CutMix(seed=0))
        >>> model.compile("adam", "binary_crossentropy")
        >>> x = np.random.rand(8, 20, 16, 1).astype("float32")
        >>> y = (np.random.rand(8, 3) > 0.5).astype("float32")   # multi-label
        >>> _ = model.fit(x, y, epochs=1, verbose=0)
        >>> model.predict(x, verbose=0).shape
        (8, 3)
    """

    def __init__(self, model: keras.Model, mixer: MixingLayer, **kwargs: Any) -> None:
        super().__init__(model, mixer, **kwargs)
        self.mixer.return_mix_info = True

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """``keras.Model.compile`` with each loss wrapped in ``MixedLoss``.

        Takes the arguments of ``keras.Model.compile``, positional or by name.
        """
        arguments = _compile_arguments(self, args, kwargs)
        if "loss" in arguments:
            arguments["loss"] = _wrap(arguments["loss"])
        super().compile(**arguments)

    def _through_mixer(self, data, training):
        if not training:
            return super()._through_mixer(data, training)
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            return super()._through_mixer(data, training)
        inputs = {SPECTROGRAMS: x, LABELS: y}
        plain = self.mixer(inputs, training=False)[LABELS]  # one-hot, not mixed
        out = self.mixer(inputs, training=True)
        packed = pack_mixed_targets(plain, out[PARTNERS], out[MIX_WEIGHTS])
        return keras.utils.pack_x_y_sample_weight(out[SPECTROGRAMS], packed, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        classes = y_pred.shape[-1]
        if classes is not None and y.shape[-1] == 2 * classes + 1:
            y = mixed_targets(y, classes)
        return super().compute_metrics(x, y, y_pred, sample_weight)


def _wrap(loss):
    if loss is None or isinstance(loss, MixedLoss):
        return loss
    if isinstance(loss, dict):
        return {k: _wrap(v) for k, v in loss.items()}
    if isinstance(loss, (list, tuple)):
        return type(loss)(_wrap(v) for v in loss)
    return MixedLoss(loss)
