"""Mixing inside a model: ``fit`` mixes inputs and labels, inference does not.

A layer inside a model never sees the labels, so a mixing layer cannot live
in the forward pass. Instead the mixing happens in ``train_step``, on the
``(x, y)`` batch, before the usual Keras step. ``predict``, ``evaluate``,
``export`` and the exported serving function run the plain forward pass, so
they are the identity with respect to the augmentation.
"""

import inspect
from typing import TYPE_CHECKING
from typing import Any

import keras

from keras_specmix import _compat
from keras_specmix._keys import LABELS
from keras_specmix._keys import SPECTROGRAMS

if TYPE_CHECKING:
    # What the mixin is mixed into, for the type checker; at run time its base is object.
    from keras import Model as _Model

    from keras_specmix.layers.mixing import MixingLayer
else:
    _Model = object


class MixingTrainStepMixin(_Model):
    """Mixin for ``keras.Model`` subclasses: ``fit`` mixes each batch first.

    The class using it sets ``self.mixer`` (a ``MixUp``, ``CutMix`` or
    ``SpecMix`` layer) and lists the mixin before ``keras.Model``. Labels
    come out as float ``(batch, classes)``, so compile with a loss that takes
    soft targets, such as ``"categorical_crossentropy"``; ``evaluate`` takes
    the same labels as ``fit`` (sparse ones are one-hot encoded, not mixed).
    Sample weights, if given, stay with the example they belong to (the base
    of the mix). Works under ``tf.distribute`` strategies: each replica mixes
    its own shard with its own randomness.

    Examples:
        >>> import keras
        >>> import keras_specmix as ks
        >>> class MixedClassifier(ks.MixingTrainStepMixin, keras.Sequential):
        ...     def __init__(self, layers, mixer):
        ...         super().__init__(layers)
        ...         self.mixer = mixer
        >>> model = MixedClassifier(
        ...     [keras.layers.Flatten(), keras.layers.Dense(3, "softmax")],
        ...     ks.MixUp(num_classes=3, seed=0))
    """

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """``keras.Model.compile``, refusing losses that cannot take mixed labels.

        Takes the arguments of ``keras.Model.compile``, positional or by name.

        Raises:
            ValueError: for a sparse categorical loss: mixed labels are soft
                ``(batch, classes)`` targets, so use
                ``"categorical_crossentropy"`` (sparse or one-hot labels in
                the dataset both work with it here).
            TypeError: for arguments ``keras.Model.compile`` does not take.
        """
        arguments = _compile_arguments(self, args, kwargs)
        for item in _flatten_losses(arguments.get("loss")):
            name = _loss_name(item)
            if name and "sparse" in name.lower():
                raise ValueError(
                    f"{type(self).__name__} trains on mixed labels, which are soft "
                    "(batch, classes) targets: a sparse loss cannot read them. Use "
                    "loss='categorical_crossentropy' (or keras.losses."
                    "CategoricalCrossentropy()); the dataset may keep sparse "
                    f"labels, they are one-hot encoded before mixing. Received: loss={item!r}"
                )
        super().compile(**arguments)

    def _through_mixer(self, data, training):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            if training:
                raise ValueError(
                    f"{type(self).__name__} mixes labels: `fit` needs (x, y) "
                    "batches. Received batches without labels."
                )
            return data
        out = self.mixer({SPECTROGRAMS: x, LABELS: y}, training=training)
        return keras.utils.pack_x_y_sample_weight(out[SPECTROGRAMS], out[LABELS], sample_weight)

    def train_step(self, *args):
        # Each backend's trainer has its own signature: (data) on TensorFlow
        # and PyTorch, (state, data) on JAX, whose step is a pure function.
        if keras.backend.backend() == "jax":
            state, data = args
            state, data = self._mix_stateless(state, data)
            return super().train_step(state, data)
        (data,) = args
        return super().train_step(self._through_mixer(data, training=True))

    def test_step(self, *args):
        # Not mixed; sparse labels are one-hot encoded as in `fit`, so
        # `evaluate` takes the same labels as `fit`.
        *state, data = args
        return super().test_step(*state, self._through_mixer(data, training=False))

    def _mix_stateless(self, state, data):
        """JAX: mixes ``data`` with the mixer's seed state taken from ``state``.

        The JAX step is traced once and run as a pure function of its state,
        so the mixer reads its seed state from the non-trainable variables
        of ``state`` and the advanced value goes back into the new state:
        every step draws anew instead of repeating the draws of the trace.
        """
        trainable, non_trainable, *rest = state
        mapping = list(zip(self.non_trainable_variables, non_trainable))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            data = self._through_mixer(data, training=True)
        updated = []
        for variable, value in mapping:
            new = scope.get_current_value(variable)
            updated.append(value if new is None else new)
        return (trainable, updated, *rest), data

    def _symbolic_build(self, iterator=None, data_batch=None):
        # Keras builds the loss and metrics from a raw batch before any
        # train_step: show it the labels as train_step will produce them,
        # float (batch, classes), without running the mixer.
        if data_batch is None and iterator is not None:
            data_batch = _compat.first_batch(iterator)
        if data_batch is not None:
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data_batch)
            num_classes = getattr(self.mixer, "num_classes", None)
            if y is not None and len(y.shape) == 1 and num_classes is not None:
                y = keras.KerasTensor((y.shape[0], num_classes), "float32")
                data_batch = keras.utils.pack_x_y_sample_weight(x, y, sample_weight)
        return super()._symbolic_build(iterator=iterator, data_batch=data_batch)


