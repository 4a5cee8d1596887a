"""Base class of the mixing layers (MixUp, CutMix, SpecMix)."""

from typing import Any
from typing import Literal

import keras

from keras_specmix import _validation
from keras_specmix._keys import MIX_WEIGHTS
from keras_specmix._keys import PARTNERS
from keras_specmix._typing import Array
from keras_specmix._typing import Granularity
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.layers.base import LABELS
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.ops import _backend
from keras_specmix.ops import label_rules
from keras_specmix.ops._checks import assert_all


class MixingLayer(SpectrogramAugmentation):
    """Shared plumbing of the layers that mix pairs of examples.

    Input: ``{"spectrograms": x, "labels": y}`` with ``x`` of shape
    ``(batch, time, freq[, channels])`` and ``y`` one-hot or soft float
    ``(batch, classes)``, or sparse int ``(batch,)`` when ``num_classes`` is
    given. A padded batch may add ``"lengths"`` (int ``(batch,)``, valid
    frames per example) or ``"padding_mask"`` (bool ``(batch, time)``): partner
    content is then taken only where both clips have frames, padding comes
    back unchanged, and λ is the share of the example's own valid cells it
    keeps (see ``keras_specmix.ops.mixing``). Output: the same keys; labels
    are always float ``(batch, classes)`` (float32, or the input's float
    dtype). With ``return_mix_info=True`` the output also holds
    ``"mix_weights"`` (λ, float32 ``(batch,)``: the share of each example's
    own input kept) and ``"partners"`` (int32 ``(batch,)``: the index of the
    example mixed in), for logging or loss-side mixing; at inference they are
    1 and ``range(batch)``.

    ``label_rule="max"`` is for multi-label tagging with region mixers
    (CutMix, SpecMix): a class present in the kept part or in the pasted
    part is present, ``y_out = max(y, y[partner])`` (``y`` when nothing is
    pasted, ``y[partner]`` when nothing is kept); see
    ``keras_specmix.ops.label_rules``.

    Args:
        num_classes: int >= 1 or None; required for sparse integer labels.
        prob: float in [0, 1], probability that an example is mixed.
        gate_granularity: ``"example"`` (each example is mixed with
            probability ``prob``) or ``"batch"`` (the whole batch is, or
            none of it). Defaults to ``"example"``.
        return_mix_info: bool, add λ and partner indices to the output.
        label_rule: ``"mix"`` (``λ·y + (1 − λ)·y[partner]``, the default) or
            ``"max"`` (multi-label: see above).
        seed: int >= 0 or None.
        **kwargs: base layer arguments, ``param_granularity`` among them
            (see ``SpectrogramAugmentation``).

    Examples:
        A mixer implements ``sample_params`` and ``mix`` (here MixUp with
        λ ~ Beta(1, 1)); the base one-hot encodes and mixes the labels:

        >>> from keras_specmix.ops import mixing
        >>> class UniformMixUp(MixingLayer):
        ...     def sample_params(self, data, seed, partner=None):
        ...         batch = tf.shape(data["spectrograms"])[0]
        ...         return mixing.sample_mixup_params(seed, batch, 1.0, self.prob, partner)
        ...     def mix(self, x, y, params, lengths=None):
        ...         return mixing.apply_mixup(x, y, params, lengths)
        >>> layer = UniformMixUp(num_classes=3, seed=0)
        >>> out = layer({"spectrograms": tf.random.normal([4, 5, 6]),
        ...              "labels": tf.constant([0, 1, 2, 0])}, training=True)
        >>> out["labels"].shape, bool(np.allclose(tf.reduce_sum(out["labels"], -1), 1.0))
        (TensorShape([4, 3]), True)
    """

    requires_labels = True

    def __init__(
        self,
        num_classes: int | None = None,
        prob: float = 1.0,
        return_mix_info: bool = False,
        label_rule: Literal["mix", "max"] = "mix",
        seed: int | None = None,
        gate_granularity: Granularity = "example",
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        if num_classes is not None:
            num_classes = _validation.check_int("num_classes", num_classes, minimum=1)
        self.num_classes = num_classes
        self._set_gate(prob, gate_granularity)
        self.return_mix_info = _validation.check_bool("return_mix_info", return_mix_info)
        self.label_rule = _validation.check_choice(
            "label_rule", label_rule, set(label_rules.LABEL_RULES)
        )

    def sample_params(
        self, data: dict[str, Tensor], seed: TensorLike, partner: TensorLike | None = None
    ) -> Params:
        """Draws the params of one call. Implemented by subclasses.

        Args:
            data: the input dict.
            seed: shape-``[2]`` integer seed.
            partner: None (the layer draws its own pairing), or int32
                ``(batch,)`` partner indices to use; a ``MixingPolicy`` passes
                one partner to every mixer it holds, at any depth.

        Returns:
            A dict of tensors with at least ``"partner"``.
        """
        raise NotImplementedError

    def mix(
        self, x: Array, y: TensorLike, params: ParamsLike, lengths: TensorLike | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Returns ``(x_out, y_out, lam)`` with the convex labels. Implemented by subclasses."""
        raise NotImplementedError

    def mix_and_label(
        self, x: Array, y: Array, params: ParamsLike, lengths: TensorLike | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``mix`` with this layer's ``label_rule`` applied to the labels.

        Returns:
            ``(x_out, y_out, lam)``.
        """
        x_out, y_out, lam = self.mix(x, y, params, lengths)
        if self.label_rule != "mix":
            y_out = label_rules.mix_labels(y, params["partner"], lam, self.label_rule)
        return x_out, y_out, lam

    def transform(self, data, params):
        x_out, y_out, lam = self.mix_and_label(
            data[SPECTROGRAMS], data[LABELS], params, self.lengths(data)
        )
        out = {**data, SPECTROGRAMS: x_out, LABELS: y_out}
        if self.return_mix_info:
            out[MIX_WEIGHTS] = lam
            xp = _backend.namespace(x_out)
            out[PARTNERS] = xp.cast(params["partner"], "int32")
        return out

    def identity(self, data):
        if not self.return_mix_info:
            return data
        xp = _backend.namespace(data[SPECTROGRAMS])
        batch_size = xp.shape(data[SPECTROGRAMS])[0]
        return {
            **data,
            MIX_WEIGHTS: xp.ones((batch_size,), "float32"),
            PARTNERS: xp.arange(batch_size, dtype="int32"),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            prob=self.prob,
            return_mix_info=self.return_mix_info,
            label_rule=self.label_rule,
        )
        return config

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, dict):
            raise ValueError(
                f"{type(self).__name__} mixes examples and must mix their labels "
                f"too: give it {{'{SPECTROGRAMS}': x, '{LABELS}': y}} (to mix "
                "inside a model, wrap the model in keras_specmix.MixingModel). "
                f"Received an input of shape {input_shape}"
            )
        out = dict(input_shape)
        labels_shape = tuple(input_shape[LABELS])
        if len(labels_shape) == 1:
            out[LABELS] = labels_shape + (self.num_classes,)
        if self.return_mix_info:
            batch = tuple(input_shape[SPECTROGRAMS])[:1]
            out[MIX_WEIGHTS] = batch
            out[PARTNERS] = batch
        return out

    def _check_labels(self, y, x):
        name = type(self).__name__
        xp = _backend.namespace(x, y)
        y = xp.convert_to_tensor(y)
        dtype = keras.backend.standardize_dtype(y.dtype)
        shape = tuple(y.shape)
        if len(shape) == 1:
            if "int" not in dtype:
                raise TypeError(
                    f"{name}: labels of shape (batch,) must be integer class "
                    f"ids. Received: dtype={dtype}, shape={shape}"
                )
            if self.num_classes is None:
                raise ValueError(
                    f"{name} received sparse integer labels of shape {shape}: "
                    "pass `num_classes` to one-hot them, or give one-hot labels. "
                    "Received: num_classes=None"
                )
            y = xp.one_hot(
                _checked_class_ids(xp, y, self.num_classes, name),
                self.num_classes,
                dtype="float32",
            )
        elif len(shape) == 2:
            if self.num_classes is not None and shape[1] not in (None, self.num_classes):
                raise ValueError(
                    f"{name}: labels have {shape[1]} classes but "
                    f"num_classes={self.num_classes}. Received: shape={shape}"
                )
            if "float" not in dtype:
                y = xp.cast(y, "float32")
        else:
            raise ValueError(
                f"{name}: `{LABELS}` must have shape (batch, classes), or "
                f"(batch,) with `num_classes`. Received: shape={shape}"
            )
        batch_y, batch_x = shape[0], tuple(x.shape)[0]
        if batch_y is not None and batch_x is not None and batch_y != batch_x:
            raise ValueError(
                f"{name}: labels and spectrograms have different batch sizes. "
                f"Received: labels shape={shape}, spectrograms shape={tuple(x.shape)}"
            )
        return y


def _checked_class_ids(xp, labels, num_classes, name):
    """``labels`` after a run-time check that every id is in ``[0, num_classes)``.

    A one-hot encoding turns an out-of-range id into a row of zeros, which
    would train on an empty target without a word. The check runs eagerly
    on every backend, in ``tf.function`` and in ``tf.data`` (a
    ``ValueError`` eagerly, an ``InvalidArgumentError`` from a graph). XLA
    and ``jax.jit`` have no run-time assertions, so there the check is left
    out.
    """
    valid = xp.all((labels >= 0) & (labels < num_classes))
    message = (
        f"{name}: sparse labels must be class ids in [0, {num_classes}) "
        f"(num_classes={num_classes}). Received: labels="
    )
    return assert_all(xp, valid, message, labels, data=(labels,))