@keras.saving.register_keras_serializable(package="keras_specmix")
class MixingModel(MixingTrainStepMixin, keras.Model):
    """Wraps a classifier so that ``fit`` trains it on mixed batches.

    ``MixingModel(model, mixer)`` behaves like ``model`` in ``predict``,
    ``evaluate``, ``export`` and serving (no augmentation at all); in ``fit``
    each ``(x, y)`` batch goes through ``mixer`` (inputs and labels) before
    the training step. It saves to ``.keras`` with both parts.

    Args:
        model: a ``keras.Model`` mapping spectrograms to class scores.
        mixer: a mixing layer (``MixUp``, ``CutMix``, ``SpecMix``).
        **kwargs: ``keras.Model`` arguments such as ``name``.

    Raises:
        TypeError: if ``mixer`` is not a mixing layer.

    Examples:
        >>> import keras, numpy as np
        >>> import keras_specmix as ks
        >>> net = keras.Sequential([keras.Input((20, 16, 1)),
        ...                         keras.layers.Flatten(),
        ...                         keras.layers.Dense(3, activation="softmax")])
        >>> model = ks.MixingModel(net, ks.SpecMix(gamma=0.3, num_classes=3, seed=0))
        >>> model.compile("adam", "categorical_crossentropy")
        >>> x = np.random.rand(8, 20, 16, 1).astype("float32")
        >>> y = np.arange(8) % 3
        >>> _ = model.fit(x, y, epochs=1, verbose=0)
        >>> model.predict(x, verbose=0).shape
        (8, 3)
    """

    def __init__(self, model: keras.Model, mixer: "MixingLayer", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from keras_specmix.layers.mixing import MixingLayer

        if not isinstance(mixer, MixingLayer):
            raise TypeError(
                "`mixer` must be a keras_specmix mixing layer (MixUp, CutMix, "
                f"SpecMix). Received: mixer={mixer!r}"
            )
        self.inner_model = model
        self.mixer = mixer

    def call(self, inputs, training=None):
        return self.inner_model(inputs, training=training)

    def get_config(self):
        return {
            "name": self.name,
            "model": keras.saving.serialize_keras_object(self.inner_model),
            "mixer": keras.saving.serialize_keras_object(self.mixer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(
            config["model"], custom_objects=custom_objects
        )
        config["mixer"] = keras.saving.deserialize_keras_object(
            config["mixer"], custom_objects=custom_objects
        )
        return cls(**config)


def _compile_arguments(model, args, kwargs):
    """The arguments of a ``compile`` call by name, positional ones included.

    Bound to the signature of the ``compile`` that ``MixingTrainStepMixin``
    overrides (``keras.Model.compile``), so ``compile("adam", loss, None,
    ["accuracy"])`` means what it means to Keras.

    Raises:
        TypeError: for arguments that ``compile`` does not take, or one given twice.
    """
    keras_compile = super(MixingTrainStepMixin, model).compile
    return dict(inspect.signature(keras_compile).bind(*args, **kwargs).arguments)


def _flatten_losses(loss):
    if isinstance(loss, dict):
        return list(loss.values())
    if isinstance(loss, (list, tuple)):
        return list(loss)
    return [loss]


def _loss_name(loss):
    """A name to recognise a loss by: a string, a function's or a class's name."""
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    fn = getattr(loss, "fn", None)  # keras.losses.LossFunctionWrapper
    for obj in (loss, fn):
        name = getattr(obj, "__name__", None) or type(obj).__name__
        if obj is not None and "sparse" in name.lower():
            return name
    return getattr(loss, "name", None) or type(loss).__name__
